"""Make the container image's root filesystem: the Python interpreter, the shared objects
it loads, the standard-library modules the function imports, the installed distributions,
``/etc/passwd`` with nobody, and nothing else (no shell, no pip, no package manager).

Run by the Dockerfile's ``root`` stage, as root, with the virtual environment's Python::

    /opt/replicated-proxy-fn/bin/python -I -B minroot.py --out /rootfs

1. **trace**: run the function in every mode -- KRM (mutate, validate, the secret modes,
   listImages, errors), stream (``--config``), ``validate`` and ``explain`` in each format,
   ``--help``, ``--version``, probe against a registry served here on 127.0.0.1, sealed when
   ``cryptography`` is installed -- plus one run that imports every module the package
   imports anywhere (imports inside functions too) and every module of every installed
   distribution. Each run records ``sys.modules`` and the files mapped into the process
   (``/proc/self/maps``: the interpreter, its libraries, extension modules and whatever
   they ``dlopen``).
2. **assemble** ``--out``: the interpreter and every mapped object at their paths (with the
   symbolic links the dynamic loader resolves them by), the traced standard-library modules
   compiled to byte-code, the installed distributions (their Python files compiled to
   byte-code, their data and extension modules as they are), the virtual environment's
   ``pyvenv.cfg`` and ``bin/python``. Byte-code only, no sources: nothing can be compiled
   (or written) at start, and a traceback shows no source lines.
3. **verify**: every run again, once with the full base and once chrooted into ``--out``;
   stdout, stderr and exit code must be the same byte for byte, else the build fails.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import importlib.util
import json
import os
import py_compile
import shutil
import stat
import struct
import subprocess
import sys
import sysconfig
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WORK = Path("/minroot-trace")  # the runs' inputs: the same path in the base and in --out
DROP_DISTS = {"pip", "setuptools", "wheel"}
PASSWD = ("root:x:0:0:root:/root:/usr/sbin/nologin\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
GROUP = "root:x:0:\nnogroup:x:65534:\n"
# Files of the base kept as they are when present: the loader's cache (a base may keep
# libraries outside the loader's default directories, e.g. /usr/local/lib), name service
# order, OpenSSL's configuration (read when ssl starts).
BASE_FILES = ("/etc/ld.so.cache", "/etc/nsswitch.conf", "/usr/lib/ssl/openssl.cnf")
TRACE = r"""
import atexit, os, runpy, sys
def _dump():
    mods = sorted({f for m in list(sys.modules.values())
                   if isinstance(f := getattr(m, "__file__", None), str)})
    with open("/proc/self/maps") as fh:
        objs = sorted({p for line in fh if len(f := line.split(None, 5)) == 6
                       and (p := f[5].strip()).startswith("/")})
    import json
    with open(os.environ["MINROOT_TRACE"], "w") as out:
        json.dump({"modules": mods, "objects": objs}, out)
