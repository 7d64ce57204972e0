"""Real registry servers and small misbehaving HTTP servers for the probe tests and the bench.

Everything listens on loopback (127.0.0.1, or another 127.x address where a test needs a
second host) on a free port and is stopped at fixture teardown:

* ``docker-registry`` (Debian's build of distribution, /usr/bin/docker-registry) without auth,
  with ``auth.htpasswd`` and with ``auth.token`` (a JWT token server written here signs the
  tokens with a throw-away RSA key whose self-signed certificate is the registry's
  ``rootcertbundle``);
* ``FakeServer``: ``http.server`` in a thread with a scenario handler, recording every request
  (method, path, headers) and the maximum number of requests in flight;
* ``realm_registries``: docker-registry in token mode over http and over https (TLS with a
  throw-away certificate for 127.0.0.1) whose token realm is plain http on another host
  (127.0.0.2), for the "plain http only to listed hosts" tests.

Images are made locally as an OCI layout (one tiny layer) and pushed with ``skopeo copy``.
The module only imports the standard library (plus ``cryptography`` when present, for fast
token signing; ``openssl`` is the fallback) so that ``bench/bench_probe.py`` can reuse it.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOCKER_REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
SKOPEO = shutil.which("skopeo") or "/usr/bin/skopeo"
HTPASSWD = shutil.which("htpasswd") or "/usr/bin/htpasswd"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

PUSH_USER = "pusher"
PUSH_PASSWORD = "s3cret-push"
TOKEN_SERVICE = "test-registry"
TOKEN_ISSUER = "test-token-issuer"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def missing_tools() -> list[str]:
    """Names of the external programs these fixtures need but cannot find."""
    tools = [DOCKER_REGISTRY, SKOPEO, HTPASSWD, OPENSSL]
    return [t for t in tools if not (os.path.isfile(t) and os.access(t, os.X_OK))]


SECOND_HOST = "127.0.0.2"  # another loopback address: "another host" without DNS


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, proc: subprocess.Popen | None = None, limit: float = 10.0) -> None:
    """Poll ``url`` until it answers any HTTP status (bounded; TLS not verified)."""
    end = time.monotonic() + limit
    unverified = ssl._create_unverified_context()
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1.0, context=unverified):
                return
        except urllib.error.HTTPError:
            return  # it answered (401 and the like)
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not come up within {limit} s")


# --------------------------------------------------------------------------------------------
# A tiny OCI image, made here
# --------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_oci_layout(dest: Path, tag: str = "v1", payload: bytes = b"hello probe\n") -> str:
    """Write an OCI image layout with one tiny layer to ``dest``; return the manifest digest."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [_sha256(layer_tar)]},
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": _sha256(config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": _sha256(layer), "size": len(layer)}],
        },
        sort_keys=True,
    ).encode()
    for blob in (layer, config, manifest):
        (blobs / _sha256(blob).split(":", 1)[1]).write_bytes(blob)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": _sha256(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (dest / "index.json").write_text(json.dumps(index))
    (dest / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return _sha256(manifest)


def skopeo_push(
    layout: Path, tag: str, host: str, repo: str, dest_tag: str, creds: str | None = None
) -> subprocess.Popen:
    """Start ``skopeo copy oci:layout:tag docker://host/repo:dest_tag`` (returns the process)."""
    cmd = [
        SKOPEO,
        "--insecure-policy",
        "copy",
        "--quiet",
        "--preserve-digests",
        "--dest-tls-verify=false",
    ]
    if creds:
        cmd.append(f"--dest-creds={creds}")
    cmd += [f"oci:{layout}:{tag}", f"docker://{host}/{repo}:{dest_tag}"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_all(procs: list[subprocess.Popen], limit: float = 60.0) -> None:
    end = time.monotonic() + limit
    errors = []
    for p in procs:
        try:
            _out, err = p.communicate(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            errors.append(f"{p.args}: timed out")
            continue
        if p.returncode != 0:
            errors.append(f"{p.args}: rc={p.returncode}: {err.decode(errors='replace')}")
    if errors:
        raise RuntimeError("push failed:\n" + "\n".join(errors))


# --------------------------------------------------------------------------------------------
# FakeServer: http.server in a thread, recording requests
# --------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    host: str  # "127.0.0.1:PORT" of the server that received it


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


Handler = Callable[["FakeServer", Request], Reply]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    def _dispatch(self) -> None:
        fake = self.server.fake
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        req = Request(
            method=self.command,
            path=split.path,
            query=urllib.parse.parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            host=fake.host,
        )
        with fake.lock:
            fake.requests.append(req)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            reply = fake.handler(fake, req)
        finally:
            with fake.lock:
                fake.in_flight -= 1
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD" and reply.body:
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeServer


class FakeServer:
    """A small HTTP/1.1 server on ``bind`` (127.0.0.1) running ``handler`` for every request."""

    def __init__(
        self,
        handler: Handler,
        name: str = "fake",
        tls: tuple[Path, Path] | None = None,
        bind: str = "127.0.0.1",
    ):
        self.handler = handler
        self.name = name
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()  # handlers that sleep wait on this
        self.state: dict = {}
        self._server = _Server((bind, 0), _RequestHandler)
        self._server.fake = self
        if tls is not None:  # (certfile, keyfile)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.host = f"{bind}:{self.port}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.max_in_flight = 0
            self.state.clear()

    def paths(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if method is None or r.method == method]


def _json(status: int, obj, headers: dict[str, str] | None = None) -> Reply:
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return Reply(status, h, json.dumps(obj).encode())


def _manifest_path(path: str) -> tuple[str, str] | None:
    """'/v2/<repo>/manifests/<ref>' -> (repo, ref)."""
    if not path.startswith("/v2/") or "/manifests/" not in path:
        return None
    repo, _, ref = path[4:].rpartition("/manifests/")
    return repo, ref


FAKE_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": _sha256(b"{}"), "size": 2},
        "layers": [],
    }
).encode()


def _manifest_ok(method: str) -> Reply:
    return Reply(
        200,
        {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": _sha256(FAKE_MANIFEST)},
        FAKE_MANIFEST if method == "GET" else b"",
    )


def _manifest_unknown() -> Reply:
    return _json(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})


def open_registry(images: dict[str, set[str]], manifest_delay: float = 0.0) -> Handler:
    """An anonymous registry serving ``images`` ({repo: {tags}}); unknown -> 404."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.path in ("/v2/", "/v2"):
            return _json(200, {})
        mp = _manifest_path(req.path)
        if mp is None:
            return _json(404, {"errors": [{"code": "NOT_FOUND"}]})
        if manifest_delay:
            srv.stopping.wait(manifest_delay)
        repo, ref = mp
        if ref in images.get(repo, ()):
            return _manifest_ok(req.method)
        return _manifest_unknown()

    return handle


def slow_server(delay: float) -> Handler:
    """Answers /v2/ at once; manifests only after ``delay`` seconds (or at teardown)."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.path in ("/v2/", "/v2"):
            return _json(200, {})
        srv.stopping.wait(delay)
        return _manifest_ok(req.method)

    return handle


def flaky_429(failures: int = 1, retry_after: str = "0") -> Handler:
    """Each manifest path answers 429 ``failures`` times, then 200."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.path in ("/v2/", "/v2"):
            return _json(200, {})
        with srv.lock:
            n = srv.state.get(req.path, 0)
            srv.state[req.path] = n + 1
        if n < failures:
            return _json(
                429,
                {"errors": [{"code": "TOOMANYREQUESTS"}]},
                {"Retry-After": retry_after},
            )
        return _manifest_ok(req.method)

    return handle


def always_500() -> Handler:
    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.path in ("/v2/", "/v2"):
            return _json(200, {})
        return Reply(500, {"Content-Type": "text/plain"}, b"boom")

    return handle


def head_not_allowed(images: dict[str, set[str]]) -> Handler:
    """A registry that answers 405 to HEAD manifest requests (GET works)."""
    inner = open_registry(images)

    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.method == "HEAD" and _manifest_path(req.path):
            return Reply(405, {"Allow": "GET"})
        return inner(srv, req)

    return handle


def redirecting_registry(target_url: str) -> Handler:
    """Bearer-protected registry whose manifest answers redirect to another origin."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        challenge = f'Bearer realm="{srv.url}/token",service="redir"'
        if req.path in ("/v2/", "/v2"):
            return _json(
                401, {"errors": [{"code": "UNAUTHORIZED"}]}, {"WWW-Authenticate": challenge}
            )
        if req.path == "/token":
            return _json(200, {"token": "redir-token"})
        if req.headers.get("authorization") != "Bearer redir-token":
            return _json(
                401, {"errors": [{"code": "UNAUTHORIZED"}]}, {"WWW-Authenticate": challenge}
            )
        return Reply(307, {"Location": target_url + req.path})

    return handle


def redirect_all(target_url: str, status: int = 307) -> Handler:
    """A tiny redirector: every request answers ``status`` to ``target_url`` + its path."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        return Reply(status, {"Location": target_url + req.path})

    return handle


def error_code_registry(code: str, message: str) -> Handler:
    """An open registry whose manifests all answer 404 with ``code`` and ``message`` (HEAD
    answers 405, so that the probe GETs the body with the code)."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        if req.path in ("/v2/", "/v2"):
            return _json(200, {})
        if req.method == "HEAD":
            return Reply(405, {"Allow": "GET"})
        return _json(404, {"errors": [{"code": code, "message": message}]})

    return handle


def basic_registry() -> Handler:
    """A registry answering 401 with a Basic challenge to everything."""

    def handle(srv: FakeServer, req: Request) -> Reply:
        return _json(
            401,
            {"errors": [{"code": "UNAUTHORIZED"}]},
            {"WWW-Authenticate": 'Basic realm="fake"'},
        )

    return handle


class BearerRegistry:
    """A fake registry doing the anonymous Bearer token flow itself.

    /v2/ -> 401 ``Bearer realm=<this server>/token,service=fake-registry``; /token hands out
    one token per scope (``token_field`` chooses ``token`` or ``access_token``); manifests need
    ``Authorization: Bearer <token for repository:<repo>:pull>``. Repositories in ``private``
    get a token too, but their manifests keep answering 401 (insufficient scope), like Docker
    Hub does for private or unknown repositories.
    """

    def __init__(
        self,
        images: dict[str, set[str]],
        private: set[str] = frozenset(),
        token_field: str = "token",
    ):
        self.images = images
        self.private = set(private)
        self.token_field = token_field
        self.tokens: dict[str, str] = {}  # token -> scope

    def challenge(self, srv: FakeServer, scope: str | None = None) -> dict[str, str]:
        value = f'Bearer realm="{srv.url}/token",service="fake-registry"'
        if scope:
            value += f',scope="{scope}"'
        return {"WWW-Authenticate": value}

    def __call__(self, srv: FakeServer, req: Request) -> Reply:
        unauthorized = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
        if req.path in ("/v2/", "/v2"):
            return _json(401, unauthorized, self.challenge(srv))
        if req.path == "/token":
            if "authorization" in req.headers:
                return _json(400, {"details": "this test server wants anonymous requests"})
            scope = " ".join(req.query.get("scope", []))
            token = f"anon-{secrets.token_hex(8)}"
            with srv.lock:
                self.tokens[token] = scope
            return _json(200, {self.token_field: token, "expires_in": 300})
        mp = _manifest_path(req.path)
        if mp is None:
            return _json(404, {"errors": [{"code": "NOT_FOUND"}]})
        repo, ref = mp
        scope = f"repository:{repo}:pull"
        auth = req.headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        with srv.lock:
            granted = token is not None and self.tokens.get(token) == scope
        if not granted or repo in self.private:
            return _json(401, unauthorized, self.challenge(srv, scope))
        if ref in self.images.get(repo, ()):
            return _manifest_ok(req.method)
        return _manifest_unknown()


# --------------------------------------------------------------------------------------------
# Token server for docker-registry's `auth: token:` mode
# --------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenSigner:
    """RS256 JWT signer with a throw-away key and self-signed certificate (made by openssl)."""

    def __init__(self, workdir: Path):
        self.key_path = workdir / "token-key.pem"
        self.cert_path = workdir / "token-cert.pem"
        subprocess.run(
            [
                OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                "-days", "2", "-subj", "/CN=probe-test-token-signer",
                "-keyout", str(self.key_path), "-out", str(self.cert_path),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        pem = self.cert_path.read_text()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        self.cert_der_b64 = "".join(body.split())
        self._sign = self._make_signer()

    def _make_signer(self) -> Callable[[bytes], bytes]:
        try:
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
        except ImportError:
            key_path = str(self.key_path)

            def sign_openssl(data: bytes) -> bytes:
                return subprocess.run(
                    [OPENSSL, "dgst", "-sha256", "-sign", key_path],
                    input=data,
                    check=True,
                    capture_output=True,
                    timeout=30,
                ).stdout

            return sign_openssl
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)

        def sign_crypto(data: bytes) -> bytes:
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        return sign_crypto

    def token(self, subject: str, access: list[dict]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.cert_der_b64]}
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": subject,
            "aud": TOKEN_SERVICE,
            "exp": now + 3600,
            "nbf": now - 60,
            "iat": now - 60,
            "jti": secrets.token_hex(12),
            "access": access,
        }
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + _b64url(self._sign(signing_input.encode()))


