"""Where pods run: the namespace of a whole object inside a resource (a kubectl List's
entry, a manifest a custom resource carries: Crossplane's ``Object``, OCM's
``ManifestWork``) is its own, not the resource's. The pull-secret sites found inside take
it (``fn.locate.Site.namespace``), so the Secret is written where those pods run."""

from __future__ import annotations

import functools
import re

from fn.nodes import Mapping, string
from fn.problems import Problem

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@functools.lru_cache(maxsize=1024)  # an input has few namespaces, many resources in each
def valid_namespace(namespace: str) -> bool:
    """A Kubernetes namespace name: a DNS label (it becomes part of a file path, too)."""
    return len(namespace) <= 63 and _DNS_LABEL.fullmatch(namespace) is not None


def _written(node: Mapping) -> str | None:
    """An object's ``metadata.namespace`` as written (None when it has none)."""
    meta = node.get("metadata")
    return string(meta.get("namespace")) if isinstance(meta, Mapping) else None


def of_entry(entry: Mapping, at: str) -> str | None:
    """An object's ``metadata.namespace`` (None when it has none); Problem when it is no
    valid namespace name."""
    ns = _written(entry)
    if ns and not valid_namespace(ns):
        raise Problem("is not a valid namespace name (lowercase letters, digits and '-', "
                      "at most 63)", field=f"{at}.metadata.namespace")
    return ns or None


def of_object(node: Mapping) -> str | None:
    """A carried object's namespace when it names a valid one (a template such as
    ``{{ .Input.body.namespace }}`` is filled in where it runs: None, as with none)."""
    ns = _written(node)
    return ns if ns and valid_namespace(ns) else None


def is_object(node: Mapping) -> bool:
    """A whole Kubernetes object: an apiVersion, a kind and metadata."""
    return bool(string(node.get("apiVersion")) and string(node.get("kind"))) and isinstance(
        node.get("metadata"), Mapping)


def place(sites: list, namespace: str | None) -> None:
    """Sites found inside an object run in its namespace (those inside a deeper one keep
    theirs); None changes nothing."""
    for site in sites:
        if site.namespace is None:
            site.namespace = namespace


def place_in(node: Mapping, sites: list) -> None:
    """Sites found inside ``node``, when it is a whole object: in its namespace."""
    if is_object(node):
        place(sites, of_object(node))