atexit.register(_dump)
"""
RUN_FN = 'sys.argv = ["replicated-proxy-fn", *sys.argv[1:]]\n' \
         'runpy.run_module("fn", run_name="__main__", alter_sys=True)\n'
IMPORT_ALL = r"""
import importlib
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed.append(f"{name}: {type(exc).__name__}")
print("\n".join(failed))
"""
LICENSE = "exampleLicenseId0123456789"
# Modules the package imports only on a feature's path, after that path has needed a
# distribution: without it the path ends first, with a message (fn.classify, fn.secretforms),
# so the safety net of modules_to_import leaves them out (ssl and hashlib bring OpenSSL,
# 5.6 MB). Module -> the distribution the path needs first (probe: httpx; sealed: cryptography).
FEATURE_MODULES = {"ssl": "httpx", "http.cookiejar": "httpx",
                   "fn.sealing": "cryptography", "hashlib": "cryptography", "hmac": "cryptography"}


def log(msg: str) -> None:
    print(f"[minroot] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the runs


def workload(*images: str) -> str:
    containers = ", ".join(f"{{name: c{i}, image: '{im}'}}" for i, im in enumerate(images))
    return ("{apiVersion: apps/v1, kind: Deployment, metadata: {name: w, namespace: shop}, "
            f"spec: {{template: {{spec: {{containers: [{containers}]}}}}}}}}")


def resource_list(data: dict[str, str], *images: str) -> bytes:
    config = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "replicated-proxy"}, "data": data})
    items = workload(*images) if images else workload("quay.io/acme/api:1", "nginx:1.25")
    return (f"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {items}\n"
            f"- {{apiVersion: batch/v1, kind: CronJob, metadata: {{name: j, namespace: shop}}, "
            f"spec: {{jobTemplate: {{spec: {{template: {{spec: {{containers: "
            f"[{{name: j, image: 'ghcr.io/acme/job:2'}}]}}}}}}}}}}}}\n"
            f"functionConfig: {config}\n").encode()


def make_inputs(port: int) -> list[tuple[str, list[str], bytes]]:
    """Write the runs' input files under WORK; return (name, arguments, stdin) per run."""
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "manifests").mkdir(parents=True)
    base = {"licenseID": LICENSE, "appSlug": "acme",
            "privateImages": "quay.io/acme/, ghcr.io/acme/"}
    (WORK / "config.yaml").write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "c"}, "data": base}))
    stream = (f"{workload('quay.io/acme/api:1', 'nginx:1.25')}\n---\n"
              "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: "
              "[{name: p, image: 'ghcr.io/acme/p:1'}]}}\n").encode()
    (WORK / "manifests" / "app.yaml").write_bytes(stream)
    registry = f"127.0.0.1:{port}"
    probe = {"licenseID": LICENSE, "appSlug": "acme", "probe": "true", "privateImages": "",
             "insecureRegistries": registry, "probeConcurrency": "2", "probeTimeout": "3",
             "probeCache": str(WORK / "out" / "probe-cache.json")}
    runs = [
        ("krm mutate", [], resource_list(base)),
        ("krm validate", [], resource_list({**base, "mode": "validate"})),
        ("krm listImages", [], resource_list({**base, "listImages": str(WORK / "out/l.txt")})),
        ("krm existing", [], resource_list({**base, "secretMode": "existing"})),
        ("krm externalSecret", [], resource_list(
            {**base, "secretMode": "externalSecret", "externalSecretStore": "s",
             "externalSecretKey": "acme/license-id"})),
        ("krm unknown field", [], resource_list({**base, "privateImage": "x/"})),
        ("krm bad YAML", [], b"items: [\n"),
        ("krm not UTF-8", [], b"\xff\xfe\x00"),
        ("krm probe", [], resource_list(
            probe, f"{registry}/acme/public:1", f"{registry}/acme/private:1",
            f"{registry}/acme/missing:1", "127.0.0.1:1/acme/closed:1")),
        ("stream", ["--config", "config.yaml"], stream),
        ("stream verbose", ["--config", "config.yaml", "-v"], stream),
        ("stream missing config", ["--config", "nope.yaml"], stream),
        ("--help", ["--help"], b""), ("--version", ["--version"], b""),
        ("bad option", ["--nope"], b""),
    ]
    for command in ("validate", "explain"):
        runs.append((f"{command} --help", [command, "--help"], b""))
        for fmt in ("text", "json", "markdown", "sarif", "github"):
            runs.append((f"{command} {fmt}", [command, "--config", "config.yaml", "--format",
                                              fmt, "manifests"], b""))
        runs.append((f"{command} stdin", [command, "--config", "config.yaml", "-"], stream))
    runs += sealed_runs(base)
    return runs


