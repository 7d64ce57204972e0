# Container image of the replicated-proxy-fn KRM function.
#
#   docker build -t replicated-proxy-fn:0.1.0 .
#   kpt fn eval DIR --image replicated-proxy-fn:0.1.0 --fn-config fn-config.yaml
#
# Build arguments:
#   BASE_IMAGE   runtime base with python3 (default: the official slim image)
#   BUILD_IMAGE  builder base: the same Python as BASE_IMAGE (same path and version) plus
#                `python3 -m venv` with ensurepip; defaults to BASE_IMAGE. For a Debian base
#                without ensurepip, see tests/container/build-base.sh (py-base / py-build).
#   VERSION      org.opencontainers.image.version (keep equal to pyproject.toml)
#   SOURCE       org.opencontainers.image.source
#   EXTRAS       optional extras to install, e.g. "probe" (httpx, for registry probing;
#                the function then needs network: kpt --network / kustomize network: true)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX
#                passed to pip in the builder only, for mirrors and offline builds, e.g.
#                --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/wheels with the
#                wheels mounted there (buildah bud -v DIR:/wheels:ro).
#
# The final image holds the base's Python and one virtual environment with the package and
# its dependencies: no pip, no build tools, no caches. It runs as nobody (65534), works with
# --user nobody, a read-only root filesystem and --network none.

ARG BASE_IMAGE=python:3.12-slim
ARG BUILD_IMAGE=${BASE_IMAGE}

FROM ${BUILD_IMAGE} AS build
ARG EXTRAS=""
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
# PYTHONDONTWRITEBYTECODE and -B below: nothing run here writes byte-code into the base's
# standard library, so step 3 sees which modules the base really lacks byte-code for.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
COPY . /src
# 1. a venv with the package and its dependencies; then pip and setuptools leave it.
# 2. byte-code compiled with checked hashes: valid whatever the files' mtimes, and never
#    rewritten at run time (the root filesystem may be read-only).
# 3. one run of the function records which modules it imports; those of the base's standard
#    library that have no byte-code there (the official images ship none) are compiled into
#    /pyc, copied over the base in the final stage, so a cold start compiles nothing.
RUN set -eux; \
    python3 -m venv /opt/replicated-proxy-fn; \
    venv=/opt/replicated-proxy-fn; \
    "$venv/bin/python" -m pip install --no-compile "/src${EXTRAS:+[$EXTRAS]}"; \
    "$venv/bin/python" -m pip uninstall -y -q pip setuptools; \
    rm -f "$venv"/bin/activate* "$venv"/bin/Activate.ps1; \
    find "$venv" -name __pycache__ -prune -exec rm -rf {} +; \
    "$venv/bin/python" -I -B -m compileall -q --invalidation-mode checked-hash "$venv/lib"; \
    printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items:' \
      '- {apiVersion: apps/v1, kind: Deployment, metadata: {name: w, namespace: n}, spec: {template: {spec: {containers: [{name: c, image: quay.io/acme/api:1}]}}}}' \
      'functionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {licenseID: x, appSlug: app, privateImages: quay.io/acme/}}' \
      > /tmp/warmup.yaml; \
    "$venv/bin/python" -I -B -X utf8 -c 'import atexit, runpy, sys; atexit.register(lambda: open("/tmp/imported", "w").write("\n".join(sorted(str(getattr(m, "__file__", None)) for m in list(sys.modules.values()))))); sys.argv = ["replicated-proxy-fn"]; runpy.run_module("fn", run_name="__main__", alter_sys=True)' \
      < /tmp/warmup.yaml > /dev/null || true; \
    test -s /tmp/imported; \
    mkdir -p /pyc; \
    "$venv/bin/python" -I -B -c 'import importlib.util as u, os, py_compile as c, sys; todo = [f for f in open("/tmp/imported").read().split() if f.endswith(".py") and not f.startswith("/opt/") and not os.path.exists(u.cache_from_source(f))]; [c.compile(f, cfile="/pyc" + u.cache_from_source(f), dfile=f, doraise=True, invalidation_mode=c.PycInvalidationMode.CHECKED_HASH) for f in todo]; print(len(todo), "standard library modules compiled into /pyc")'; \
    "$venv/bin/python" -I -B -c 'import yaml; assert yaml.__with_libyaml__, "PyYAML without libyaml"'; \
    ! "$venv/bin/python" -I -B -c 'import pip' 2>/dev/null

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/replicated-proxy-fn/replicated-proxy-fn
LABEL org.opencontainers.image.title="replicated-proxy-fn" \
      org.opencontainers.image.description="KRM function: pull private images through the Replicated proxy registry, with the license-derived pull secret" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/replicated-proxy-fn /opt/replicated-proxy-fn
COPY --from=build /pyc/ /
ENV PATH=/opt/replicated-proxy-fn/bin:$PATH
USER 65534:65534
# -I: isolated from PYTHON* variables and the user site (some kustomize versions pass every
#     variable of their own environment into the container); -B: never write byte-code;
#     -X utf8: UTF-8 I/O whatever the locale variables say.
ENTRYPOINT ["/opt/replicated-proxy-fn/bin/python", "-I", "-B", "-X", "utf8", "-m", "fn"]
