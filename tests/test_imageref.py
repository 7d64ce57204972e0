"""fn.imageref: the distribution/reference grammar (shared/reference/image-reference.md),
the normalised name patterns are matched on, which references can stand in a proxy path
(checked against skopeo), and the proxy rewrite built on it (fn.targets.ProxyTarget /
_decide)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from helpers import count
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from fn.classify import Verdict
from fn.imageref import (
    REFERENCE,
    host_of,
    normalize_domain,
    parse,
    proxiable,
    proxy_name,
    split_domain,
)
from fn.license import Proxy
from fn.problems import InvalidReference, Problem
from fn.redacted import Redacted
from fn.targets import ProxyTarget

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    derandomize="FUZZ_SCALE" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


DIGEST = "sha256:" + "0123456789abcdef" * 4

# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(("ref", "name", "tag", "digest", "domain", "path"), [
    ("nginx", "nginx", None, None, "docker.io", "library/nginx"),
    ("nginx:1.25", "nginx", "1.25", None, "docker.io", "library/nginx"),
    ("library/nginx", "library/nginx", None, None, "docker.io", "library/nginx"),
    ("docker.io/nginx", "docker.io/nginx", None, None, "docker.io", "library/nginx"),
    ("index.docker.io/nginx", "index.docker.io/nginx", None, None, "docker.io",
     "library/nginx"),
    ("index.docker.io/acme/api:v1", "index.docker.io/acme/api", "v1", None, "docker.io",
     "acme/api"),
    ("acme/api", "acme/api", None, None, "docker.io", "acme/api"),
    ("quay.io/acme/api:v1.2.3", "quay.io/acme/api", "v1.2.3", None, "quay.io", "acme/api"),
    ("localhost/x", "localhost/x", None, None, "localhost", "x"),
    ("localhost:5000/x:1", "localhost:5000/x", "1", None, "localhost:5000", "x"),
    # a colon before the first "/" is a port, not a tag
    ("registry:5000/app", "registry:5000/app", None, None, "registry:5000", "app"),
    ("localhost:5000", "localhost", "5000", None, "docker.io", "library/localhost"),
    (f"registry.example.com:5000/team/app:v2@{DIGEST}", "registry.example.com:5000/team/app",
     "v2", DIGEST, "registry.example.com:5000", "team/app"),
    (f"nginx@{DIGEST}", "nginx", None, DIGEST, "docker.io", "library/nginx"),
    (f"nginx:1@{DIGEST}", "nginx", "1", DIGEST, "docker.io", "library/nginx"),
    ("nginx@sha512:" + "A" * 128, "nginx", None, "sha512:" + "A" * 128, "docker.io",
     "library/nginx"),
    ("x@multihash+base58.v1:" + "0" * 32, "x", None, "multihash+base58.v1:" + "0" * 32,
     "docker.io", "library/x"),
    ("[::1]:5000/img", "[::1]:5000/img", None, None, "[::1]:5000", "img"),
    ("[2001:db8::1]/img:latest", "[2001:db8::1]/img", "latest", None, "[2001:db8::1]", "img"),
    # an uppercase domain is fine, and an uppercase first component is a domain; the
    # domain is normalised (the name keeps its spelling)
    ("Registry.Example.COM/app", "Registry.Example.COM/app", None, None,
     "registry.example.com", "app"),
    ("Foo/bar", "Foo/bar", None, None, "FOO", "bar"),
    ("QUAY.IO/acme/api:1", "QUAY.IO/acme/api", "1", None, "quay.io", "acme/api"),
    ("quay.io:443/acme/api:1", "quay.io:443/acme/api", "1", None, "quay.io", "acme/api"),
    ("registry-1.docker.io/acme/api:1", "registry-1.docker.io/acme/api", "1", None,
     "docker.io", "acme/api"),
    ("Index.Docker.IO:443/nginx", "Index.Docker.IO:443/nginx", None, None, "docker.io",
     "library/nginx"),
    ("[0:0::1]:05000/img", "[0:0::1]:05000/img", None, None, "[::1]:5000", "img"),
    ("[2001:DB8::1]:443/img", "[2001:DB8::1]:443/img", None, None, "[2001:db8::1]", "img"),
    ("ghcr.io/a__b/c--d/e.f_g:Tag_1.0-rc", "ghcr.io/a__b/c--d/e.f_g", "Tag_1.0-rc", None,
     "ghcr.io", "a__b/c--d/e.f_g"),
    ("a/b/c/d/e", "a/b/c/d/e", None, None, "docker.io", "a/b/c/d/e"),
    ("x:_", "x", "_", None, "docker.io", "library/x"),
    ("nginx:" + "a" * 128, "nginx", "a" * 128, None, "docker.io", "library/nginx"),
    ("a" * 255, "a" * 255, None, None, "docker.io", "library/" + "a" * 255),
    ("q.io/" + "b" * 250, "q.io/" + "b" * 250, None, None, "q.io", "b" * 250),
])
def test_valid(ref, name, tag, digest, domain, path):
    r = parse(ref)
    assert (r.written, r.name, r.tag, r.digest, r.domain, r.path) == (
        ref, name, tag, digest, domain, path)
    assert r.name + r.suffix == ref
    assert r.normalized == f"{domain}/{path}"
    assert r.reference == (digest or tag or "latest")


@pytest.mark.parametrize(("ref", "why"), [
    ("", "empty"),
    (" nginx", "white space"),
    ("nginx\n", "white space"),
    ("docker.io/Library/nginx", "lowercase"),
    ("ghcr.io/Acme/api:v1", "lowercase"),
    ("Nginx", "not a valid"),
    ("nginx:", "not a valid"),
    ("nginx:-x", "not a valid"),
    ("nginx:.x", "not a valid"),
    ("nginx:" + "a" * 129, "not a valid"),
    ("nginx:é", "not a valid"),            # the grammar's \w is ASCII
    ("nginx:1٣", "not a valid"),
    ("ngïnx", "not a valid"),
    ("nginx@sha256:abc", "not a valid"),   # fewer than 32 hex digits
    ("nginx@sha256:" + "g" * 64, "not a valid"),
    ("nginx@256:" + "0" * 64, "not a valid"),
    ("nginx:1.25@", "not a valid"),
    ("a//b", "not a valid"),
    ("a/", "not a valid"),
    ("/a", "not a valid"),
    ("-a", "not a valid"),
    ("a-", "not a valid"),
    ("a..b", "not a valid"),
    ("a___b", "not a valid"),
    ("registry:5000:6000/x", "not a valid"),
    ("[::1/x", "not a valid"),
    ("[::g]/x", "not a valid"),
    ("http://nginx", "not a valid"),
    ("-registry.io/x", "not a valid"),
    ("a" * 256, "longer than 255"),
    ("q.io/" + "b" * 251, "longer than 255"),
])
def test_invalid(ref, why):
    with pytest.raises(InvalidReference, match=why):
        parse(ref)


@pytest.mark.parametrize(("name", "want"), [
    ("nginx", ("docker.io", "library/nginx")),
    ("acme/api", ("docker.io", "acme/api")),
    ("index.docker.io/x", ("docker.io", "library/x")),
    ("docker.io/acme/x", ("docker.io", "acme/x")),
    ("localhost/x", ("localhost", "x")),
    ("my.registry/x", ("my.registry", "x")),
    ("reg:1/x", ("reg:1", "x")),
    ("Reg/x", ("REG", "x")),
    ("reg:443/x", ("REG", "x")),
    ("QUAY.IO:443/x", ("quay.io", "x")),
    ("registry-1.docker.io/x", ("docker.io", "library/x")),
    # "." makes a domain only of what can be one (a host has no "_")
    ("a.b_c/x", ("docker.io", "a.b_c/x")),
    ("0.0_0/0/0", ("docker.io", "0.0_0/0/0")),
])
def test_split_domain(name, want):
    assert split_domain(name) == want


@pytest.mark.parametrize(("domain", "want"), [
    ("quay.io", "quay.io"), ("QUAY.IO", "quay.io"), ("quay.io:443", "quay.io"),
    ("Quay.Io:0443", "quay.io"), ("quay.io:5000", "quay.io:5000"),
    ("quay.io:05000", "quay.io:5000"),
    ("docker.io", "docker.io"), ("index.docker.io", "docker.io"),
    ("REGISTRY-1.DOCKER.IO:443", "docker.io"), ("docker.io:5000", "docker.io:5000"),
    ("localhost", "localhost"), ("LocalHost:443", "localhost"), ("localhost:80", "localhost:80"),
    ("[::1]", "[::1]"), ("[0:0:0:0:0:0:0:1]:443", "[::1]"),
    ("[2001:DB8::1]:5000", "[2001:db8::1]:5000"),
    ("[::ffff:102:304]", "[::ffff:102:304]"),  # never the dotted IPv4 form, not a domain
    ("[1:2:3]", "[1:2:3]"),                    # the grammar allows it; no address: lowercased
    # a one-label host is a registry while it has an uppercase letter (or a port)
    ("Reg", "REG"), ("reg:443", "REG"), ("reg:5000", "reg:5000"), ("123:443", "123:443"),
])
def test_normalize_domain(domain, want):
    assert normalize_domain(domain) == want
    assert normalize_domain(want) == want
    assert split_domain(f"{domain}/x") == (want, "library/x" if want == "docker.io" else "x")


@pytest.mark.parametrize(("setting", "host"), [
    ("quay.io", "quay.io"), ("https://quay.io/v2", "quay.io"), (" http://x:5000/ ", "x:5000"),
    ("proxy.example.com/", "proxy.example.com"),
])
def test_host_of(setting, host):
    assert host_of(setting) == host


def test_parse_is_linear_on_long_hostile_input():
    import time

    for text in ["a." * 20000 + "!", "a-" * 20000 + "!", "a/" * 20000 + "A", "A" * 40000,
                 "[" + ":" * 40000, "a_" * 20000 + "_!", "a:" + "b" * 40000, "a@b:" * 10000]:
        t = time.perf_counter()
        with pytest.raises(InvalidReference):
            parse(text)
        assert time.perf_counter() - t < 0.5


# --------------------------------------------------------------------------- generated

_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_component = st.builds(
    lambda first, rest: first + "".join(s + a for s, a in rest),
    _alnum, st.lists(st.tuples(st.sampled_from([".", "_", "__", "-", "--", "---"]), _alnum),
                     max_size=2))
_label_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_label = st.one_of(
    st.text(_label_chars, min_size=1, max_size=1),
    st.builds(lambda a, mid, b: a + mid + b, st.text(_label_chars, min_size=1, max_size=1),
              st.text(_label_chars + "-", max_size=6), st.text(_label_chars, min_size=1,
                                                                max_size=1)))
_port = st.integers(0, 99999).map(str)
_host = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.just("localhost"),
    st.sampled_from(["[::1]", "[2001:db8::1]", "[fe80::1:2]", "[::]", "[0:0::1]",
                     "[2001:0DB8:0:0::1]"]),
    st.sampled_from(["docker.io", "index.docker.io", "registry-1.docker.io", "quay.io",
                     "ghcr.io", "Registry.IO", "QUAY.IO", "Docker.IO"]))
_port = st.one_of(_port, st.sampled_from(["443", "0443", "5000", "05000", "80"]))
_domain = st.one_of(st.none(), _host, st.builds(lambda h, p: f"{h}:{p}", _host, _port))
_tag = st.one_of(
    st.builds(lambda a, b: a + b, st.sampled_from(_label_chars + "_"),
              st.text(_label_chars + "_.-", max_size=12)),
    st.builds(lambda a, n: a * n, st.sampled_from("a_9Z"), st.integers(100, 128)))
_letter = st.sampled_from("abcxyzABZ")
_algorithm = st.one_of(
    st.sampled_from(["sha256", "sha512", "multihash+base58"]),
    st.builds(lambda a, rest: a + "".join(s + b for s, b in rest), _letter,
              st.lists(st.tuples(st.sampled_from(["", "-", "_", "+", "."]), _letter),
                       max_size=3)))
_digest = st.builds(lambda a, h, n: f"{a}:{h * n}", _algorithm,
                    st.text("0123456789abcdefABCDEF", min_size=8, max_size=8),
                    st.integers(4, 9))


@st.composite
def references(draw):
    """A valid reference, and the parts it was made of."""
    domain = draw(_domain)
    path = "/".join(draw(st.lists(_component, min_size=1, max_size=4)))
    name = f"{domain}/{path}" if domain else path
    assume(len(name) <= 255)
    if domain is None and "/" in name:
        first = name.split("/", 1)[0]
        assume(first != "localhost")  # (a "localhost" component would be a domain)
    tag = draw(st.none() | _tag)
    digest = draw(st.none() | _digest)
    ref = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return ref, name, tag, digest


_SAME_IPV6 = {"[::1]": "[::1]", "[2001:db8::1]": "[2001:db8::1]", "[fe80::1:2]": "[fe80::1:2]",
              "[::]": "[::]", "[0:0::1]": "[::1]", "[2001:0db8:0:0::1]": "[2001:db8::1]"}


def expected_domain(first: str) -> str:
    """The normalised registry, written out again for the test (another way round)."""
    if first.startswith("["):
        host, _, port = first.partition("]")
        host, port = host + "]", port[1:]
    else:
        host, _, port = first.partition(":")
    host = _SAME_IPV6.get(host.lower(), host.lower())
    port = port.lstrip("0") or ("0" if port else "")
    if port == "443":
        port = ""
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io") and not port:
        return "docker.io"
    one_label = "." not in host and host != "localhost" and not host.startswith("[")
    if one_label and not port:
        return host.upper() if any(c.isalpha() for c in host) else host + ":443"
    return host + (":" + port if port else "")


def expected_split(name: str) -> tuple[str, str]:
    """Docker's domain rule, written out again for the test."""
    first, _, rest = name.partition("/")
    if rest and (first == "localhost" or "." in first or ":" in first or first.lower() != first
                 ) and "_" not in first:
        domain, path = expected_domain(first), rest
    else:
        domain, path = "docker.io", name
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    return domain, path


