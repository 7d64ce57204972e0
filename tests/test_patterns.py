"""fn.patterns: privateImages / publicImages patterns, normalised like image names."""

from __future__ import annotations

import os

import pytest
from helpers import count
from hypothesis import HealthCheck, given, settings
from test_imageref import references

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
    ("Reg", ["Reg/x", "Reg/x/y:1"], ["reg/x", "docker.io/reg"]),
    ("Reg/", ["Reg/x"], ["reg/x"]),
    ("Reg/*", ["Reg/x"], ["reg/x"]),
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
