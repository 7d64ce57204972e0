"""fn.patterns: privateImages / publicImages patterns, normalised like image names, so
that every spelling of one image gets one verdict."""

from __future__ import annotations

import ipaddress
import os

import pytest
from helpers import count
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from test_imageref import DIGEST, references

from fn.imageref import parse as ref
from fn.patterns import first_match, parse, parse_all, split_list
from fn.problems import Problem

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def pattern(text: str):
    return parse(text, "privateImages")


def matches(p: str, image: str) -> bool:
    return pattern(p).matches(ref(image))


@pytest.mark.parametrize(("p", "yes", "no"), [
    # a registry host
    ("quay.io", ["quay.io/a", "quay.io/acme/api:v1", f"quay.io/a@sha256:{'0' * 64}"],
     ["quay.iox/a", "quay.io.evil.com/a", "docker.io/quay.io", "ghcr.io/quay.io/x"]),
    ("localhost:5000", ["localhost:5000/x"], ["localhost/x", "localhost:5001/x"]),
    ("localhost", ["localhost/x"], ["localhost:5000/x"]),
    ("[::1]:5000", ["[::1]:5000/img"], ["[::1]/img"]),
    ("index.docker.io", ["nginx", "acme/api", "docker.io/acme/api"], ["quay.io/nginx"]),
    ("docker.io/", ["nginx", "index.docker.io/acme/x"], ["ghcr.io/x"]),
    # a repository prefix, with a trailing slash
    ("ghcr.io/acme/", ["ghcr.io/acme/api", "ghcr.io/acme/api/sub:1", "ghcr.io/acme/x@sha256:"
                       + "0" * 64],
     ["ghcr.io/acmecorp/api", "ghcr.io/other/acme", "quay.io/acme/api"]),
    # a repository (and what lies under it), without one
    ("ghcr.io/acme/api", ["ghcr.io/acme/api", "ghcr.io/acme/api:v1", "ghcr.io/acme/api/sub"],
     ["ghcr.io/acme/api2", "ghcr.io/acme/ap", "ghcr.io/acme"]),
    ("registry:5000/team/", ["registry:5000/team/app"], ["registry:5000/teams/app"]),
    # Docker Hub shorthand
    ("acme/", ["acme/api", "docker.io/acme/api", "index.docker.io/acme/api:v1"],
     ["ghcr.io/acme/api", "acmecorp/api", "nginx"]),
    ("acme/api", ["acme/api:1", "docker.io/acme/api"], ["acme/api2", "quay.io/acme/api"]),
    ("nginx", ["nginx", "nginx:1.25", "library/nginx", "docker.io/library/nginx",
               "index.docker.io/nginx"], ["nginxinc/nginx", "quay.io/nginx", "acme/nginx"]),
    ("library/", ["nginx", "redis:7", "docker.io/library/busybox"], ["acme/api"]),
    ("docker.io/nginx", ["nginx:1"], ["docker.io/nginx2"]),
    # globs
    ("docker.io/acme/*", ["acme/api", "docker.io/acme/api:1", "acme/a/b"], ["acme", "x/api"]),
    ("acme/*", ["acme/api", "index.docker.io/acme/api"], ["ghcr.io/acme/api"]),
    ("ghcr.io/acme/api-*", ["ghcr.io/acme/api-v1", "ghcr.io/acme/api--x"],
     ["ghcr.io/acme/api", "ghcr.io/acme/web-x"]),
    ("*.example.com/*", ["reg.example.com/x", "a.b.example.com/x/y"],
     ["example.com/x", "example.org/x"]),
    ("nginx*", ["nginx", "nginx-unprivileged", "docker.io/library/nginxinc"],
     ["acme/nginx", "quay.io/nginx"]),
    ("ghcr.io/acme/ap?", ["ghcr.io/acme/api", "ghcr.io/acme/apx"], ["ghcr.io/acme/apis"]),
    ("ghcr.io/[ab]cme/*", ["ghcr.io/acme/x", "ghcr.io/bcme/x"], ["ghcr.io/ccme/x"]),
    ("*", ["nginx", "quay.io/a/b"], []),
    ("*/acme/*", ["acme/x", "ghcr.io/acme/x"], ["ghcr.io/x/acme"]),
    ("*.example.com", ["reg.example.com/x", "reg.example.com/x/y:1"], ["example.com/x"]),
    ("[::1]:5000/*", ["[::1]:5000/img"], ["[::2]:5000/img", "[::1]/img"]),
    ("[::1]/", ["[::1]/img"], ["[::1]:5000/img"]),
    # an uppercase first component is a registry, for patterns as for images
    ("Reg", ["Reg/x", "Reg/x/y:1", "REG/x", "reg:443/x"], ["reg/x", "docker.io/reg"]),
    ("Reg/", ["Reg/x", "rEG/x"], ["reg/x", "reg:5000/x"]),
    ("Reg/*", ["Reg/x"], ["reg/x"]),
    # spellings of one registry (issue 16): host case, the default port, Docker Hub's names
    ("quay.io/acme/", ["QUAY.IO/acme/api:1", "quay.io:443/acme/api:1", "Quay.Io:0443/acme/x"],
     ["quay.io:8443/acme/api", "quay.io/acmee/api"]),
    ("QUAY.IO:443/acme/", ["quay.io/acme/api"], ["quay.io/other/api"]),
    ("docker.io/acme/", ["registry-1.docker.io/acme/api:1", "index.docker.io/acme/api:1",
                         "Docker.IO:443/acme/api", "acme/api"], ["docker.io:5000/acme/api"]),
    ("registry-1.docker.io/library/nginx", ["nginx", "docker.io/nginx:1"], ["acme/nginx"]),
    ("localhost", ["LOCALHOST/x", "localhost:443/x"], ["localhost:5000/x"]),
    ("[0:0::1]:443", ["[::1]/img", "[::1]:443/img"], ["[::1]:5000/img"]),
    ("*.Example.COM:443/*", ["reg.example.com/x", "REG.EXAMPLE.COM:443/x"],
     ["reg.example.com:5000/x"]),
    ("QUAY.IO/acme/*", ["quay.io:443/acme/x"], ["quay.io/acmee/x"]),
])
def test_matching(p, yes, no):
    for image in yes:
        assert matches(p, image), f"{p!r} should match {image!r}"
    for image in no:
        assert not matches(p, image), f"{p!r} should not match {image!r}"