@fuzz(600)
@given(references())
def test_generated_references_parse(parts):
    count("imageref.generated_references_parse")
    ref, name, tag, digest = parts
    r = parse(ref)
    assert r.name + r.suffix == ref
    assert (r.name, r.tag, r.digest) == (name, tag, digest)
    assert (r.domain, r.path) == expected_split(name)


@fuzz(600)
@given(references(), st.sampled_from([None, "proxy.replicated.com/proxy/acme",
                                      "images.example.com/proxy/a-b_c", "a/proxy/a"]))
def test_proxiable_is_the_whole_reference_under_the_prefix(parts, prefix):
    """The name's grammar is checked once per name (fn.imageref._is_name): the verdict is
    the one the whole reference under the prefix gets, tag and digest included."""
    count("imageref.proxiable_is_the_whole_reference")
    ref = parse(parts[0])
    name = f"{prefix or 'a/proxy/a'}/{ref.name}"
    m = REFERENCE.fullmatch(name + ref.suffix)
    whole = m is not None and m.group(1) == name and len(name) <= 255
    assert (proxiable(ref, prefix) is None) == whole


@fuzz(300)
@given(references())
def test_normalisation_is_idempotent(parts):
    count("imageref.normalisation_is_idempotent")
    r = parse(parts[0])
    assume(len(r.normalized) <= 255)
    again = parse(r.normalized)
    assert again.normalized == r.normalized
    assert (again.domain, again.path) == (r.domain, r.path)
    assert parse(again.normalized + r.suffix).suffix == r.suffix


