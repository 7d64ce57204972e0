"""Image patterns from ``privateImages`` / ``publicImages``.

A pattern is a registry host (``quay.io``), a repository or repository prefix
(``ghcr.io/acme/``, ``ghcr.io/acme/api``), or a glob (``docker.io/acme/*``). Patterns are
normalised like image names (``acme/`` means ``docker.io/acme/``, ``QUAY.IO:443/acme/``
means ``quay.io/acme/``; see ``fn.imageref.normalize_domain``) and matched against the
normalised image name, so ``acme/api`` matches ``docker.io/acme/*`` and
``registry-1.docker.io/acme/api`` matches ``acme/``.
"""

from __future__ import annotations

import re
from collections import namedtuple
from fnmatch import fnmatchcase

from fn.imageref import DEFAULT_PORT, REFERENCE, ImageRef, is_domain, normalize_domain, split_domain
from fn.problems import Problem

_GLOB = re.compile(r"[*?\[]")


class Pattern(namedtuple("Pattern", "text target glob")):
    """``text``: as the user wrote it; ``target``: normalised ("quay.io", "ghcr.io/acme",
    "docker.io/acme/*"); ``glob``: whether ``target`` is a glob."""

    __slots__ = ()

    def matches(self, ref: ImageRef) -> bool:
        name = ref.normalized
        if self.glob:
            return fnmatchcase(name, self.target)
        return name == self.target or name.startswith(self.target + "/")


def split_list(value: str | list[str] | None, field: str) -> list[str]:
    """``"a, b\\nc"`` or ``["a", "b"]`` -> ``["a", "b", "c"]``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[,\n]", value) if p.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise Problem(f"{field} must be a list of strings or a comma separated string", field=field)


def parse(text: str, field: str) -> Pattern:
    if any(c.isspace() for c in text) or "@" in text:
        raise Problem(f"{field}: {text!r} is not an image pattern", field=field)
    first, _, rest = text.partition("/")
    if _GLOB.search(rest) or (_GLOB.search(first) and not is_domain(first)):  # ("[::1]")
        return Pattern(text, _glob_target(text, first, rest), True)
    return _prefix(text, field)


def _glob_target(text: str, first: str, rest: str) -> str:
    if is_domain(first) and rest:  # "ghcr.io/acme/*", "[::1]:5000/x*" ("[" escaped)
        return normalize_domain(first).replace("[", "[[]") + "/" + rest
    if _GLOB.search(first) and ("." in first or ":" in first or first == "*"):
        host = _host_glob(first)  # a registry glob: "*.example.com"
        return f"{host}/{rest}" if rest else host + "/*"
    if not rest:
        return "docker.io/library/" + first  # "nginx*", like "nginx"
    return "docker.io/" + text


def _prefix(text: str, field: str) -> Pattern:
    """A registry, a repository or a repository prefix ("ghcr.io/acme/")."""
    prefix = text.endswith("/")
    body = text.rstrip("/")
    if not body:
        raise Problem(f"{field}: {text!r} is not an image pattern", field=field)
    if "/" not in body and is_domain(body):
        return Pattern(text, normalize_domain(body), False)
    if REFERENCE.fullmatch(body) is None:  # "ghcr.io/Acme/", "a//b": would match nothing
        raise Problem(f"{field}: {text!r} is not an image pattern", field=field)
    domain, path = split_domain(body + "/x" if prefix else body)
    if prefix:
        path = path[:-2]
    if ":" in path.rsplit("/", 1)[-1]:
        raise Problem(f"{field}: {text!r} names a tag; patterns match repositories", field=field)
    return Pattern(text, f"{domain}/{path}", False)


def parse_all(value: str | list[str] | None, field: str) -> tuple[Pattern, ...]:
    return tuple(parse(p, field) for p in split_list(value, field))


def first_match(patterns: tuple[Pattern, ...], ref: ImageRef) -> Pattern | None:
    for p in patterns:
        if p.matches(ref):
            return p
    return None


def _host_glob(glob: str) -> str:
    """A registry glob spelled as ``normalize_domain`` spells hosts: lowercase, without
    the default port (``*.Example.COM:443`` -> ``*.example.com``)."""
    host = glob.lower()
    default = f":{DEFAULT_PORT}"
    return host[: -len(default)] if host.endswith(default) else host
