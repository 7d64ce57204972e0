"""Container image references, read by the distribution/reference grammar.

``parse("nginx:1.25")`` keeps the spelling as written (``name``) and also knows the
normalised form (``docker.io/library/nginx``) that patterns and registry probes use.
Every spelling of one image has one normalised form: the registry host is lowercased,
the default port ``:443`` is dropped, ``index.docker.io`` and ``registry-1.docker.io`` are
``docker.io``, and a one-component Docker Hub name gets ``library/``
(``QUAY.IO:443/acme/api`` -> ``quay.io/acme/api``; ``registry-1.docker.io/nginx`` ->
``docker.io/library/nginx``).

``proxiable(ref)`` tells whether ``<proxy>/proxy/<slug>/<name as written>`` is itself a
reference: it is not when the name starts with a registry that has a port, an IPv6
address or an uppercase letter, none of which a path component may hold.
"""

from __future__ import annotations

import functools
import re
from collections import namedtuple

from fn import lazyre
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
_PREFIXES: set[str] = set()  # proxy prefixes found valid (fn.imageref.proxiable)
NAME_MAX = 255

DOCKER_HUB = "docker.io"
# other names of Docker Hub's registry (the index, and the host its API is served from)
DOCKER_HUB_ALIASES = frozenset({"index.docker.io", "registry-1.docker.io"})
DEFAULT_PORT = 443  # registries are reached over https: ":443" names the same registry
LOCALHOST = "localhost"
_IPV6 = lazyre.later(r"\[[a-f0-9:]+\]", re.ASCII)




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


@functools.lru_cache(maxsize=4096)  # a few registries, over and over
def is_domain(component: str) -> bool:
    """Docker's rule: whether the first component of a name (one with a "/" after it)
    is a registry: ``localhost``, or a host[:port] with a ".", a ":" or an uppercase
    letter ("a_b.c" is no host, so it is a repository path)."""
    return (component == LOCALHOST or "." in component or ":" in component
            or component != component.lower()) and bool(DOMAIN.fullmatch(component))


def normalize_domain(domain: str) -> str:
    """The one spelling of a registry (``domain`` matching ``DOMAIN``): host lowercased
    (an IPv6 address compressed), port ``443`` dropped and other ports without leading
    zeros, Docker Hub's aliases as ``docker.io``. A one-label host without port other than
    localhost is a registry only while it has an uppercase letter, so it is uppercased
    (``Reg`` and ``reg:443`` -> ``REG``), or keeps ``:443`` when it has no letter."""
    if domain.startswith("["):
        end = domain.index("]") + 1
        host, port = domain[:end].lower(), domain[end + 1:]
        try:
            import ipaddress  # (IPv6 hosts are rare: imported when one comes)

            short = f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            short = host
        host = short if _IPV6.fullmatch(short) else host  # (no dotted IPv4 tail)
    else:
        host, _, port = domain.partition(":")
        host = host.lower()
    if port:
        port = str(int(port))
        if port == str(DEFAULT_PORT):
            port = ""
    if not port and host in DOCKER_HUB_ALIASES:
        return DOCKER_HUB
    if not port and "." not in host and host != LOCALHOST and not host.startswith("["):
        if host == host.upper():  # no letter: only its port keeps it a registry
            return f"{host}:{DEFAULT_PORT}"
        return host.upper()
    return f"{host}:{port}" if port else host


def split_domain(name: str) -> tuple[str, str]:
    """Docker's domain detection: (normalised domain, remainder) with Docker Hub's
    defaults applied."""
    first, slash, rest = name.partition("/")
    if slash and is_domain(first):
        domain = normalize_domain(first)
    else:
        domain, rest = DOCKER_HUB, name
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
    # one copy of each registry, tag, name and path (of the first 4,096): an image's many
    # tags share its name and path
    if len(_SHARED) < 4096:
        domain = _SHARED.setdefault(domain, domain)
        tag = tag if tag is None else _SHARED.setdefault(tag, tag)
        name = _SHARED.setdefault(name, name)
        path = _SHARED.setdefault(path, path)
    return ImageRef(ref, name, tag, digest, domain, path)


_SHARED: dict[str, str] = {}  # registries, tags, names: many references, few of them


def _lower_path(ref: str) -> str:
    i = ref.find("/")
    return ref if i < 0 else ref[:i] + ref[i:].lower()


@functools.lru_cache(maxsize=1024)  # many images, few names: each name's grammar once
def _is_name(name: str) -> bool:
    """Whether ``name`` is a reference name, whole (the regex is slow on long names)."""
    m = REFERENCE.fullmatch(name)
    return m is not None and m.group(1) == name and len(name) <= NAME_MAX


def proxiable(ref: ImageRef, prefix: str | None = None) -> str | None:
    """None when ``<prefix>/<ref.name><ref.suffix>`` is a valid reference, else why not, in
    one line. ``prefix`` is ``<proxy host>/proxy/<slug>``; without it, the checks that do
    not depend on the prefix, and the length with the shortest one (``a/proxy/a``): a
    reason then holds for every prefix, a None only for prefixes short enough.

    The name as written becomes path components, which cannot hold a port
    (``localhost:5000``), an IPv6 address (``[::1]``) or an uppercase letter (``QUAY.IO``)."""
    if prefix is not None and prefix not in _PREFIXES:  # (one target: checked once)
        if REFERENCE.fullmatch(prefix) is None:
            raise ValueError(f"{prefix!r} is not a reference name")
        _PREFIXES.add(prefix)
    name = f"{prefix or 'a/proxy/a'}/{ref.name}"
    if _is_name(name):  # its tag and digest were parsed with it: they stay valid after it
        return None
    first, slash, _ = ref.name.partition("/")
    if slash and is_domain(first):
        if first.startswith("["):
            return f"its registry is an IPv6 address ({first}), which cannot stand in a proxy path"
        if ":" in first:
            return f"its registry has a port ({first}), which cannot stand in a proxy path"
        if first != first.lower():
            return (f"its registry is written with uppercase letters ({first}), which cannot "
                    "stand in a proxy path")
    if len(name) > NAME_MAX:
        return (f"its name under the proxy would be {len(name)} characters long, more than "
                f"the {NAME_MAX} a reference may have")
    return "its name cannot stand in a proxy path"


def proxy_name(ref: ImageRef, prefix: str | None = None) -> str | None:
    """The name to write after ``<prefix>/``: ``ref.name`` as written when it can stand
    there (``proxiable``); else, when that makes it one, with its registry respelled in
    lowercase and without ``:443`` (``QUAY.IO:443/acme/api`` -> ``quay.io/acme/api``, the
    same image); else None (a port, an IPv6 address, ``Reg/x``)."""
    if proxiable(ref, prefix) is None:
        return ref.name
    first, slash, rest = ref.name.partition("/")
    if not (slash and is_domain(first)) or first.startswith("["):
        return None
    host, _, port = first.partition(":")
    if port and int(port) != DEFAULT_PORT:
        return None
    name = f"{host.lower()}/{rest}"
    again = parse(name + ref.suffix)
    if again.normalized != ref.normalized or proxiable(again, prefix) is not None:
        return None
    return name


def host_of(domain: str) -> str:
    """The host[:port] of a domain setting: ``quay.io`` for ``https://quay.io/v2``."""
    d = domain.strip()
    for scheme in ("https://", "http://"):
        if d.startswith(scheme):
            d = d[len(scheme):]
    return d.split("/", 1)[0]