@fuzz(500)
@given(st.lists(st.sampled_from([*"aZ0/:@._-[]é", "sha256", "sha256:" + "a" * 32]),
                max_size=30).map("".join))
def test_anything_else_is_invalid_or_round_trips(text):
    """parse raises InvalidReference or gives back the parts of what it was given."""
    count("imageref.anything_else_is_invalid_or_round_trips")
    try:
        r = parse(text)
    except InvalidReference:
        return
    assert r.name + r.suffix == text
    assert text.isascii()
    assert re.fullmatch(r"[\x21-\x7e]+", text)


# --------------------------------------------------------------------------- the rewrite


def proxy(domain: str = "proxy.replicated.com") -> Proxy:
    return Proxy(license_id=Redacted("lic"), app_slug="my-app", proxy_domain=domain,
                 registry_domain="registry.replicated.com",
                 replicated_registry="registry.replicated.com", pull_secret_name="my-app-reg")


def decide(values: list[str], p: Proxy) -> list[str | None]:
    """What the proxy target makes of each value when every image is private."""
    target = ProxyTarget(p)
    out = []
    for v in values:
        settled = target.settle(v)
        out.append(settled[0] if settled is not None
                   else target.rewrite(parse(v), Verdict(True, "proxyAll is true")))
    return out