def sealed_runs(base: dict[str, str]) -> list[tuple[str, list[str], bytes]]:
    """secretMode sealed, when cryptography is installed: a certificate made here; the
    second run re-reads the first run's output (a sealed value is kept, so it compares)."""
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        return [("krm sealed (no cryptography)", [], resource_list(
            {**base, "secretMode": "sealed", "sealedSecretCert": "cert.pem"}))]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=36500)).sign(key, hashes.SHA256()))
    (WORK / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    first = resource_list({**base, "secretMode": "sealed", "sealedSecretCert": "cert.pem"})
    once = run_fn([sys.executable], [], first, "/dev/null")
    if once.returncode != 0:
        raise SystemExit(f"sealed run failed: {once.stderr.decode(errors='replace')}")
    return [("krm sealed (random)", [], first), ("krm sealed, again", [], once.stdout)]


class Registry(BaseHTTPRequestHandler):
    """Just enough of the distribution API for every path of the probe: an open /v2/, an
    anonymous token realm, a public manifest, one that needs a token, one that is missing."""

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def do_GET(self) -> None:
        self.answer(body=True)

    def answer(self, body: bool) -> None:
        path = self.path.split("?")[0]
        realm = f'Bearer realm="http://{self.headers["Host"]}/token",service="trace"'
        status, headers, data = {
            "/v2/": (200, {}, b"{}"),
            "/token": (200, {}, b'{"token": "anonymous"}'),
            "/v2/acme/public/manifests/1": (200, {
                "Content-Type": "application/vnd.oci.image.manifest.v1+json",
                "Docker-Content-Digest": "sha256:" + "0" * 64}, b"{}"),
            "/v2/acme/private/manifests/1": (401, {"WWW-Authenticate": realm}, b"{}"),
        }.get(path, (404, {}, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}'))
        self.send_response(status)
        for k, v in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def run_fn(python: list[str], argv: list[str], stdin: bytes, trace: str,
           root: Path | None = None, code: str | None = TRACE + RUN_FN,
           ) -> subprocess.CompletedProcess:
    """The function (``code`` None: as the image's entrypoint runs it, ``-m fn``)."""
    shutil.rmtree((root or Path("/")) / WORK.relative_to("/") / "out", ignore_errors=True)
    ((root or Path("/")) / WORK.relative_to("/") / "out").mkdir()

    def enter() -> None:
        if root is not None:
            os.chroot(root)
        os.chdir(WORK)

    env = {"MINROOT_TRACE": trace, "REPLICATED_LICENSE_ID": LICENSE}
    how = ["-m", "fn"] if code is None else ["-c", code]
    return subprocess.run([*python, "-I", "-B", "-X", "utf8", *how, *argv], input=stdin,
                          capture_output=True, env=env, preexec_fn=enter, timeout=120)


# ---------------------------------------------------------------------------- what to import


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def dists() -> list[importlib.metadata.Distribution]:
    site = site_packages()
    return [d for d in importlib.metadata.distributions(path=[str(site)])
            if d.metadata["Name"].lower() not in DROP_DISTS]


def module_name(path: Path, site: Path) -> str | None:
    rel = path.relative_to(site).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or any(not p.isidentifier() for p in parts) or parts[-1] == "__main__":
        return None
    return ".".join(parts)


def imported_names(path: Path) -> set[str]:
    """The modules a Python file imports anywhere (at the top, inside functions)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def modules_to_import(traces: list[dict]) -> list[str]:
    """What the runs may not have reached: every module of the package, and every module
    that any installed module the runs loaded (or any module of the package) imports
    anywhere -- a lazy ``import ssl`` inside a function of httpx included. Not every module
    of every distribution: anyio's asyncio backend, say, is never loaded by the function."""
    site = site_packages()
    files = {Path(m) for t in traces for m in t["modules"]}
    files = {f for f in files if site in f.parents and f.suffix == ".py"}
    package = Path(sys.modules["fn"].__file__).parent if "fn" in sys.modules else None
    if package is None:
        import fn

        package = Path(fn.__file__).parent
    files.update(package.rglob("*.py"))
    names = {n for f in files if (n := module_name(f, site)) is not None}
    for f in files:
        names.update(imported_names(f))
    return sorted(n for n in names if n not in FEATURE_MODULES
                  or importlib.util.find_spec(FEATURE_MODULES[n]) is not None)


# ---------------------------------------------------------------------------- assemble


def keep(path: str, out: Path) -> None:
    """Copy ``path`` into ``out`` as the base has it: each symbolic link on the way (a
    directory such as /lib64 included) as a link, then what it points to."""
    parts = Path(path).parts[1:]
    current = Path("/")
    for i, part in enumerate(parts):
        current = current / part
        dest = out / current.relative_to("/")
        if current.is_symlink():
            target = os.readlink(current)
            if not dest.is_symlink():
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.symlink_to(target)
            rest = Path(*parts[i + 1:]) if i + 1 < len(parts) else None
            resolved = (current.parent / target) if not os.path.isabs(target) else Path(target)
            keep(os.path.normpath(resolved / rest if rest else resolved), out)
            return
    dest = out / current.relative_to("/")
    if current.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
    elif not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(current, dest)


def compile_to(src: Path, out: Path) -> None:
    """``src`` as byte-code at ``out``/src + "c" (a module with no source beside it)."""
    dest = Path(f"{out}{src}c")
    dest.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(src), cfile=str(dest), dfile=str(src), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def elf_interpreter(path: str) -> str | None:
    """The program interpreter (dynamic loader) an ELF executable names, e.g.
    /lib64/ld-linux-x86-64.so.2: the kernel opens it by this path, links and all."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return None
        wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
        word = order + ("Q" if wide else "I")
        phoff = struct.unpack_from(word, head, 0x20 if wide else 0x1C)[0]
        phentsize, phnum = struct.unpack_from(order + "HH", head, 0x36 if wide else 0x2A)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            entry = f.read(phentsize)
            if struct.unpack_from(order + "I", entry)[0] != 3:  # PT_INTERP
                continue
            offset = struct.unpack_from(word, entry, 8 if wide else 4)[0]
            size = struct.unpack_from(word, entry, 32 if wide else 16)[0]
            f.seek(offset)
            return f.read(size).rstrip(b"\0").decode()
    return None


def compile_beside(src: Path, out: Path) -> None:
    """``src``'s byte-code in ``__pycache__``, with the source's hash checked at import."""
    dest = Path(f"{out}{importlib.util.cache_from_source(str(src))}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(src), cfile=str(dest), dfile=str(src), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def keep_object(obj: str, out: Path) -> None:
    """A mapped shared object, and the links beside it that point to it (the names the
    loader looks for, such as libz.so.1 for libz.so.1.2.13)."""
    keep(obj, out)
    real = os.path.realpath(obj)
    for entry in os.scandir(os.path.dirname(obj)):
        if entry.is_symlink() and os.path.realpath(entry.path) == real:
            keep(entry.path, out)


def assemble(traces: list[dict], out: Path) -> dict[str, int]:
    site, venv = site_packages(), Path(sys.prefix)
    stdlib = {Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    modules = {m for t in traces for m in t["modules"]}
    modules.add(str(Path(sysconfig.get_paths()["stdlib"]) / "os.py"))  # getpath's landmark
    counts = {"stdlib modules": 0, "objects": 0, "distribution files": 0}
    for name in sorted(modules):
        path = Path(name)
        if site in path.parents or not path.exists():
            continue
        if path.suffix == ".py":
            compile_to(path, out)
            counts["stdlib modules"] += 1
        else:
            keep(name, out)
    for obj in sorted({o for t in traces for o in t["objects"]}):
        if site not in Path(obj).parents and os.path.exists(obj):
            keep_object(obj, out)
            counts["objects"] += 1
    for d in stdlib:
        (out / d.relative_to("/") / "lib-dynload").mkdir(parents=True, exist_ok=True)
    for dist in dists():
        for f in dist.files or ():
            path = Path(dist.locate_file(f)).resolve()
            if site not in path.parents or "__pycache__" in path.parts or not path.is_file():
                continue
            counts["distribution files"] += 1
            keep(str(path), out)
            if path.suffix == ".py":
                compile_beside(path, out)
    for name in ("pyvenv.cfg", "bin/python"):
        keep(str(venv / name), out)
    if loader := elf_interpreter(os.path.realpath(venv / "bin/python")):
        keep(loader, out)
    for name in BASE_FILES:
        if os.path.exists(name):
            keep(name, out)
    for entry in os.scandir("/"):  # /lib -> usr/lib and the like: paths the loader uses
        if entry.is_symlink():
            keep(entry.path, out)
    (out / "etc").mkdir(exist_ok=True)
    (out / "etc/passwd").write_text(PASSWD)
    (out / "etc/group").write_text(GROUP)
    (out / "tmp").mkdir(exist_ok=True)
    (out / "tmp").chmod(0o1777 | stat.S_IFDIR)
    return counts


# ---------------------------------------------------------------------------- main


def serve() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def trace_all(runs, python: list[str]) -> list[dict]:
    traces, trace_file = [], "/tmp/minroot-trace.json"
    for name, argv, stdin in runs:
        proc = run_fn(python, argv, stdin, trace_file)
        with open(trace_file) as f:
            traces.append(json.load(f))
        log(f"traced {name}: exit {proc.returncode}, {len(traces[-1]['modules'])} modules")
    proc = run_fn(python, modules_to_import(traces), b"", trace_file, code=TRACE + IMPORT_ALL)
    with open(trace_file) as f:
        traces.append(json.load(f))
    log(f"traced imports of every module: {len(traces[-1]['modules'])} modules; "
        f"not importable: {proc.stdout.decode().split() and len(proc.stdout.splitlines())}")
    return traces


def diff(a: bytes, b: bytes) -> str:
    import difflib

    return "".join(list(difflib.unified_diff(
        a.decode(errors="replace").splitlines(True), b.decode(errors="replace").splitlines(True),
        "base", "slim", n=1))[:40])


def verify(runs, traces: list[dict], out: Path) -> int:
    """Each run with the full base and chrooted into ``out``: the same bytes."""
    python = [str(Path(sys.prefix) / "bin/python")]
    shutil.copytree(WORK, out / WORK.relative_to("/"))
    failed = 0
    everything = ("imports", modules_to_import(traces[:-1]), b"")
    for name, argv, stdin in [*runs, everything]:
        code = "import sys\n" + IMPORT_ALL if name == "imports" else None
        base = run_fn(python, argv, stdin, "/dev/null", code=code)
        slim = run_fn(python, argv, stdin, "/dev/null", root=out, code=code)
        random = name.endswith("(random)")  # compared through the run after it
        same = (base.returncode, base.stderr, random or base.stdout) == (
            slim.returncode, slim.stderr, random or slim.stdout)
        if not same:
            failed += 1
            log(f"DIFFERENT in the slim root: {name}: exit {base.returncode} vs "
                f"{slim.returncode}\n--- base stderr\n{base.stderr.decode(errors='replace')}"
                f"\n--- slim stderr\n{slim.stderr.decode(errors='replace')}"
                f"\n--- stdout\n{diff(base.stdout, slim.stdout)}")
    shutil.rmtree(out / WORK.relative_to("/"))
    log(f"verified {len(runs) + 1} runs in the slim root: {failed} different")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="the root filesystem to make (must not exist)")
    ap.add_argument("--no-verify", action="store_true", help="skip the chroot comparison")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir()
    server = serve()
    runs = make_inputs(server.server_address[1])
    traces = trace_all(runs, [str(Path(sys.prefix) / "bin/python")])
    counts = assemble(traces, out)
    log(", ".join(f"{v} {k}" for k, v in counts.items()))
    failed = 0 if args.no_verify else verify(runs, traces, out)
    server.shutdown()
    shutil.rmtree(WORK, ignore_errors=True)
    site = Path(f"{out}{site_packages()}")
    if sources := [str(p) for p in out.rglob("*.py") if site not in p.parents]:
        log(f"sources in the slim root: {sources[:5]}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