@pytest.mark.parametrize(("p", "target", "glob"), [
    ("quay.io", "quay.io", False),
    ("quay.io/", "quay.io", False),
    ("ghcr.io/acme/", "ghcr.io/acme", False),
    ("acme/", "docker.io/acme", False),
    ("nginx", "docker.io/library/nginx", False),
    ("index.docker.io/acme/", "docker.io/acme", False),
    ("acme/*", "docker.io/acme/*", True),
    ("nginx*", "docker.io/library/nginx*", True),
    ("index.docker.io/acme/*", "docker.io/acme/*", True),
    ("*", "*/*", True),
    ("*.example.com", "*.example.com/*", True),
    ("[::1]:5000/*", "[[]::1]:5000/*", True),
    ("[::1]:5000", "[::1]:5000", False),
    ("QUAY.IO:443/acme/", "quay.io/acme", False),
    ("registry-1.docker.io/acme/api", "docker.io/acme/api", False),
    ("Index.Docker.IO:443", "docker.io", False),
    ("[0:0::1]:0443/*", "[[]::1]/*", True),
    ("*.Example.COM:443", "*.example.com/*", True),
    ("Reg", "REG", False),
])
def test_normalised_target(p, target, glob):
    got = pattern(p)
    assert (got.text, got.target, got.glob) == (p, target, glob)


@pytest.mark.parametrize(("p", "why"), [
    ("", "not an image pattern"),
    ("/", "not an image pattern"),
    ("//", "not an image pattern"),
    ("a b", "not an image pattern"),
    ("quay.io/acme\t", "not an image pattern"),
    (f"nginx@sha256:{'0' * 64}", "not an image pattern"),
    ("nginx:1.25", "names a tag"),
    ("ghcr.io/acme/api:v1", "names a tag"),
    # these could never match an image (uppercase path, empty components, bad characters)
    ("ghcr.io/Acme/", "not an image pattern"),
    ("a//b", "not an image pattern"),
    ("ghcr.io/acme/-x", "not an image pattern"),
    ("ghcr.io/ac me", "not an image pattern"),
    ("acme/Api", "not an image pattern"),
])
def test_invalid(p, why):
    with pytest.raises(Problem, match=why) as err:
        pattern(p)
    assert err.value.field == "privateImages"


@pytest.mark.parametrize(("value", "want"), [
    (None, []),
    ("", []),
    ("a, b\nc", ["a", "b", "c"]),
    (" quay.io/acme/ ,\n\n ghcr.io/x ,", ["quay.io/acme/", "ghcr.io/x"]),
    (["a", " b ", ""], ["a", "b"]),
])
def test_split_list(value, want):
    assert split_list(value, "privateImages") == want