class TokenServer:
    """Handler for a docker-registry token server (anonymous pull only for ``public_prefixes``).

    ``pusher`` (HTTP Basic, sent only by skopeo while pushing test images) gets pull+push on
    every repository.
    """

    def __init__(self, signer: TokenSigner, public_prefixes: tuple[str, ...] = ("pub/",)):
        self.signer = signer
        self.public_prefixes = public_prefixes
        self._cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __call__(self, srv: FakeServer, req: Request) -> Reply:
        if req.path != "/token":
            return _json(404, {"details": "not found"})
        subject = ""
        auth = req.headers.get("authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (user, password) != (PUSH_USER, PUSH_PASSWORD):
                return _json(401, {"details": "bad credentials"})
            subject = user
        access = []
        for scope in " ".join(req.query.get("scope", [])).split():
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            _, name, actions = parts
            wanted = set(actions.split(","))
            if subject == PUSH_USER:
                granted = wanted & {"pull", "push"}
            elif name.startswith(self.public_prefixes):
                granted = wanted & {"pull"}
            else:
                granted = set()
            access.append({"type": "repository", "name": name, "actions": sorted(granted)})
        key = (subject, json.dumps(access, sort_keys=True))
        with self._lock:
            token = self._cache.get(key)
            if token is None:
                token = self._cache[key] = self.signer.token(subject, access)
        return _json(200, {"token": token, "access_token": token, "expires_in": 3600})


# --------------------------------------------------------------------------------------------
# docker-registry processes
# --------------------------------------------------------------------------------------------


class RegistryProcess:
    """``docker-registry serve cfg.yml`` on 127.0.0.1:<free port>."""

    def __init__(
        self,
        workdir: Path,
        auth: str | None = None,
        token_realm: str | None = None,
        cert_path: Path | None = None,
        tls: tuple[Path, Path] | None = None,
    ):
        self.workdir = workdir
        self.auth = auth  # None | "htpasswd" | "token"
        self.token_realm = token_realm
        self.cert_path = cert_path
        self.tls = tls  # (certificate, key): serve https
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.host = ""
        self.url = ""
        self.creds: str | None = None

    def _config(self) -> str:
        storage = self.workdir / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {storage}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            f"  secret: {secrets.token_hex(16)}",
        ]
        if self.tls is not None:
            lines += ["  tls:", f"    certificate: {self.tls[0]}", f"    key: {self.tls[1]}"]
        lines += [
            "health:",
            "  storagedriver:",
            "    enabled: false",
        ]
        if self.auth == "htpasswd":
            htpasswd = self.workdir / "htpasswd"
            subprocess.run(
                [HTPASSWD, "-Bbc", str(htpasswd), PUSH_USER, PUSH_PASSWORD],
                check=True,
                capture_output=True,
                timeout=30,
            )
            self.creds = f"{PUSH_USER}:{PUSH_PASSWORD}"
            lines += ["auth:", "  htpasswd:", "    realm: probe-test", f"    path: {htpasswd}"]
        elif self.auth == "token":
            self.creds = f"{PUSH_USER}:{PUSH_PASSWORD}"
            lines += [
                "auth:",
                "  token:",
                f"    realm: {self.token_realm}",
                f"    service: {TOKEN_SERVICE}",
                f"    issuer: {TOKEN_ISSUER}",
                f"    rootcertbundle: {self.cert_path}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> RegistryProcess:
        last_error: Exception | None = None
        for _ in range(3):  # a free port can be taken between probing and binding
            self.port = free_port()
            self.host = f"127.0.0.1:{self.port}"
            self.url = f"{'https' if self.tls else 'http'}://{self.host}"
            cfg = self.workdir / "config.yml"
            cfg.write_text(self._config())
            log = open(self.workdir / "registry.log", "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(
                [DOCKER_REGISTRY, "serve", str(cfg)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
            )
            log.close()
            try:
                _wait_for_http(self.url + "/v2/", self.proc)
                return self
            except RuntimeError as e:
                last_error = e
                self.stop()
        raise RuntimeError(f"docker-registry did not start: {last_error}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


@dataclass
class RealRegistries:
    """The three real registries used by the tests (all already holding images)."""

    public: RegistryProcess  # no auth: "app/hello:v1"
    private: RegistryProcess  # htpasswd: "app/secret:v1"
    token: RegistryProcess  # token auth: "pub/app:v1" (anonymous pull), "priv/app:v1" (not)
    token_server: FakeServer
    digest: str  # manifest digest of the pushed image


@contextlib.contextmanager
def real_registries(workdir: Path | None = None) -> Iterator[RealRegistries]:
    """Start the three real registries, push the tiny image, stop everything on exit."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="probe-reg-")))
        layout = workdir / "layout"
        digest = make_oci_layout(layout)
        signer = TokenSigner(workdir)
        token_server = stack.enter_context(FakeServer(TokenServer(signer), "token-server"))
        regs = []
        for name, auth in (("public", None), ("private", "htpasswd"), ("token", "token")):
            d = workdir / name
            d.mkdir()
            reg = RegistryProcess(
                d, auth, token_realm=token_server.url + "/token", cert_path=signer.cert_path
            )
            stack.callback(reg.stop)
            regs.append(reg.start())
        public, private, token = regs
        wait_all(
            [
                skopeo_push(layout, "v1", public.host, "app/hello", "v1"),
                skopeo_push(layout, "v1", private.host, "app/secret", "v1", private.creds),
                skopeo_push(layout, "v1", token.host, "pub/app", "v1", token.creds),
                skopeo_push(layout, "v1", token.host, "priv/app", "v1", token.creds),
            ]
        )
        token_server.reset()
        yield RealRegistries(public, private, token, token_server, digest)


@dataclass
class RealmRegistries:
    """docker-registry in token mode whose token realm is plain http on another host."""

    plain: RegistryProcess  # http://127.0.0.1:<port>: "pub/app:v1" (anonymous), "priv/app:v1"
    tls: RegistryProcess  # https://127.0.0.1:<port>, the same images and realm
    token_server: FakeServer  # http://127.0.0.2:<port>/token: the realm of both
    ca_file: Path  # the certificate of ``tls`` (trust it with SSL_CERT_FILE)


@contextlib.contextmanager
def realm_registries(workdir: Path, cert: tuple[Path, Path]) -> Iterator[RealmRegistries]:
    """Start the two registries and their token server on SECOND_HOST, push the tiny image."""
    with contextlib.ExitStack() as stack:
        layout = workdir / "layout"
        make_oci_layout(layout)
        signer = TokenSigner(workdir)
        token_server = stack.enter_context(
            FakeServer(TokenServer(signer), "realm-token-server", bind=SECOND_HOST)
        )
        regs = []
        for name, tls in (("plain", None), ("tls", cert)):
            d = workdir / name
            d.mkdir()
            reg = RegistryProcess(
                d, "token", token_server.url + "/token", signer.cert_path, tls=tls
            )
            stack.callback(reg.stop)
            regs.append(reg.start())
        wait_all(
            [
                skopeo_push(layout, "v1", reg.host, repo, "v1", reg.creds)
                for reg in regs
                for repo in ("pub/app", "priv/app")
            ]
        )
        token_server.reset()
        yield RealmRegistries(regs[0], regs[1], token_server, cert[0])


# --------------------------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # the bench runs without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def registries(tmp_path_factory) -> Iterator[RealRegistries]:
        missing = missing_tools()
        if missing:
            pytest.fail(
                "missing tools for the real-registry tests: "
                + ", ".join(missing)
                + " (apt-get install --no-install-recommends docker-registry apache2-utils"
                " skopeo openssl)"
            )
        with real_registries(tmp_path_factory.mktemp("registries")) as regs:
            yield regs

    @pytest.fixture(scope="session")
    def realm_regs(tmp_path_factory, self_signed_cert) -> Iterator[RealmRegistries]:
        """Token-mode registries (http and https) whose realm is http on 127.0.0.2."""
        missing = missing_tools()
        if missing:
            pytest.fail("missing tools for the real-registry tests: " + ", ".join(missing))
        with realm_registries(tmp_path_factory.mktemp("realm"), self_signed_cert) as regs:
            yield regs

    @pytest.fixture
    def fake_server() -> Iterator[Callable[..., FakeServer]]:
        """Factory: ``fake_server(handler)`` starts a FakeServer stopped at teardown
        (``bind="127.0.0.2"`` for a second host)."""
        servers: list[FakeServer] = []

        def start(handler: Handler, name: str = "fake", tls=None, bind="127.0.0.1") -> FakeServer:
            srv = FakeServer(handler, name, tls, bind).__enter__()
            servers.append(srv)
            return srv

        yield start
        for srv in servers:
            srv.stop()

    @pytest.fixture(scope="session")
    def self_signed_cert(tmp_path_factory) -> tuple[Path, Path]:
        """(cert, key) for 127.0.0.1, self-signed: no client trusts it."""
        d = tmp_path_factory.mktemp("tls")
        cert, key = d / "cert.pem", d / "key.pem"
        subprocess.run(
            [
                OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        return cert, key

    @pytest.fixture
    def closed_port() -> str:
        """host:port on 127.0.0.1 where nothing listens (connection refused)."""
        return f"127.0.0.1:{free_port()}"