@pytest.mark.parametrize(("image", "want"), [
    ("nginx", "proxy.replicated.com/proxy/my-app/nginx"),
    ("nginx:1.25", "proxy.replicated.com/proxy/my-app/nginx:1.25"),
    (f"nginx@{DIGEST}", f"proxy.replicated.com/proxy/my-app/nginx@{DIGEST}"),
    (f"quay.io/acme/api:v1@{DIGEST}",
     f"proxy.replicated.com/proxy/my-app/quay.io/acme/api:v1@{DIGEST}"),
    ("index.docker.io/acme/api:v1",
     "proxy.replicated.com/proxy/my-app/index.docker.io/acme/api:v1"),
    ("proxy.replicated.com/proxy/my-app/nginx", None),   # already proxied
    ("registry.replicated.com/my-app/api:1", None),      # the Replicated registry
])
def test_rewrite_examples(image, want):
    assert decide([image], proxy()) == [want]


@fuzz(300)
@given(references(), st.sampled_from(["proxy.replicated.com", "proxy.example.com:8443",
                                      "images.acme.io"]))
def test_rewrite_keeps_the_reference_and_is_idempotent(parts, domain):
    count("imageref.rewrite_keeps_the_reference_and_is_idempotent")
    ref, _, tag, digest = parts
    p = proxy(domain)
    assume(not ref.startswith(domain + "/") and not ref.startswith(p.registry_domain + "/"))
    prefix = f"{domain}/proxy/my-app"
    why = proxiable(parse(ref), prefix)
    if proxy_name(parse(ref), prefix) is None:  # a port or an IPv6 host: refused, with why
        assert why
        with pytest.raises(Problem, match=r"cannot stand in a proxy path|characters long"):
            decide([ref], p)
        return
    [new] = decide([ref], p)
    note(new)
    if why is None:
        assert new == f"{prefix}/{ref}"  # the name as written, tag and digest kept
    assert parse(new).tag == tag and parse(new).digest == digest
    assert decide([new], p) == [None]              # a second run changes nothing


