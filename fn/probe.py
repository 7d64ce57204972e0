"""Registry probe: can an image be pulled anonymously? (KOTS-style private-image detection)

For every distinct target the probe asks the registry for the manifest without any
credentials, the way KOTS does (OCI distribution API):

1. ``GET /v2/`` once per registry. 200 -> anonymous API; 401 ``Bearer realm=..,service=..``
   -> anonymous token flow; 401 ``Basic`` -> credentials needed.
2. With a Bearer challenge: ``GET <realm>?service=..&scope=repository:<repo>:pull`` without
   credentials (one token per registry + scope), then send ``Authorization: Bearer <token>``
   to that registry only.
3. ``HEAD /v2/<repo>/manifests/<reference>`` (``GET`` when the registry answers 405), with
   ``Accept`` for OCI index/manifest and Docker manifest list/v2. A 401 with a Bearer challenge
   not handled yet (registry whose /v2/ was open) fetches a token and retries once.

Classification: 2xx -> public; 401/403 -> private; 404 -> not-found when the registry answered
/v2/ anonymously or handed out an anonymous token, else private; 429/5xx (and dropped
connections) -> retried with backoff, then error; network failures -> error naming the class
("connection refused", "timeout", "TLS error", "DNS error"); targets unfinished at the overall
deadline -> error "deadline".

Plain http: only to hosts listed in ``insecureRegistries``. Every request -- the registry, a
token realm, every redirect hop -- is checked against that list; a plain-http URL on any other
host (a downgrade from https included) is refused without being requested, and the target's
verdict is an error saying so (``onProbeError`` then applies).

References are read by :mod:`fn.imageref` (the one grammar); a :class:`ProbeTarget` is the
registry, repository and reference of an :class:`~fn.imageref.ImageRef`. Text that reaches a
verdict (registry error codes, hosts from a realm or redirect, cached reasons) is made one
printable line of at most ``REASON_MAX`` characters.

The cache file (``probeCache``) is a JSON object marked ``"kind": CACHE_KIND``; the probe
writes only to a path that does not exist or holds such a file (atomically: temp file in the
same directory + rename), and refuses any other file with :class:`CacheFileError`.

Concurrency: a thread pool of ``options.concurrency`` workers, one request in flight per
worker, each worker with its own httpx.Client (measured faster than one shared pool or
httpx.AsyncClient here: see bench/PROBE_NOTES.md). httpx is imported inside
:func:`probe_all` only, so importing this module is cheap for runs that never probe.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Literal

from fn import imageref
from fn.imageref import ImageRef, InvalidReference

__all__ = [
    "CacheFileError",
    "ProbeOptions",
    "ProbeStats",
    "ProbeTarget",
    "ProbeVerdict",
    "probe_all",
]


class CacheFileError(Exception):
    """The ``probeCache`` path cannot be used; ``str(err)`` is one printable line."""


@dataclass(frozen=True)
class ProbeTarget:
    registry: str  # registry host[:port], e.g. "docker.io", "127.0.0.1:5000"
    repository: str  # e.g. "library/nginx", "acme/api"
    reference: str  # a tag ("1.25"), a digest ("sha256:...") or "tag@digest"

    @classmethod
    def of(cls, ref: ImageRef) -> ProbeTarget:
        """What a registry is asked about for ``ref``: its domain, path and reference."""
        return cls(ref.domain, ref.path, ref.reference)

    @classmethod
    def parse(cls, text: str) -> ProbeTarget:
        """``ProbeTarget.of(imageref.parse(text))``; raises InvalidReference."""
        return cls.of(imageref.parse(text))


@dataclass(frozen=True)
class ProbeVerdict:
    status: Literal["public", "private", "not-found", "error"]
    reason: str  # short, human: "200", "401 Unauthorized", "connection refused", "deadline", ...
    cached: bool = False


@dataclass
class ProbeOptions:
    concurrency: int = 10
    timeout: float = 5.0  # per request, seconds
    deadline: float = 60.0  # overall, seconds
    retries: int = 3  # tries for 429 / 5xx / dropped connections
    insecure_registries: frozenset[str] = frozenset()  # plain http (and TLS verify off)
    cache_path: str | None = None  # JSON file of verdicts
    cache_ttl: float = 86400.0  # seconds


@dataclass
class ProbeStats:
    requests: int = 0  # HTTP requests actually made (every try, every redirect hop)
    manifest_requests: int = 0
    token_requests: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    cache_warning: str | None = None  # the cache file could not be written: why (one line)


# ---------------------------------------------------------------------------------------------
# constants

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5",
    ]
)
USER_AGENT = "replicated-proxy-fn-probe/0.1"
CACHE_KIND = "replicated-proxy-fn/probe-cache"
CACHE_VERSION = 2
CACHE_LEGACY_VERSION = 1  # version 1 wrote exactly {"version": 1, "entries": {...}}
CACHE_MAX_BYTES = 64 << 20  # a larger file is not read (and so not ours)
REASON_MAX = 200  # characters of a verdict reason
CODE_MAX = 80  # characters of a registry error code inside a reason
CACHEABLE = ("public", "private", "not-found")
BACKOFF_START = 0.2  # seconds; doubles per try
RETRY_AFTER_CAP = 5.0  # seconds; a larger Retry-After is cut to this
MAX_REDIRECTS = 5
MAX_BODY = 1 << 20  # bytes read from any response (manifests via GET, tokens, errors)
CLOCK_SKEW = 300.0  # cache entries dated this far in the future are still accepted

DOCKER_HUB = "docker.io"
# network side: the hosts that are Docker Hub (the grammar knows only index.docker.io)
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_API = "registry-1.docker.io"

_AUTH_PARAM_RE = re.compile(r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


# ---------------------------------------------------------------------------------------------
# normalisation and text


def _host(authority: str) -> str:
    """A host[:port] as the probe compares it: lower case, Docker Hub aliases as docker.io."""
    host = imageref.host_of(authority).lower()
    return DOCKER_HUB if not host or host in DOCKER_HUB_ALIASES else host


def _normalise(target: ProbeTarget) -> ProbeTarget | None:
    """Canonical form of ``target``, read by the image-reference grammar; None if invalid.

    The target is written back as a reference (``registry/repository:tag`` or ``@digest``) and
    parsed by :func:`fn.imageref.parse`; the registry must come back as the reference's domain
    (a dotless, portless ``registry`` would be read as a Docker Hub path: invalid here)."""
    ref = target.reference
    sep = "@" if ":" in ref and "@" not in ref else ":"
    try:
        parsed = imageref.parse(f"{target.registry}/{target.repository}{sep}{ref}")
    except InvalidReference:
        return None
    registry = _host(parsed.domain)
    if registry != _host(target.registry):
        return None
    path = parsed.path
    if registry == DOCKER_HUB and "/" not in path:  # registry-1.docker.io/nginx
        path = "library/" + path
    return ProbeTarget(registry, path, parsed.reference)


def _clean(text: str, limit: int = REASON_MAX) -> str:
    """One printable line of at most ``limit`` characters: every character that is not
    printable (line breaks, ESC, other controls) is written as its escape (``\\n``,
    ``\\x1b``); a longer text is cut and ends in ``...``."""
    out = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _cache_key(t: ProbeTarget) -> str:
    return f"{t.registry}/{t.repository}@{t.reference}"


def _api_host(registry: str) -> str:
    return DOCKER_HUB_API if registry == DOCKER_HUB else registry


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# ---------------------------------------------------------------------------------------------
# WWW-Authenticate


@dataclass(frozen=True)
class _Challenge:
    scheme: str  # "bearer", "basic", or another lower-case scheme
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def _parse_challenges(values: list[str]) -> list[_Challenge]:
    """Parse WWW-Authenticate header values (several challenges per value allowed)."""
    out: list[_Challenge] = []
    for value in values:
        pos = 0
        current: _Challenge | None = None
        while pos < len(value):
            while pos < len(value) and value[pos] in " ,\t":
                pos += 1
            if pos >= len(value):
                break
            m = _AUTH_PARAM_RE.match(value, pos)
            if m and current is not None:
                raw = m.group(2) if m.group(2) is not None else m.group(3)
                current.params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw)
                pos = m.end()
                continue
            m = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*").match(value, pos)
            if not m:
                break
            current = _Challenge(m.group(0).lower(), {})
            out.append(current)
            pos = m.end()
    return out


def _bearer(challenges: list[_Challenge]) -> _Challenge | None:
    for c in challenges:
        if c.scheme == "bearer" and c.params.get("realm"):
            return c
    return None


# ---------------------------------------------------------------------------------------------
# cache file


def _cache_refused(path: str, why: str) -> CacheFileError:
    return CacheFileError(
        f"probeCache {_clean(repr(path), 120)}: {why}; not using it "
        "(remove it or choose another path)"
    )


def _read_cache_file(path: str) -> dict[str, Any] | None:
    """The cache object at ``path``: None when nothing is there; raises CacheFileError when
    something is there that this function did not write (or cannot be read)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _cache_refused(path, "is a dangling symbolic link") from None
        return None
    except OSError as e:
        raise _cache_refused(path, f"cannot be read ({e.strerror or type(e).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _cache_refused(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise _cache_refused(path, "is not a regular file")
    if st.st_size > CACHE_MAX_BYTES:
        raise _cache_refused(path, f"is larger than {CACHE_MAX_BYTES >> 20} MiB")
    try:
        with open(path, "rb") as f:
            raw = f.read(CACHE_MAX_BYTES + 1)
    except OSError as e:
        raise _cache_refused(path, f"cannot be read ({e.strerror or type(e).__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _cache_refused(path, "is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not _ours(data):
        raise _cache_refused(path, "is not a probe cache written by replicated-proxy-fn")
    return data


def _ours(data: dict[str, Any]) -> bool:
    """Written by this function: marked with CACHE_KIND, or version 1's exact shape."""
    if data.get("kind") == CACHE_KIND:
        return True
    return set(data) == {"version", "entries"} and data["version"] == CACHE_LEGACY_VERSION


def _load_cache(path: str | None, ttl: float, now: float) -> dict[str, dict[str, Any]]:
    """Valid (fresh, well-formed, cacheable) entries of the cache file at ``path`` ({} when
    there is none); raises CacheFileError when the path holds something that is not ours."""
    if not path:
        return {}
    data = _read_cache_file(path)
    if data is None:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    fresh: dict[str, dict[str, Any]] = {}
    for key, e in entries.items():
        if not isinstance(e, dict):
            continue
        stamp, status, reason = e.get("time"), e.get("status"), e.get("reason")
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            continue
        if status not in CACHEABLE or not isinstance(reason, str):
            continue
        if not (-CLOCK_SKEW <= now - stamp <= ttl):
            continue
        fresh[key] = {"status": status, "reason": _clean(reason), "time": stamp}
    return fresh


def _write_cache(path: str, entries: dict[str, dict[str, Any]]) -> str | None:
    """Write the cache atomically (temp file in the same directory + rename), only over
    nothing or over our own cache file (checked again just before the rename). Returns None,
    or why it was not written (one line: the probe's verdicts stand, the next run re-probes)."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".probe-cache-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            body = {"kind": CACHE_KIND, "version": CACHE_VERSION, "entries": entries}
            json.dump(body, f, sort_keys=True, indent=1)
            f.write("\n")
        _read_cache_file(path)  # something not ours may have appeared meanwhile
        os.replace(tmp, path)
        tmp = None
    except CacheFileError as e:
        return str(e)
    except OSError as e:
        why = e.strerror or type(e).__name__
        return f"probeCache {_clean(repr(path), 120)}: not written ({why})"
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return None


# ---------------------------------------------------------------------------------------------
# network error classification


def _exception_chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(x for x in (e.__cause__, e.__context__) if x is not None)
        stack.extend(getattr(e, "exceptions", ()) or ())


def _classify_network_error(exc: BaseException) -> str:
    import socket
    import ssl

    chain = list(_exception_chain(exc))
    for e in chain:
        if isinstance(e, ssl.SSLError | ssl.CertificateError):
            return "TLS error"
    for e in chain:
        if isinstance(e, socket.gaierror):
            return "DNS error"
    for e in chain:
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
    for e in chain:
        if isinstance(e, TimeoutError) or type(e).__name__.endswith("Timeout"):
            return "timeout"
    text = " ".join(str(e) for e in chain).lower()
    if "certificate" in text or "ssl" in text or "tls" in text:
        return "TLS error"
    if "name or service not known" in text or "name resolution" in text or "getaddrinfo" in text:
        return "DNS error"
    if "connection refused" in text:
        return "connection refused"
    return "connection error"


# ---------------------------------------------------------------------------------------------
# the prober


class _Fail(Exception):
    """A request that ended without a usable HTTP response; ``reason`` is the verdict reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Transient(_Fail):
    """A dropped connection (EOF-like): retried like 429/5xx."""


@dataclass
class _Response:
    status: int
    headers: Any  # httpx.Headers
    body: bytes


@dataclass
class _Ping:
    error: ProbeVerdict | None = None
    open: bool = False  # /v2/ answered 2xx anonymously
    bearer: _Challenge | None = None


class _Once:
    """Result of work shared by several targets (one /v2/ ping, one token per scope)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _Prober:
    """Probes targets from worker threads; one request in flight per worker thread."""

    def __init__(self, options: ProbeOptions, stats: ProbeStats, deadline_at: float):
        import httpx

        self.httpx = httpx
        self.options = options
        self.stats = stats
        self.deadline_at = deadline_at
        self.insecure = frozenset(_host(h) for h in options.insecure_registries)
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set at the deadline: no new request, no more sleeping
        self.pings: dict[str, _Once] = {}
        self.tokens: dict[tuple[str, str, str, str], _Once] = {}
        self.no_head: set[str] = set()  # registries that answered 405 to HEAD
        self.local = threading.local()
        self.clients: list[Any] = []
        self.ssl_contexts: dict[bool, Any] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def _client(self, insecure: bool):
        """This thread's client (own connection pool: no pool shared between threads)."""
        clients = getattr(self.local, "clients", None)
        if clients is None:
            clients = self.local.clients = {}
        client = clients.get(insecure)
        if client is None:
            import http.cookiejar

            httpx = self.httpx
            with self.lock:
                ctx = self.ssl_contexts.get(insecure)
                if ctx is None:  # loading the CA bundle costs ~10 ms: once per run
                    ctx = self.ssl_contexts[insecure] = httpx.create_ssl_context(
                        verify=not insecure
                    )
            # No cookie is ever stored or sent back: the probe is strictly anonymous.
            jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            client = httpx.Client(
                verify=ctx,
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=False,
                cookies=jar,
                headers={"User-Agent": USER_AGENT},
            )
            with self.lock:
                if self.stop.is_set():  # close() may already have run
                    client.close()
                    raise _Fail("deadline")
                self.clients.append(client)
            clients[insecure] = client
        return client

    def close(self) -> None:
        with self.lock:
            clients, self.clients = self.clients, []
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()

    def _base_url(self, registry: str) -> str:
        scheme = "http" if registry in self.insecure else "https"
        return f"{scheme}://{_api_host(registry)}"

    def _listed(self, url) -> bool:
        """Is ``url``'s host[:port] in insecureRegistries? (``host`` and ``host:80`` alike)"""
        host = f"[{url.host}]" if ":" in url.host else url.host
        if url.port:
            return _host(f"{host}:{url.port}") in self.insecure
        default = 80 if url.scheme == "http" else 443
        return _host(host) in self.insecure or _host(f"{host}:{default}") in self.insecure

    def _refuse_plain_http(self, url, what: str) -> None:
        """Plain http only to listed hosts: raise for any other ``http://`` URL."""
        if url.scheme == "http" and not self._listed(url):
            host = f"[{url.host}]" if ":" in url.host else url.host
            authority = f"{host}:{url.port}" if url.port else host
            raise _Fail(f"{what} plain http://{_clean(authority, 80)} refused "
                        "(not in insecureRegistries)")

    def _count(self, kind: str) -> None:
        with self.lock:
            self.stats.requests += 1
            if kind == "manifest":
                self.stats.manifest_requests += 1
            elif kind == "token":
                self.stats.token_requests += 1

    def _send_once(self, method: str, url, headers: dict[str, str], kind: str) -> _Response:
        httpx = self.httpx
        if self.stop.is_set():
            raise _Fail("deadline")
        self._refuse_plain_http(url, "request to")  # every request, whoever asks for it
        client = self._client(self._listed(url))
        self._count(kind)
        started = time.monotonic()
        try:
            request = client.build_request(method, url, headers=headers)
            response = client.send(request, stream=True)
            try:
                # Read to the end even for HEAD (no body): only a fully read response gives
                # its connection back to the pool for reuse.
                body = b""
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
                    if time.monotonic() - started > self.options.timeout:
                        raise _Fail("timeout")
            finally:
                response.close()
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise _Transient("connection closed") from e
        except httpx.TimeoutException as e:
            raise _Fail("timeout") from e
        except httpx.ConnectError as e:
            raise _Fail(_classify_network_error(e)) from e
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            raise _Fail("bad URL") from e
        except (httpx.HTTPError, OSError) as e:
            if self.stop.is_set():
                raise _Fail("deadline") from e
            raise _Fail(_classify_network_error(e)) from e
        return _Response(response.status_code, response.headers, body)

    def _send(self, method: str, url: str, headers: dict[str, str], kind: str) -> _Response:
        """One request, following redirects by hand: plain http only to listed hosts
        (checked before every hop), Authorization only to the origin it was meant for."""
        httpx = self.httpx
        current = httpx.URL(url)
        origin = (current.scheme, current.host, current.port)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send_once(method, current, headers, kind)
            location = response.headers.get("location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            try:
                nxt = current.join(location)
            except Exception as e:
                raise _Fail("bad redirect") from e
            if nxt.scheme not in ("http", "https") or not nxt.host:
                raise _Fail("bad redirect")
            self._refuse_plain_http(nxt, f"{response.status} redirect to")
            if (nxt.scheme, nxt.host, nxt.port) != origin:
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status == 303 and method != "HEAD":
                method = "GET"
            current = nxt
        raise _Fail("too many redirects")

    @staticmethod
    def _retry_after(response: _Response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
        return min(max(0.0, seconds), RETRY_AFTER_CAP)

    def _fetch(self, method: str, url: str, headers: dict[str, str], kind: str) -> _Response:
        """``_send`` with retries for 429, 5xx and dropped connections (exponential backoff)."""
        tries = max(1, int(self.options.retries))
        backoff = BACKOFF_START
        for attempt in range(1, tries + 1):
            try:
                response = self._send(method, url, headers, kind)
            except _Transient as e:
                reason, wait = e.reason, backoff
            else:
                if response.status != 429 and response.status < 500:
                    return response
                reason = _phrase(response.status)
                retry_after = self._retry_after(response)
                wait = backoff if retry_after is None else retry_after
            if attempt == tries or time.monotonic() + wait >= self.deadline_at:
                raise _Fail(f"{reason} (after {attempt} tries)")
            if self.stop.wait(wait):
                raise _Fail("deadline")
            backoff *= 2
        raise AssertionError("unreachable")

    # -- shared per-registry work -----------------------------------------------------------

    def _shared(self, table: dict, key, work) -> Any:
        with self.lock:
            once = table.get(key)
            owner = once is None
            if owner:
                once = table[key] = _Once()
        if owner:
            try:
                once.value = work()
            except BaseException as e:
                once.error = e
            finally:
                once.done.set()
        else:
            while not once.done.wait(0.05):
                if self.stop.is_set():
                    raise _Fail("deadline")
        if once.error is not None:
            raise once.error
        return once.value

    def _ping(self, registry: str) -> _Ping:
        try:
            r = self._fetch("GET", self._base_url(registry) + "/v2/", {}, "ping")
        except _Fail as e:
            if e.reason == "deadline":
                raise
            return _Ping(error=ProbeVerdict("error", e.reason))
        if 200 <= r.status < 300:
            return _Ping(open=True)
        if r.status == 401:
            return _Ping(bearer=_bearer(_parse_challenges(r.headers.get_list("www-authenticate"))))
        return _Ping()

    def _token(self, registry: str, challenge: _Challenge, repository: str):
        """Anonymous token for ``repository:<repo>:pull``: (token, None) or (None, verdict)."""
        realm = challenge.params["realm"]
        service = challenge.params.get("service")
        scope = f"repository:{repository}:pull"

        def fetch():
            httpx = self.httpx
            try:
                url = httpx.URL(realm)
            except Exception:
                return None, ProbeVerdict("error", "bad token realm")
            if url.scheme not in ("http", "https") or not url.host:
                return None, ProbeVerdict("error", "bad token realm")
            try:  # e.g. an https registry naming an http realm: a downgrade, never followed
                self._refuse_plain_http(url, "token realm")
            except _Fail as e:
                return None, ProbeVerdict("error", e.reason)
            params = {"scope": scope}
            if service:
                params["service"] = service
            try:
                r = self._fetch("GET", str(url.copy_merge_params(params)), {}, "token")
            except _Fail as e:
                if e.reason == "deadline":
                    raise
                return None, ProbeVerdict("error", f"token: {e.reason}")
            if r.status in (401, 403):
                return None, ProbeVerdict("private", f"{_phrase(r.status)} (token)")
            if not 200 <= r.status < 300:
                return None, ProbeVerdict("error", f"token: {_phrase(r.status)}")
            try:
                data = json.loads(r.body)
            except (ValueError, RecursionError):
                data = None
            token = None
            if isinstance(data, dict):
                token = data.get("token") or data.get("access_token")
            if not isinstance(token, str) or not token or any(c in token for c in "\r\n"):
                return None, ProbeVerdict("error", "token: no token in response")
            return token, None

        # One token per registry + scope: a token is only ever sent to the registry whose
        # challenge asked for it.
        key = (registry, realm, service or "", scope)
        return self._shared(self.tokens, key, fetch)

    # -- one target -------------------------------------------------------------------------

    def _manifest(self, t: ProbeTarget, headers: dict[str, str]) -> _Response:
        url = f"{self._base_url(t.registry)}/v2/{t.repository}/manifests/{t.reference}"
        if t.registry not in self.no_head:
            r = self._fetch("HEAD", url, headers, "manifest")
            if r.status != 405:
                return r
            self.no_head.add(t.registry)
        return self._fetch("GET", url, headers, "manifest")

    def probe(self, t: ProbeTarget) -> ProbeVerdict:
        try:
            return self._probe(t)
        except _Fail as e:
            return ProbeVerdict("error", e.reason)

    def _probe(self, t: ProbeTarget) -> ProbeVerdict:
        ping: _Ping = self._shared(self.pings, t.registry, lambda: self._ping(t.registry))
        if ping.error is not None:
            return ping.error
        headers = {"Accept": ACCEPT}
        challenge = ping.bearer
        used_token = False
        if challenge is not None:
            token, verdict = self._token(t.registry, challenge, t.repository)
            if verdict is not None:
                return verdict
            headers["Authorization"] = f"Bearer {token}"
            used_token = True
        r = self._manifest(t, headers)
        if r.status == 401:
            # A registry whose /v2/ was open (or that names another token service per
            # repository) asks for a token only now: fetch one and try once more.
            again = _bearer(_parse_challenges(r.headers.get_list("www-authenticate")))
            new_realm = again is not None and (
                challenge is None
                or again.params.get("realm") != challenge.params.get("realm")
                or again.params.get("service") != challenge.params.get("service")
            )
            if again is not None and new_realm:
                token, verdict = self._token(t.registry, again, t.repository)
                if verdict is not None:
                    return verdict
                headers["Authorization"] = f"Bearer {token}"
                used_token = True
                r = self._manifest(t, headers)
        return self._classify(r, answered=ping.open or used_token)

    @staticmethod
    def _classify(r: _Response, answered: bool) -> ProbeVerdict:
        if 200 <= r.status < 300:
            return ProbeVerdict("public", str(r.status))
        if r.status in (401, 403):
            return ProbeVerdict("private", _phrase(r.status))
        if r.status == 404:
            reason = _phrase(404)
            with contextlib.suppress(
                ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError
            ):
                code = json.loads(r.body)["errors"][0]["code"]
                if isinstance(code, str) and code:  # registry text: one bounded line
                    reason = "404 " + _clean(code.lower().replace("_", " "), CODE_MAX)
            # A 404 from a registry we could not talk to anonymously may hide a private repo.
            return ProbeVerdict("not-found" if answered else "private", reason)
        return ProbeVerdict("error", _phrase(r.status))


# ---------------------------------------------------------------------------------------------
# entry point


def _probe_distinct(
    targets: list[ProbeTarget], options: ProbeOptions, stats: ProbeStats, deadline_at: float
) -> dict[ProbeTarget, ProbeVerdict]:
    from concurrent.futures import ThreadPoolExecutor, wait

    prober = _Prober(options, stats, deadline_at)
    workers = max(1, min(int(options.concurrency), len(targets)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-probe")
    results: dict[ProbeTarget, ProbeVerdict] = {}
    finished = False
    try:
        futures = {t: pool.submit(prober.probe, t) for t in targets}
        wait(futures.values(), timeout=max(0.0, deadline_at - time.monotonic()))
        for t, future in futures.items():
            if not future.done():
                results[t] = ProbeVerdict("error", "deadline")
            elif future.exception() is not None:
                name = type(future.exception()).__name__
                results[t] = ProbeVerdict("error", f"internal error: {name}")
            else:
                results[t] = future.result()
        finished = all(f.done() for f in futures.values())
    finally:
        # At the deadline: stop retries and waits, drop queued targets, close the clients
        # (which aborts requests in flight) and return without waiting for the workers.
        prober.stop.set()
        pool.shutdown(wait=finished, cancel_futures=True)
        prober.close()
    return results


def probe_all(
    targets: Iterable[ProbeTarget], options: ProbeOptions
) -> tuple[dict[ProbeTarget, ProbeVerdict], ProbeStats]:
    """Probe every target anonymously; one verdict per given target (duplicates share one).

    Raises CacheFileError, before any request, when ``options.cache_path`` names something
    that is not a probe cache file. Verdict reasons are one printable line (``_clean``)."""
    started = time.monotonic()
    deadline_at = started + max(0.0, float(options.deadline))
    stats = ProbeStats()
    now = time.time()
    cache = _load_cache(options.cache_path, options.cache_ttl, now)

    verdicts: dict[ProbeTarget, ProbeVerdict] = {}
    canonical: dict[ProbeTarget, ProbeTarget | None] = {}
    by_key: dict[ProbeTarget, ProbeVerdict] = {}
    to_probe: dict[ProbeTarget, None] = {}  # ordered set
    for target in targets:
        if target in canonical:
            continue
        norm = canonical[target] = _normalise(target)
        if norm is None or norm in by_key or norm in to_probe:
            continue
        hit = cache.get(_cache_key(norm))
        if hit is not None:
            by_key[norm] = ProbeVerdict(hit["status"], hit["reason"], cached=True)
            stats.cache_hits += 1
        else:
            to_probe[norm] = None

    if to_probe:
        fresh = _probe_distinct(list(to_probe), options, stats, deadline_at)
        by_key.update(fresh)
        if options.cache_path:
            stamp = time.time()
            for t, v in fresh.items():
                if v.status in CACHEABLE:
                    reason = _clean(v.reason)
                    cache[_cache_key(t)] = {"status": v.status, "reason": reason, "time": stamp}
            stats.cache_warning = _write_cache(options.cache_path, cache)

    for target, norm in canonical.items():
        if norm is None:
            verdicts[target] = ProbeVerdict("error", "invalid reference")
        else:
            v = by_key[norm]
            verdicts[target] = ProbeVerdict(v.status, _clean(v.reason), v.cached)
    stats.seconds = time.monotonic() - started
    return verdicts, stats