@pytest.mark.parametrize("value", [1, ["a", 2], {"a": "b"}, True])
def test_split_list_refuses_other_types(value):
    with pytest.raises(Problem, match="list of strings"):
        split_list(value, "privateImages")


def test_first_match_keeps_order():
    ps = parse_all("ghcr.io/acme/api, ghcr.io/", "publicImages")
    assert first_match(ps, ref("ghcr.io/acme/api:1")).text == "ghcr.io/acme/api"
    assert first_match(ps, ref("ghcr.io/x")).text == "ghcr.io/"
    assert first_match(ps, ref("quay.io/x")) is None


@settings(max_examples=max(1, int(200 * SCALE)), deadline=None, database=None,
          derandomize="FUZZ_SCALE" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(references())
def test_every_image_matches_its_own_name_prefix_and_host(parts):
    count("patterns.every_image_matches_its_own_name_prefix_and_host")
    image, name, _, _ = parts
    r = ref(image)
    if "/" in name or not ("." in name or ":" in name):  # (a bare "a.b" is a host pattern)
        assert pattern(name).matches(r)                 # the name as written
    assert pattern(r.normalized).matches(r)             # and normalised
    parent = r.normalized.rsplit("/", 1)[0]
    assert pattern(parent + "/").matches(r)              # a prefix of it
    assert pattern(r.domain).matches(r)                 # its registry
    assert pattern(r.domain + "/").matches(r)
    assert pattern(r.domain + "/*").matches(r)
    other = pattern("other.example/" + r.path)
    assert not other.matches(r) or r.domain == "other.example"


def test_issue_16_spellings_are_private():
    """issue 16: with privateImages "quay.io/acme/, docker.io/acme/" every spelling of
    these images is private; a typo of the organisation is not."""
    private = parse_all("quay.io/acme/, docker.io/acme/", "privateImages")
    for image in ["QUAY.IO/acme/api:1", "quay.io:443/acme/api:1", "registry-1.docker.io/acme/api:1",
                  "index.docker.io/acme/api:1", "acme/api:1", "docker.io/acme/api:1"]:
        assert first_match(private, ref(image)) is not None, image
    for image in ["quay.io/acmee/api:1", "ghcr.io/acme/api:1", "quay.io:8443/acme/api:1"]:
        assert first_match(private, ref(image)) is None, image


# --------------------------------------------------------------------------- spellings

_lower = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=5)
_label = st.builds(lambda a, b: a + b, _lower, st.text("abcxyz0189-", max_size=4).map(
    lambda t: t.rstrip("-")))
_component = st.builds(lambda a, sep, b: a + (sep + b if b else ""), _lower,
                       st.sampled_from([".", "_", "-", "__"]), st.text("abc019", max_size=3))


def _case(draw, text: str) -> str:
    """``text`` with each letter in a drawn case."""
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


@st.composite
def images(draw):
    """(canonical registry, path as components, a list of spellings of that one image):
    host case, ``:443`` (with leading zeros), Docker Hub's names, with and without
    ``docker.io/`` and ``library/``, IPv6 written long or short."""
    kind = draw(st.sampled_from(["hub", "dotted", "localhost", "port", "ipv6", "label"]))
    path = draw(st.lists(_component, min_size=1, max_size=3))
    default = draw(st.sampled_from([":443", ":0443", ":00443"]))
    if kind == "hub":
        hosts = [draw(st.sampled_from(["docker.io", "index.docker.io", "registry-1.docker.io"]))
                 for _ in range(3)]
        spelled = [_case(draw, h) + (default if draw(st.booleans()) else "") + "/"
                   for h in hosts]
        if len(path) == 1 or path[0] == "library":
            body = path[1:] if path[0] == "library" and len(path) > 1 else path
            paths = ["/".join(body), "library/" + "/".join(body)]
            path = ["library", *body]
        else:
            paths = ["/".join(path)]
        names = [h + pp for h in spelled for pp in paths]
        if "." not in path[0] and path[0] != "localhost":  # (else it would be a registry)
            names += paths
        elif len(path) == 2 and path[0] == "library":
            names += paths[:1]
        return "docker.io", path, names
    if kind == "dotted":
        host = ".".join(draw(st.lists(_label, min_size=2, max_size=3)))
        canonical, spellings = host, [_case(draw, host) + draw(st.sampled_from(["", default]))
                                      for _ in range(3)]
    elif kind == "localhost":
        canonical = "localhost"
        spellings = [_case(draw, "localhost") + draw(st.sampled_from(["", default]))
                     for _ in range(3)]
    elif kind == "port":
        host = ".".join(draw(st.lists(_label, min_size=1, max_size=3)))
        port = draw(st.integers(1, 65535).filter(lambda n: n != 443))
        canonical = f"{host}:{port}"
        spellings = [f"{_case(draw, host)}:{'0' * draw(st.integers(0, 2))}{port}"
                     for _ in range(3)]
    elif kind == "ipv6":
        address = ipaddress.IPv6Address(draw(st.integers(0, 2 ** 128 - 1)))
        port = draw(st.sampled_from(["", ":5000"]))
        canonical = f"[{address.compressed}]{port}"
        forms = [address.compressed, address.exploded, address.exploded.upper()]
        spellings = [f"[{draw(st.sampled_from(forms))}]"
                     + (port or draw(st.sampled_from(["", default]))) for _ in range(3)]
        if "." in canonical:  # (a Python that writes the IPv4 tail dotted: not a domain)
            spellings = []
    else:  # a one-label registry: uppercase letters (or the default port) make it one
        host = draw(_lower)
        canonical = host.upper()
        spellings = [host + default, host.upper()]
        spellings += [s for s in [_case(draw, host)] if s != host]
    names = [f"{h}/{'/'.join(path)}" for h in spellings]
    return canonical, path, names