# --------------------------------------------------------------------------- proxiable

PREFIX = "proxy.replicated.com/proxy/acme"


@pytest.mark.parametrize(("image", "why"), [
    ("localhost:5000/acme/api:1", "its registry has a port (localhost:5000), which cannot stand"
     " in a proxy path"),
    ("registry:5000/x", "its registry has a port (registry:5000)"),
    ("quay.io:443/acme/api", "its registry has a port (quay.io:443)"),
    ("[::1]:5000/x", "its registry is an IPv6 address ([::1]:5000), which cannot stand"),
    ("[2001:db8::1]/x:1", "its registry is an IPv6 address ([2001:db8::1])"),
    ("QUAY.IO/acme/api:1", "its registry is written with uppercase letters (QUAY.IO)"),
    ("Reg/x", "its registry is written with uppercase letters (Reg)"),
    ("q.io/" + "b" * 250, "would be 287 characters long, more than the 255"),
])
def test_not_proxiable(image, why):
    got = proxiable(parse(image), PREFIX)
    assert got is not None and why in got
    assert "\n" not in got
    with pytest.raises(InvalidReference):
        parse(f"{PREFIX}/{parse(image).name}{parse(image).suffix}")


@pytest.mark.parametrize("image", [
    "nginx", "nginx:1.25", "acme/api:1", "docker.io/library/nginx", "index.docker.io/acme/x",
    "quay.io/acme/api:v1@" + DIGEST, "localhost/x", "a.b-c.example/x/y/z",
    "registry-1.docker.io/acme/api", "q.io/" + "b" * 218,  # 223 + 32 = 255
])
def test_proxiable(image):
    r = parse(image)
    assert proxiable(r) is None
    assert proxiable(r, PREFIX) is None
    new = parse(f"{PREFIX}/{r.name}{r.suffix}")   # what the rewrite writes parses back
    assert (new.domain, new.path, new.tag, new.digest) == (
        "proxy.replicated.com", f"proxy/acme/{r.name}", r.tag, r.digest)


