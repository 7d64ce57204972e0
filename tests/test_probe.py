"""fn.probe against real servers: docker-registry (open, htpasswd, token auth) and small
misbehaving HTTP servers, all on 127.0.0.1 (see tests/registries.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from probe_tools import manifest_requests, options, wire
from registries import (
    BearerRegistry,
    always_500,
    basic_registry,
    flaky_429,
    head_not_allowed,
    open_registry,
    redirecting_registry,
    slow_server,
)

from fn.probe import (
    ProbeOptions,
    ProbeStats,
    ProbeTarget,
    ProbeVerdict,
    _api_host,
    _cache_key,
    _normalise,
    _parse_challenges,
    probe_all,
)

# fixtures (tests/registries.py, a plugin of tests/conftest.py): registries, fake_server,
# closed_port, self_signed_cert; ``wire`` (tests/probe_tools.py, autouse) records every request
__all__ = ["wire"]

REPO_ROOT = Path(__file__).resolve().parent.parent


# --- module hygiene and pure helpers ----------------------------------------------------------


def test_import_does_not_import_httpx():
    code = "import sys, fn.probe; print('httpx' in sys.modules, 'asyncio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert out[0] == "False"


def test_normalisation_docker_hub_and_hosts():
    hub = _normalise(ProbeTarget("index.docker.io", "nginx", "1.25"))
    assert hub == ProbeTarget("docker.io", "library/nginx", "1.25")
    assert _normalise(ProbeTarget("docker.io", "library/nginx", "1.25")) == hub
    assert _normalise(ProbeTarget("registry-1.docker.io", "nginx", "1.25")) == hub
    assert _cache_key(hub) == "docker.io/library/nginx@1.25"
    assert _api_host("docker.io") == "registry-1.docker.io"
    assert _api_host("quay.io") == "quay.io"
    assert _normalise(ProbeTarget("[::1]:5000", "a/b", "v1")) is not None
    assert _normalise(ProbeTarget("Quay.IO", "acme/api", "v1")).registry == "quay.io"
    digest = "sha256:" + "ab" * 32
    assert _normalise(ProbeTarget("quay.io", "a/b", f"v1@{digest}")).reference == digest
    for bad in (
        ProbeTarget("quay.io", "a/../b", "v1"),
        ProbeTarget("quay.io", "a/b", "v1?x=1"),
        ProbeTarget("evil.com/x?", "a/b", "v1"),
        ProbeTarget("quay.io", "A/B", "v1"),
        ProbeTarget("myregistry", "a/b", "v1"),  # not a domain in the grammar: a Hub path
        ProbeTarget("quay.io", "a/b", "sha256:" + "z" * 64),  # digests are hex (imageref)
        ProbeTarget("quay.io", "a/b", ""),
    ):
        assert _normalise(bad) is None


def test_targets_come_from_the_one_reference_grammar():
    """fn.probe has no reference grammar of its own: ProbeTarget.of/parse use fn.imageref."""
    import fn.probe
    from fn import imageref

    digest = "sha256:" + "ab" * 32
    for text, expected in (
        ("nginx", ("docker.io", "library/nginx", "latest")),
        ("nginx:1.25", ("docker.io", "library/nginx", "1.25")),
        (f"quay.io/a/b:v1@{digest}", ("quay.io", "a/b", digest)),
        ("localhost:5000/x/y:2", ("localhost:5000", "x/y", "2")),
        ("[::1]:5000/a:1", ("[::1]:5000", "a", "1")),
    ):
        target = ProbeTarget.parse(text)
        assert (target.registry, target.repository, target.reference) == expected
        assert target == ProbeTarget.of(imageref.parse(text))
        assert _normalise(target) is not None
    with pytest.raises(imageref.InvalidReference):
        ProbeTarget.parse("Quay.io/A/B:1")
    source = Path(fn.probe.__file__).read_text()
    for duplicate in ("_TAG_RE", "_DIGEST_RE", "_REPO_RE", "_HOST_RE", "[a-z0-9]+"):
        assert duplicate not in source


def test_parse_www_authenticate():
    (c,) = _parse_challenges(
        ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
         'scope="repository:library/nginx:pull",error="insufficient_scope"']
    )  # fmt: skip
    assert c.scheme == "bearer"
    assert c.params["realm"] == "https://auth.docker.io/token"
    assert c.params["scope"] == "repository:library/nginx:pull"
    both = _parse_challenges(['Basic realm="x", Bearer realm="https://a/t",service=s'])
    assert [x.scheme for x in both] == ["basic", "bearer"]
    assert both[1].params == {"realm": "https://a/t", "service": "s"}


def test_invalid_reference_makes_no_request(wire):
    bad = ProbeTarget("quay.io", "UPPER/case", "v1")
    verdicts, stats = probe_all([bad], ProbeOptions())
    assert verdicts[bad] == ProbeVerdict("error", "invalid reference")
    assert stats.requests == 0 and wire == []


# --- real docker-registry servers -------------------------------------------------------------


def test_public_registry(registries, wire):
    host = registries.public.host
    pub = ProbeTarget(host, "app/hello", "v1")
    by_digest = ProbeTarget(host, "app/hello", registries.digest)
    missing = ProbeTarget(host, "app/hello", "no-such-tag")
    no_repo = ProbeTarget(host, "app/nothing", "v1")
    verdicts, stats = probe_all([pub, by_digest, missing, no_repo], options(host))
    assert verdicts[pub] == ProbeVerdict("public", "200")
    assert verdicts[by_digest].status == "public"
    assert verdicts[missing].status == "not-found"
    assert verdicts[no_repo].status == "not-found"
    assert stats.manifest_requests == 4
    assert stats.requests == 5  # one /v2/ ping + four manifests
    assert [r.url.path for r in wire].count("/v2/") == 1
    assert {r.method for r in manifest_requests(wire)} == {"HEAD"}
    accept = manifest_requests(wire)[0].headers["accept"]
    for media_type in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ):
        assert media_type in accept


def test_htpasswd_registry_is_private(registries, wire):
    host = registries.private.host
    secret = ProbeTarget(host, "app/secret", "v1")
    unknown = ProbeTarget(host, "app/secret", "no-such-tag")
    verdicts, stats = probe_all([secret, unknown], options(host))
    assert verdicts[secret] == ProbeVerdict("private", "401 Unauthorized")
    assert verdicts[unknown].status == "private"  # nothing anonymous works: never "not-found"
    assert stats.token_requests == 0
    assert all("authorization" not in r.headers for r in wire)


def test_token_registry_anonymous_bearer_flow(registries, wire):
    """docker-registry in `auth: token` mode with the test token server."""
    host = registries.token.host
    tokens = registries.token_server
    tokens.reset()
    pub = ProbeTarget(host, "pub/app", "v1")
    pub_digest = ProbeTarget(host, "pub/app", registries.digest)
    pub_missing = ProbeTarget(host, "pub/app", "no-such-tag")
    priv = ProbeTarget(host, "priv/app", "v1")
    # the realm is plain http on another port: it must be listed too
    opts = options(host, tokens.host)
    verdicts, stats = probe_all([pub, pub_digest, pub_missing, priv], opts)
    assert verdicts[pub] == ProbeVerdict("public", "200")
    assert verdicts[pub_digest].status == "public"
    assert verdicts[pub_missing].status == "not-found"
    assert verdicts[priv] == ProbeVerdict("private", "401 Unauthorized")

    # the token server was really asked, anonymously, once per repository scope
    token_requests = [r for r in tokens.requests if r.path == "/token"]
    scopes = sorted(r.query["scope"][0] for r in token_requests)
    assert scopes == ["repository:priv/app:pull", "repository:pub/app:pull"]
    assert all(r.query["service"] == ["test-registry"] for r in token_requests)
    assert all("authorization" not in r.headers for r in token_requests)
    assert stats.token_requests == 2

    # every manifest request to the registry carried a bearer token; none went elsewhere
    manifests = manifest_requests(wire)
    assert len(manifests) == 4 == stats.manifest_requests
    assert all(r.headers["authorization"].startswith("Bearer ey") for r in manifests)
    for r in wire:
        if "authorization" in r.headers:
            assert r.url.netloc.decode() == host


# --- fake servers -----------------------------------------------------------------------------


@pytest.mark.parametrize("token_field", ["token", "access_token"])
def test_fake_bearer_registry_sees_token(fake_server, wire, token_field):
    images = {"acme/api": {"v1"}, "acme/secret": {"v1"}}
    reg = BearerRegistry(images, private={"acme/secret"}, token_field=token_field)
    srv = fake_server(reg)
    pub = ProbeTarget(srv.host, "acme/api", "v1")
    missing = ProbeTarget(srv.host, "acme/api", "v2")
    secret = ProbeTarget(srv.host, "acme/secret", "v1")
    verdicts, stats = probe_all([pub, missing, secret], options(srv.host))
    assert verdicts[pub].status == "public"
    assert verdicts[missing].status == "not-found"
    assert verdicts[secret].status == "private"

    token_hits = [r for r in srv.requests if r.path == "/token"]
    assert sorted(r.query["scope"][0] for r in token_hits) == [
        "repository:acme/api:pull",
        "repository:acme/secret:pull",
    ]
    assert all(r.query["service"] == ["fake-registry"] for r in token_hits)
    issued = {scope: tok for tok, scope in reg.tokens.items()}
    for r in srv.requests:
        if "/manifests/" in r.path:
            repo = r.path[4:].rpartition("/manifests/")[0]
            assert r.headers["authorization"] == f"Bearer {issued[f'repository:{repo}:pull']}"
    for r in srv.requests:  # server side: no credentials ever arrived
        assert not r.headers.get("authorization", "").lower().startswith("basic")
    assert stats.token_requests == 2
    assert srv.paths().count("/v2/") == 1


def test_basic_challenge_means_private(fake_server):
    srv = fake_server(basic_registry())
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(srv.host))
    assert verdicts[t] == ProbeVerdict("private", "401 Unauthorized")
    assert all("authorization" not in r.headers for r in srv.requests)


def test_connection_refused(closed_port):
    t = ProbeTarget(closed_port, "acme/api", "v1")
    verdicts, stats = probe_all([t], options(closed_port))
    assert verdicts[t] == ProbeVerdict("error", "connection refused")
    assert stats.manifest_requests == 0  # the /v2/ ping failed: no manifest request


def test_tls_verification_is_on(fake_server, self_signed_cert):
    srv = fake_server(open_registry({"acme/api": {"v1"}}), tls=self_signed_cert)
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options())  # not insecure: https with verification
    assert verdicts[t] == ProbeVerdict("error", "TLS error")
    assert srv.requests == []  # the handshake failed before any HTTP request


def test_slow_server_times_out(fake_server):
    srv = fake_server(slow_server(delay=10.0))
    t = ProbeTarget(srv.host, "acme/api", "v1")
    started = time.monotonic()
    verdicts, _ = probe_all([t], options(srv.host, timeout=0.3))
    assert verdicts[t] == ProbeVerdict("error", "timeout")
    assert time.monotonic() - started < 3.0


def test_deadline(fake_server):
    srv = fake_server(slow_server(delay=10.0))
    targets = [ProbeTarget(srv.host, "acme/api", f"v{i}") for i in range(3)]
    started = time.monotonic()
    verdicts, _ = probe_all(targets, options(srv.host, timeout=5.0, deadline=0.5))
    assert time.monotonic() - started < 2.0
    assert all(v == ProbeVerdict("error", "deadline") for v in verdicts.values())


def test_429_then_success_is_retried(fake_server):
    srv = fake_server(flaky_429(failures=1))
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, stats = probe_all([t], options(srv.host))
    assert verdicts[t] == ProbeVerdict("public", "200")
    assert stats.manifest_requests == 2
    assert srv.paths("HEAD") == ["/v2/acme/api/manifests/v1"] * 2


def test_5xx_is_an_error_after_retries(fake_server):
    srv = fake_server(always_500())
    t = ProbeTarget(srv.host, "acme/api", "v1")
    started = time.monotonic()
    verdicts, stats = probe_all([t], options(srv.host, retries=3))
    assert verdicts[t] == ProbeVerdict("error", "500 Internal Server Error (after 3 tries)")
    assert stats.manifest_requests == 3
    assert 0.5 <= time.monotonic() - started < 3.0  # backoff 0.2 s + 0.4 s


def test_head_405_falls_back_to_get(fake_server):
    srv = fake_server(head_not_allowed({"acme/api": {"v1"}}))
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(srv.host))
    assert verdicts[t].status == "public"
    methods = [r.method for r in srv.requests if "/manifests/" in r.path]
    assert methods == ["HEAD", "GET"]


def test_redirect_to_other_host_drops_the_token(fake_server):
    target = fake_server(open_registry({"acme/api": {"v1"}}), "redirect-target")
    srv = fake_server(redirecting_registry(target.url), "redirector")
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(srv.host, target.host))
    assert verdicts[t].status == "public"
    assert any("/manifests/" in r.path for r in target.requests)
    assert all("authorization" not in r.headers for r in target.requests)
    assert any(
        r.headers.get("authorization") == "Bearer redir-token"
        for r in srv.requests
        if "/manifests/" in r.path
    )


def test_one_manifest_request_per_distinct_target(fake_server):
    srv = fake_server(open_registry({"acme/api": {"v1", "v2"}}))
    a = ProbeTarget(srv.host, "acme/api", "v1")
    b = ProbeTarget(srv.host, "acme/api", "v2")
    a_again = ProbeTarget(srv.host.upper(), "acme/api", "v1")  # same after normalisation
    verdicts, stats = probe_all([a, a, b, a, b, a_again], options(srv.host))
    assert set(verdicts) == {a, b, a_again}
    assert all(v.status == "public" for v in verdicts.values())
    assert stats.manifest_requests == 2
    assert len([p for p in srv.paths() if "/manifests/" in p]) == 2
    assert srv.paths().count("/v2/") == 1


def test_concurrency_bound(fake_server):
    tags = {f"v{i}" for i in range(24)}
    srv = fake_server(open_registry({"acme/api": tags}, manifest_delay=0.1))
    targets = [ProbeTarget(srv.host, "acme/api", tag) for tag in sorted(tags)]
    verdicts, stats = probe_all(targets, options(srv.host, concurrency=4))
    assert all(v.status == "public" for v in verdicts.values())
    assert 2 <= srv.max_in_flight <= 4
    assert stats.manifest_requests == 24


# --- cache ------------------------------------------------------------------------------------


def test_cache_second_run_makes_no_request(registries, tmp_path, wire):
    cache = tmp_path / "cache" / "probe.json"
    pub = ProbeTarget(registries.public.host, "app/hello", "v1")
    missing = ProbeTarget(registries.public.host, "app/hello", "no-such-tag")
    priv = ProbeTarget(registries.private.host, "app/secret", "v1")
    opts = options(registries.public.host, registries.private.host, cache_path=str(cache))
    first, stats1 = probe_all([pub, missing, priv], opts)
    assert stats1.requests > 0 and stats1.cache_hits == 0
    assert not any(v.cached for v in first.values())

    data = json.loads(cache.read_text())
    assert data["kind"] == "replicated-proxy-fn/probe-cache" and data["version"] == 2
    assert set(data["entries"]) == {
        f"{pub.registry}/app/hello@v1",
        f"{missing.registry}/app/hello@no-such-tag",
        f"{priv.registry}/app/secret@v1",
    }
    entry = data["entries"][f"{pub.registry}/app/hello@v1"]
    assert entry["status"] == "public" and abs(entry["time"] - time.time()) < 60

    wire.clear()
    second, stats2 = probe_all([pub, missing, priv], opts)
    assert stats2.requests == 0 and wire == []
    assert stats2.cache_hits == 3
    assert all(v.cached for v in second.values())
    assert {t: v.status for t, v in second.items()} == {t: v.status for t, v in first.items()}


def test_errors_are_not_cached(closed_port, tmp_path):
    cache = tmp_path / "probe.json"
    t = ProbeTarget(closed_port, "acme/api", "v1")
    opts = options(closed_port, cache_path=str(cache))
    verdicts, _ = probe_all([t], opts)
    assert verdicts[t].status == "error"
    assert json.loads(cache.read_text()) == {
        "kind": "replicated-proxy-fn/probe-cache", "version": 2, "entries": {}}
    again, stats = probe_all([t], opts)
    assert stats.requests == 1 and not again[t].cached


def test_expired_cache_entry_is_reprobed(fake_server, tmp_path):
    srv = fake_server(open_registry({"acme/api": {"v1"}}))
    old = ProbeTarget(srv.host, "acme/api", "v1")
    fresh = ProbeTarget(srv.host, "acme/api", "v2")
    cache = tmp_path / "probe.json"
    now = time.time()
    cache.write_text(
        json.dumps(
            {
                "version": 1,
                "entries": {
                    f"{srv.host}/acme/api@v1": {
                        "status": "private",
                        "reason": "x",
                        "time": now - 600,
                    },
                    f"{srv.host}/acme/api@v2": {
                        "status": "private",
                        "reason": "y",
                        "time": now - 5,
                    },
                },
            }
        )
    )
    verdicts, stats = probe_all(
        [old, fresh], options(srv.host, cache_path=str(cache), cache_ttl=60)
    )
    assert verdicts[old] == ProbeVerdict("public", "200")  # stale: asked again
    assert verdicts[fresh] == ProbeVerdict("private", "y", cached=True)
    assert stats.cache_hits == 1 and stats.manifest_requests == 1
    entries = json.loads(cache.read_text())["entries"]
    assert entries[f"{srv.host}/acme/api@v1"]["status"] == "public"
    assert entries[f"{srv.host}/acme/api@v2"]["time"] == pytest.approx(now - 5)


def test_bad_entries_of_our_cache_are_ignored(fake_server, tmp_path):
    srv = fake_server(open_registry({"acme/api": {"v1"}}))
    cache = tmp_path / "probe.json"
    now = time.time()
    entries = {
        f"{srv.host}/acme/api@v1": {"status": "error", "reason": "x", "time": now},  # never
        f"{srv.host}/acme/api@v2": "not an entry",
        f"{srv.host}/acme/api@v3": {"status": "private", "reason": 7, "time": now},
        f"{srv.host}/acme/api@v4": {"status": "private", "reason": "r", "time": True},
    }
    cache.write_text(json.dumps(
        {"kind": "replicated-proxy-fn/probe-cache", "version": 2, "entries": entries}))
    targets = [ProbeTarget(srv.host, "acme/api", f"v{i}") for i in range(1, 5)]
    verdicts, stats = probe_all(targets, options(srv.host, cache_path=str(cache)))
    assert stats.cache_hits == 0 and stats.manifest_requests == 4
    assert [verdicts[t].status for t in targets] == ["public"] + ["not-found"] * 3
    data = json.loads(cache.read_text())
    assert sorted(data["entries"]) == sorted(entries)  # rewritten with good entries only
    assert {e["status"] for e in data["entries"].values()} == {"public", "not-found"}
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_stats_type():
    _, stats = probe_all([], ProbeOptions())
    assert isinstance(stats, ProbeStats) and stats.requests == 0
