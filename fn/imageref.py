"""Container image references, read by the distribution/reference grammar.

``parse("nginx:1.25")`` keeps the spelling as written (``name``) and also knows the
normalised form (``docker.io/library/nginx``) that patterns and registry probes use.
"""

from __future__ import annotations

import re
from collections import namedtuple

from fn.problems import InvalidReference

_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|-+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"

# re.ASCII: the grammar's \w is [A-Za-z0-9_], not Python's Unicode \w ("nginx:é")
REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
DOMAIN = re.compile(_DOMAIN, re.ASCII)
NAME_MAX = 255

DOCKER_HUB = "docker.io"




class ImageRef(namedtuple("ImageRef", "written name tag digest domain path")):
    """``written``: the reference as written; ``name``: its name part as written (no tag,
    no digest); ``tag``, ``digest`` (or None); ``domain``: the normalised registry
    ("docker.io", "quay.io", "[::1]:5000"); ``path``: the normalised repository path
    ("library/nginx")."""

    __slots__ = ()

    @property
    def normalized(self) -> str:
        """``docker.io/library/nginx`` for ``nginx``: what patterns are matched against."""
        return f"{self.domain}/{self.path}"

    @property
    def suffix(self) -> str:
        """The original ``:tag``, ``@digest`` or ``:tag@digest``."""
        return (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def reference(self) -> str:
        """What a registry is asked for: the digest when there is one, else the tag."""
        return self.digest or self.tag or "latest"


def split_domain(name: str) -> tuple[str, str]:
    """Docker's domain detection: (domain, remainder) with Docker Hub defaults applied."""
    i = name.find("/")
    first = name[:i]
    if i < 0 or (first != "localhost" and "." not in first and ":" not in first
                 and first == first.lower()) or not DOMAIN.fullmatch(first):  # "a_b.c/x"
        domain, rest = DOCKER_HUB, name
    else:
        domain, rest = first, name[i + 1:]
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in rest:
        rest = "library/" + rest
    return domain, rest


def parse(ref: str) -> ImageRef:
    """Parse a reference; raises InvalidReference with a reason a person can act on."""
    if not ref:
        raise InvalidReference("empty image reference")
    if ref != ref.strip():
        raise InvalidReference("image reference has surrounding white space")
    m = REFERENCE.fullmatch(ref)
    if m is None:
        if ref.lower() != ref and REFERENCE.fullmatch(_lower_path(ref)):
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("not a valid image reference")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > NAME_MAX:
        raise InvalidReference(f"repository name longer than {NAME_MAX} characters")
    domain, path = split_domain(name)
    return ImageRef(ref, name, tag, digest, domain, path)


def _lower_path(ref: str) -> str:
    i = ref.find("/")
    return ref if i < 0 else ref[:i] + ref[i:].lower()


def host_of(domain: str) -> str:
    """The host[:port] of a domain setting: ``quay.io`` for ``https://quay.io/v2``."""
    d = domain.strip()
    for scheme in ("https://", "http://"):
        if d.startswith(scheme):
            d = d[len(scheme):]
    return d.split("/", 1)[0]
