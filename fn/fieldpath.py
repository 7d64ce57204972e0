"""A field's path, as results show it and intents record it, and the walk along a row.

Dotted keys and ``[i]`` indices: ``spec.containers[0].image``. A key that holds ``.``,
``[``, ``]`` or ``"`` (or is empty) stands quoted in brackets, ``data["worker.image"]``,
so that every path reads back to the keys it was made of (``keys``).

``Walker`` finds the mappings at a row's segments as kustomize's field specs do: ``[]``
after a key enters its list, whose entries must be mappings; a key without it that
holds a list is entered entry by entry all the same (a list in a list too).
"""

from __future__ import annotations

import functools
import json
import re
import sys

from fn.nodes import NULL, Mapping, Scalar, Sequence
from fn.problems import Problem

_STEP = re.compile(r'\[[0-9]+\]|\["(?:[^"\\]|\\.)*"\]')  # a list entry, or a quoted key
_TOKEN = re.compile(r'([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def as_is(key: str) -> bool:
    """Whether ``key`` stands in a path as it is (``child`` need not quote it)."""
    return child("", key) == key


def child(path: str, key: str, plain: bool = False) -> str:
    """The path of ``key`` in the mapping at ``path`` (``plain``: the key is known to
    stand as it is, ``as_is``: a row's key, checked once)."""
    if not plain and (not key or "." in key or "[" in key or "]" in key or '"' in key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def join(keys: tuple[str | int, ...], path: str = "") -> str:
    """The path of ``keys`` (strings, and list indices as ints), below ``path``."""
    for key in keys:
        path = f"{path}[{key}]" if isinstance(key, int) else child(path, key)
    return path


@functools.lru_cache(maxsize=4096)  # the same few paths in many items
def keys(path: str) -> tuple[str | int, ...]:
    """``spec.containers[0].image`` -> ``("spec", "containers", 0, "image")`` (a tuple,
    shared by every caller: never changed)."""
    return tuple(int(i) if i else json.loads(q) if q else k
                 for k, i, q in _TOKEN.findall(path))


@functools.lru_cache(maxsize=4096)
def parent(path: str) -> str:
    """The path of the node holding the field at ``path``."""
    return join(keys(path)[:-1])


@functools.lru_cache(maxsize=1024)  # a few rows, over many items
def row_parts(path: tuple[str, ...]) -> tuple[tuple[str, ...], str, str | None, bool]:
    """A row's mappings' path, its leaf key, what its owners are called after (the
    innermost list's entry, "container", or None: no list on the way), and whether the
    leaf stands in a path as it is (``child``)."""
    *parents, leaf = path
    owner_list = next((s[:-2] for s in reversed(parents) if s.endswith("[]")), None)
    return (tuple(parents), leaf, None if owner_list is None else owner_list.removesuffix("s"),
            as_is(leaf))


def serves(image: str, scope: str, anchor: str) -> bool:
    """An image at ``image`` runs in the pod of the site at ``anchor`` when it is under
    the scope, and in the same entry of every list the anchor's path enters."""
    if scope and not image.startswith((scope + ".", scope + '["')):
        return False
    for head, entry in _entered(anchor):
        if image.startswith(head):
            other = _STEP.match(image, len(head))
            if other is not None and other[0][1] != '"' and other[0] != entry:
                return False  # another entry of a list the anchor's path enters
    return True


@functools.lru_cache(maxsize=4096)  # the few paths of many items
def _entered(anchor: str) -> tuple[tuple[str, str], ...]:
    """(the path up to it, the entry) of each list entry the path ``anchor`` enters."""
    return tuple((anchor[:m.start()], m[0]) for m in _STEP.finditer(anchor) if m[0][1] != '"')


@functools.lru_cache(maxsize=4096)
def joined(names: tuple[str, ...], path: str) -> str:
    """``join``, one copy of each path: items share the few paths."""
    return sys.intern(join(names, path))


def template(path: str) -> tuple[str, ...]:
    """The path as field-spec segments: ``("spec", "containers[]", "image")`` (each list
    entered once, however nested)."""
    out: list[str] = []
    for key in keys(path):
        if isinstance(key, str):
            out.append(key)
        elif out and not out[-1].endswith("[]"):
            out[-1] += "[]"
    return tuple(out)


class Walker:
    """The mappings at each path of a resource (lists expanded), each walked once: rows
    share their beginnings ("spec/template/spec/...")."""

    def __init__(self, root: Mapping, prefix: str) -> None:
        self.found: dict[tuple[str, ...], list[tuple[str, Mapping]]] = {(): [(prefix, root)]}

    def at(self, segments: tuple[str, ...]) -> list[tuple[str, Mapping]]:
        found = self.found.get(segments)
        if found is None:
            above = self.at(segments[:-1])
            found = step(above[0][1], segments[-1], above[0][0]) if len(above) == 1 else [
                below for path, node in above for below in step(node, segments[-1], path)]
            self.found[segments] = found
        return found


def step(node: Mapping, segment: str, path: str) -> list[tuple[str, Mapping]]:
    """The mappings one segment below ``node``: its key's mapping, or a list's entries. A
    key without ``[]`` that holds a list is entered entry by entry, as kustomize's field
    specs do (``spec/nodes/image`` reads ``spec.nodes[0].image``, ...)."""
    key, listed, plain = _segment(segment)
    value = node.get(key)
    if value is None or (isinstance(value, Scalar) and value.tag == NULL):
        return []
    where = child(path, key, plain)
    if not listed:
        if isinstance(value, Sequence):
            return _entries(value, where, True)
        if not isinstance(value, Mapping):
            raise Problem("must be a mapping", field=where)
        return [(where, value)]
    if not isinstance(value, Sequence):
        raise Problem("must be a list", field=where)
    return _entries(value, where, False)


@functools.lru_cache(maxsize=1024)  # the rows' few segments
def _segment(segment: str) -> tuple[str, bool, bool]:
    """A row's segment: its key, whether it enters a list (``[]``), whether the key
    stands in a path as it is (``child``)."""
    key = segment.removesuffix("[]")
    return key, key != segment, as_is(key)


def _entries(seq: Sequence, where: str, nested: bool,
             seen: set[int] | None = None) -> list[tuple[str, Mapping]]:
    """A list's entries, each a mapping; with ``nested``, a list among them is entered
    too, once (an alias repeated is one list: "billion laughs" stay linear)."""
    out: list[tuple[str, Mapping]] = []
    for i, entry in enumerate(seq.entries):
        at = f"{where}[{i}]"
        if nested and isinstance(entry, Sequence):
            seen = {id(seq)} if seen is None else seen
            if id(entry) not in seen:
                seen.add(id(entry))
                out += _entries(entry, at, True, seen)
        elif isinstance(entry, Mapping):
            out.append((at, entry))
        else:
            raise Problem("must be a mapping", field=at)
    return out