def _pattern_texts(draw, registry: str, path: list[str], names: list[str]) -> list[str]:
    """Patterns about this image (in any of its spellings) and about its neighbours."""
    hosts = [n[: len(n) - len("/".join(path))].rstrip("/") for n in names]
    host = draw(st.sampled_from(hosts))
    at = draw(st.integers(1, len(path)))
    prefix, rest = "/".join(path[:at]), "/".join(path[at:])
    lead = f"{host}/" if host else ""
    texts = [
        f"{lead}{prefix}/",                              # a repository prefix
        f"{lead}{prefix}",                                # a repository
        f"{lead}{prefix}/*" if rest else f"{lead}{prefix}*",   # a glob
        f"{lead}{prefix}x/",                             # a neighbour
        f"{lead}{prefix}-other" if not rest else f"{lead}{prefix}/{rest}x",
        "other.example/" + "/".join(path),                # the same path elsewhere
        "*/" + path[-1] + "/*",
    ]
    if host:
        texts += [host, f"{host}/", f"{host}/*"]
        if ":" not in host:
            texts.append(f"{host}:5000/")
    if "." in registry and not registry.startswith("["):
        tld = registry.split(":")[0].rsplit(".", 1)[1]
        texts += [f"*.{_case(draw, tld)}", f"*.{tld}:443/*"]
    if registry == "docker.io":
        texts += ["quay.io/" + "/".join(path)]
    return texts


@settings(max_examples=max(1, int(300 * SCALE)), deadline=None, database=None,
          derandomize="FUZZ_SCALE" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(images(), st.data())
def test_every_spelling_gets_the_same_verdict(image, data):
    """Issue 16: ``first_match`` gives one answer for all spellings of one image, for
    generated pattern lists (in any order, any of them in any spelling)."""
    count("patterns.every_spelling_gets_the_same_verdict")
    registry, path, names = image
    suffix = data.draw(st.sampled_from(["", ":1", f"@{DIGEST}", f":v2@{DIGEST}"]))
    refs = [ref(n + suffix) for n in names]
    note(names)
    assert {(r.domain, r.normalized) for r in refs} <= {  # one normalised name
        (registry, f"{registry}/{'/'.join(path)}")}
    texts = data.draw(st.permutations(_pattern_texts(data.draw, registry, path, names)))
    texts = texts[: data.draw(st.integers(1, len(texts)))]
    patterns = tuple(parse(t, "privateImages") for t in texts)
    verdicts = {first_match(patterns, r) for r in refs}
    note(f"{texts} -> {verdicts}")
    assert len(verdicts) == 1
    own = pattern(refs[0].normalized)  # and the verdict is not just "nothing matched"
    assert all(own.matches(r) for r in refs)
    for r in refs:   # the same image, written in any of its spellings, is its own pattern
        assert all(pattern(n).matches(r) for n in names if "/" in n)


@settings(max_examples=max(1, int(300 * SCALE)), deadline=None, database=None,
          derandomize="FUZZ_SCALE" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(images())
def test_normalised_name_is_idempotent(image):
    count("patterns.normalised_name_is_idempotent")
    _, _, names = image
    for n in names:
        once = ref(n).normalized
        assert ref(once).normalized == once
        assert pattern(once).target == once
