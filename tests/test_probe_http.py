"""Plain http only to hosts in insecureRegistries: a token realm, a redirect, or a downgrade
from https to any other http host is refused (never requested), and the probe fails with a
reason that says why. Real docker-registry in token mode (tests/registries.py: realm_regs,
whose realm is http on 127.0.0.2) and tiny redirecting servers, all on loopback."""

from __future__ import annotations

import pytest
from probe_tools import images_out, manifest_requests, netlocs, options, run, wire
from registries import SECOND_HOST, open_registry, redirect_all

from fn.probe import ProbeTarget, ProbeVerdict, probe_all

__all__ = ["wire"]

REFUSED = "refused (not in insecureRegistries)"


def realm_refused(token_host: str) -> ProbeVerdict:
    return ProbeVerdict("error", f"token realm plain http://{token_host} {REFUSED}")


@pytest.fixture
def trust_tls(monkeypatch, realm_regs):
    """Trust the throw-away certificate of the https registry (and of TLS fake servers)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(realm_regs.ca_file))


def assert_token_server_anonymous(realm_regs) -> None:
    for r in realm_regs.token_server.requests:  # server side: nothing but anonymous asks
        assert "authorization" not in r.headers, r


# --- token realm ------------------------------------------------------------------------------


@pytest.mark.parametrize("also_listed", [
    None,
    "127.0.0.1:{port}",  # the realm's port on another host
    "localhost:{port}",  # a name for the same machine is still another name
    SECOND_HOST,  # the realm's host, but without its port (that means port 80)
])  # fmt: skip
def test_http_realm_on_unlisted_host_is_refused(realm_regs, wire, also_listed):
    reg, tokens = realm_regs.plain, realm_regs.token_server
    tokens.reset()
    listed = [reg.host] + ([also_listed.format(port=tokens.port)] if also_listed else [])
    targets = [ProbeTarget(reg.host, "pub/app", "v1"), ProbeTarget(reg.host, "priv/app", "v1")]
    verdicts, stats = probe_all(targets, options(*listed))
    assert all(v == realm_refused(tokens.host) for v in verdicts.values())
    assert tokens.requests == []  # never asked
    assert tokens.host not in netlocs(wire)
    assert stats.token_requests == 0 and stats.manifest_requests == 0


def test_http_realm_on_listed_host_is_followed(realm_regs, wire):
    reg, tokens = realm_regs.plain, realm_regs.token_server
    tokens.reset()
    pub, priv = ProbeTarget(reg.host, "pub/app", "v1"), ProbeTarget(reg.host, "priv/app", "v1")
    verdicts, _ = probe_all([pub, priv], options(reg.host, tokens.host))
    assert verdicts[pub] == ProbeVerdict("public", "200")
    assert verdicts[priv] == ProbeVerdict("private", "401 Unauthorized")
    assert sorted(r.query["scope"][0] for r in tokens.requests) == [
        "repository:priv/app:pull", "repository:pub/app:pull"]
    assert_token_server_anonymous(realm_regs)
    bearer = {r.url.netloc.decode() for r in wire if "authorization" in r.headers}
    assert bearer == {reg.host}  # the token goes only to the registry that asked for it


def test_https_registry_with_http_realm_is_a_downgrade(realm_regs, trust_tls, wire):
    reg, tokens = realm_regs.tls, realm_regs.token_server
    tokens.reset()
    t = ProbeTarget(reg.host, "pub/app", "v1")
    verdicts, _ = probe_all([t], options())  # nothing listed: https, verified
    assert verdicts[t] == realm_refused(tokens.host)
    assert [(r.url.scheme, r.url.path) for r in wire] == [("https", "/v2/")]
    assert tokens.requests == []


def test_https_registry_with_http_realm_on_listed_host(realm_regs, trust_tls, wire):
    reg, tokens = realm_regs.tls, realm_regs.token_server
    tokens.reset()
    pub, priv = ProbeTarget(reg.host, "pub/app", "v1"), ProbeTarget(reg.host, "priv/app", "v1")
    verdicts, _ = probe_all([pub, priv], options(tokens.host))  # only the realm is listed
    assert verdicts[pub] == ProbeVerdict("public", "200")
    assert verdicts[priv] == ProbeVerdict("private", "401 Unauthorized")
    assert {r.url.scheme for r in wire if r.url.netloc.decode() == reg.host} == {"https"}
    assert tokens.requests and all(r.path == "/token" for r in tokens.requests)
    assert_token_server_anonymous(realm_regs)


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_unlisted_http_host_is_refused(fake_server, wire, status):
    target = fake_server(open_registry({"acme/api": {"v1"}}), "target", bind=SECOND_HOST)
    redirector = fake_server(redirect_all(target.url, status), "redirector")
    t = ProbeTarget(redirector.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(redirector.host))
    assert verdicts[t] == ProbeVerdict(
        "error", f"{status} redirect to plain http://{target.host} {REFUSED}")
    assert target.requests == []  # server side: never reached
    assert netlocs(wire) == {redirector.host}


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_listed_http_host_is_followed(registries, fake_server, wire, status):
    public = registries.public
    redirector = fake_server(redirect_all(public.url, status), "redirector")
    t = ProbeTarget(redirector.host, "app/hello", "v1")
    verdicts, _ = probe_all([t], options(redirector.host, public.host))
    assert verdicts[t] == ProbeVerdict("public", "200")
    assert {r.url.netloc.decode() for r in manifest_requests(wire)} == {
        redirector.host, public.host}
    assert all("authorization" not in r.headers for r in redirector.requests)


def test_https_redirect_to_http_is_refused_unless_listed(
    registries, fake_server, self_signed_cert, trust_tls, wire
):
    public = registries.public
    redirector = fake_server(redirect_all(public.url, 307), "tls-redirector",
                             tls=self_signed_cert)
    t = ProbeTarget(redirector.host, "app/hello", "v1")
    verdicts, _ = probe_all([t], options())  # the redirector is https, verified
    assert verdicts[t] == ProbeVerdict(
        "error", f"307 redirect to plain http://{public.host} {REFUSED}")
    assert public.host not in netlocs(wire)
    verdicts, _ = probe_all([t], options(public.host))
    assert verdicts[t] == ProbeVerdict("public", "200")


# --- what the user sees -----------------------------------------------------------------------


def test_refused_realm_is_a_probe_failure_with_a_warning(realm_regs, wire):
    reg, tokens = realm_regs.plain, realm_regs.token_server
    tokens.reset()
    image = f"{reg.host}/pub/app:v1"
    done, out = run([image], insecureRegistries=reg.host)
    assert done.code == 0
    assert images_out(out) == [image]  # private (onProbeError=private), but has a port:
    (warning,) = [r for r in done.results if r.severity == "warning"  # left, with a warning
                  and "proxy path" not in r.message]
    assert any("cannot stand in a proxy path" in r.message for r in done.results)
    assert warning.message == (
        f"{image}: private (probe: probe failed: token realm plain http://{tokens.host} "
        f"{REFUSED}; onProbeError=private)")
    done, out = run([image], insecureRegistries=reg.host, onProbeError="public")
    assert images_out(out) == [image]
    done, _ = run([image], insecureRegistries=reg.host, onProbeError="error")
    assert done.code == 1
    assert "token realm plain http://" in done.results[0].message
    assert tokens.requests == []