def test_proxiable_length_depends_on_the_prefix():
    r = parse("q.io/" + "b" * 240)  # 245 characters
    assert proxiable(r) is None                                 # "a/proxy/a/" fits
    assert "characters long" in proxiable(r, PREFIX)         # the real prefix does not
    with pytest.raises(ValueError, match="not a reference name"):
        proxiable(r, "proxy.replicated.com/proxy/Acme")


@fuzz(400)
@given(references(), st.sampled_from([None, PREFIX, "proxy.example.com:8443/proxy/my-app",
                                      "p.io/proxy/" + "s" * 60]))
def test_proxiable_is_exact(parts, prefix):
    """proxiable says None exactly when the proxy path parses, for any prefix: the lead
    can refuse on it without ever writing a reference that does not parse."""
    count("imageref.proxiable_is_exact")
    r = parse(parts[0])
    why = proxiable(r, prefix)
    new = f"{prefix or 'a/proxy/a'}/{r.name}{r.suffix}"
    note(f"{new} -> {why}")
    if why is None:
        again = parse(new)
        assert again.name == f"{prefix or 'a/proxy/a'}/{r.name}"
        assert (again.tag, again.digest) == (r.tag, r.digest)
    else:
        with pytest.raises(InvalidReference):
            parse(new)
        assert why.startswith("its ") and "\n" not in why and len(why) < 400
    if prefix is None and why is None:  # "any host": true of a longer one when it fits
        assert proxiable(r, PREFIX) is None or len(f"{PREFIX}/{r.name}") > 255
    name = proxy_name(r, prefix)
    if name is not None:   # a name that stands under the proxy, for the same image
        assert parse(name + r.suffix).normalized == r.normalized
        parse(f"{prefix or 'a/proxy/a'}/{name}{r.suffix}")
    else:
        assert why is not None


@pytest.mark.parametrize(("image", "name"), [
    ("nginx:1", "nginx"), ("quay.io/acme/api", "quay.io/acme/api"),
    ("QUAY.IO/acme/api:1", "quay.io/acme/api"), ("Quay.io:0443/acme/api", "quay.io/acme/api"),
    ("LOCALHOST/x", "localhost/x"),
    ("localhost:5000/x", None), ("[::1]/x", None), ("Reg/x", None), ("reg:443/x", None),
])
def test_proxy_name(image, name):
    assert proxy_name(parse(image)) == name


SKOPEO = shutil.which("skopeo")


@pytest.mark.skipif(SKOPEO is None, reason="skopeo is installed by .ci/run")
def test_proxiable_agrees_with_skopeo():
    """skopeo (containers/image, the parser CRI-O and podman use) refuses exactly the
    proxy paths proxiable refuses. The proxy host is 127.0.0.1:9 (nothing listens): a
    name skopeo accepts fails on the connection instead, without DNS or network."""
    images = ["localhost:5000/acme/api:1", "registry:5000/x", "[::1]:5000/x",
              "[2001:db8::1]/x:1", "QUAY.IO/acme/api:1", "quay.io:443/acme/api:1",
              "q.io/" + "b" * 240, "nginx:1.25", "acme/api:1", "quay.io/acme/api:1",
              "localhost/x:1", f"ghcr.io/acme/api@{DIGEST}"]  # (skopeo takes no tag@digest)
    prefix = "127.0.0.1:9/proxy/acme"
    for image in images:
        r = parse(image)
        new = f"{prefix}/{r.name}{r.suffix}"
        done = subprocess.run([SKOPEO, "inspect", "--raw", "--retry-times", "0",
                               "--tls-verify=false", f"docker://{new}"],
                              capture_output=True, text=True, timeout=60)
        refused = ("invalid reference format" in done.stderr
                   or "must not be more than 255 characters" in done.stderr)
        reached = "connection refused" in done.stderr  # a name skopeo took
        assert done.returncode != 0 and refused != reached, (new, done.stderr)
        assert refused == (proxiable(r, prefix) is not None), (new, done.stderr)

