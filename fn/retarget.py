"""Re-targeting: output of an earlier run whose app slug or proxy domain has changed.

An image on ``<host>/proxy/<slug>/<original>`` where ``host`` is a Replicated proxy host
(production, staging, the configured ``proxyDomain`` or one of ``previousProxyDomains``)
and ``(host, slug)`` is not the current target is rewritten from ``<original>``. Nothing
else with a ``proxy/`` segment is touched: another registry's ``proxy`` project, or a path
outside ``/proxy/<slug>/`` (``proxy.replicated.com/library/replicated-sdk-image``).

A Secret this function generated (``fn.replicated-proxy/generated``) under another name
than the current pull secret is stale: it is removed, and the PodSpecs' entries naming it
are given the current name (or dropped, when the current name is there already).
"""

from __future__ import annotations

from fn.imageref import ImageRef
from fn.intents import intend
from fn.locate import Site
from fn.nodes import Mapping, Scalar, Sequence, to_python
from fn.problems import InvalidReference, Problem
from fn.resourcelist import Item
from fn.results import INFO, Result

PROXY_HOSTS = ("proxy.replicated.com", "proxy.staging.replicated.com")


def split(value: str, hosts: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(host, slug, original) of a reference on a proxy path, else None."""
    for host in hosts:
        head = host + "/proxy/"
        if value.startswith(head):
            slug, _, original = value[len(head):].partition("/")
            if slug and original:
                return host, slug, original
    return None


def original(value: str, target) -> ImageRef | None:
    """The reference ``value`` stands for: on a proxy path of ``target``'s hosts, the
    original image; None when that is no valid reference."""
    found = split(value, getattr(target, "hosts", ()))
    try:
        return target.parse(found[2] if found else value)
    except InvalidReference:
        return None


def stale_secrets(items: list[Item], names: tuple[str, ...]) -> list[Item]:
    """Secrets this function made under a name no longer in use (``names``: the pull
    secret's and the compatibility names)."""
    return [i for i in items if i.kind == "Secret" and i.group == "" and i.generated
            and i.name not in names]


def rename(sites: list[tuple[Item, Site]], stale: set[str], name: str,
           edited: set) -> list[Result]:
    """Entries naming a stale Secret get ``name``; the sites done are added to ``edited``
    (so that the pull secret is not appended to them as well)."""
    out = []
    for item, site in sites:
        node = site.node()
        if not stale or site.base in edited or not isinstance(node, Sequence):
            continue
        try:
            names = site.names() or []
        except Problem:
            continue  # reported where the pull secret is added
        if not stale.intersection(names):
            continue
        _rename_in(item, site, node, names, stale, name)
        edited.add(site.base)
        out.append(Result(f"pull secret {', '.join(sorted(stale.intersection(names)))} "
                          f"replaced by {name}", INFO, item.ref(),
                          {"path": site.path}, item.file()))
    return out


def _rename_in(item: Item, site: Site, node: Sequence, names: list[str], stale: set[str],
               name: str) -> None:
    """The first stale entry renamed (or dropped when ``name`` is there already), the
    other stale entries dropped; the intent recorded for the self-check."""
    have = name in names
    wanted = [e for e in to_python(node) if not (isinstance(e, dict) and e.get("name") in stale)]
    if not have:
        first = next(i for i, n in enumerate(names) if n in stale)
        wanted.insert(first, {**to_python(node.entries[first]), "name": name})
    intend(item, "set", site.path, wanted)
    for i, entry in enumerate(node.entries):
        value = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(value, Scalar) or value.value not in stale:
            continue
        if have:
            item.editor.delete_entry(node, i)
        else:
            item.editor.set_scalar(value, name)
            have = True


def removed(stale: list[Item], name: str) -> list[Result]:
    return [Result(f"removed the pull secret this function made as {i.name} (it is now "
                   f"{name})", INFO, i.ref(), None, i.file()) for i in stale]
