# Container image of the replicated-proxy-fn KRM function.
#
#   docker build -t replicated-proxy-fn:0.1.0 .
#   kpt fn eval DIR --image replicated-proxy-fn:0.1.0 --fn-config fn-config.yaml
#
# Build arguments:
#   BASE_IMAGE   the Python the image runs (default: the official slim image); the final
#                image takes from it only the interpreter, the shared libraries it loads and
#                the standard-library modules the function imports (image/minroot.py)
#   BUILD_IMAGE  builder: the same Python as BASE_IMAGE (same path and version) plus
#                `python3 -m venv` with ensurepip; defaults to BASE_IMAGE. For a Debian base
#                without ensurepip, see tests/container/build-base.sh (py-base / py-build).
#   VERSION      org.opencontainers.image.version (keep equal to pyproject.toml)
#   SOURCE       org.opencontainers.image.source
#   EXTRAS       features to add, comma-separated (none by default, for a small image):
#                  probe   httpx, for `probe: "true"` (the function then needs network:
#                          kpt --network / kustomize network: true)
#                  sealed  cryptography, for `secretMode: sealed`
#                without them, probe and sealed end with an error saying so
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX
#                passed to pip in the builder only, for mirrors and offline builds, e.g.
#                --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/wheels with the
#                wheels mounted there (buildah bud -v DIR:/wheels:ro).
#
# The final image is FROM scratch: the interpreter, its libraries, the traced standard
# library as byte-code, one virtual environment with the package and its dependencies,
# /etc/passwd. No shell, no pip, no package manager. It runs as nobody (65534), works with
# --user nobody, a read-only root filesystem and --network none.

ARG BASE_IMAGE=python:3.12-slim
ARG BUILD_IMAGE=${BASE_IMAGE}

FROM ${BUILD_IMAGE} AS build
ARG EXTRAS=""
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
COPY . /src
# A venv with the package and the requirements image/requirements.py picks (dependencies
# that serve only an extra's feature, such as httpx for probe, only when EXTRAS names it);
# then pip and setuptools leave it.
RUN set -eux; \
    venv=/opt/replicated-proxy-fn; \
    python3 -m venv "$venv"; \
    python3 -I /src/image/requirements.py /src/pyproject.toml "$EXTRAS" > /tmp/requirements.txt; \
    "$venv/bin/python" -m pip install --no-compile --no-deps /src; \
    "$venv/bin/python" -m pip install --no-compile -r /tmp/requirements.txt; \
    "$venv/bin/python" -m pip uninstall -y -q pip setuptools; \
    rm -rf "$venv"/bin/activate* "$venv"/bin/Activate.ps1 "$venv"/bin/replicated-proxy-fn; \
    find "$venv" -name __pycache__ -prune -exec rm -rf {} +; \
    "$venv/bin/python" -I -c 'import yaml; assert yaml.__with_libyaml__, "PyYAML without libyaml"'

# The root filesystem, on the runtime base: image/minroot.py runs the function in every
# mode, keeps what those runs load (and what the loaded code imports anywhere), then runs
# them again chrooted into /rootfs and fails the build on any difference.
FROM ${BASE_IMAGE} AS root
COPY --from=build /opt/replicated-proxy-fn /opt/replicated-proxy-fn
COPY image/minroot.py /minroot.py
RUN /opt/replicated-proxy-fn/bin/python -I -B /minroot.py --out /rootfs

FROM scratch
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/replicated-proxy-fn/replicated-proxy-fn
LABEL org.opencontainers.image.title="replicated-proxy-fn" \
      org.opencontainers.image.description="KRM function: pull private images through the Replicated proxy registry, with the license-derived pull secret" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=root /rootfs/ /
USER 65534:65534
# -I: isolated from PYTHON* variables and the user site (some kustomize versions pass every
#     variable of their own environment into the container); -B: never write byte-code;
#     -X utf8: UTF-8 I/O whatever the locale variables say.
ENTRYPOINT ["/opt/replicated-proxy-fn/bin/python", "-I", "-B", "-X", "utf8", "-m", "fn"]
