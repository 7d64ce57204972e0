"""The self-check's fast path for workloads: each change read back on its own lines.

An image rewritten in place, and a pull secret added (a key, or an entry of the list), are
each one splice into a block collection. The lines around one such splice — from where a
key or entry of that collection starts to where it ends — are a YAML document by
themselves, which must read as the change meant. The text around them, unchanged, reads
as before: a window starts at a line start between two keys (or entries) of a block
collection, holds whole keys (entries) at that collection's indentation, and ends at a
line end after which the collection goes on, or has ended, as it did in the input; all
this is checked on the input's text and nodes, not taken from the editor.

The windows of many workloads are read at once, as the entries of one YAML list, by the
reader the function reads its input with, each entry within its own window's text: a
window's first character, a space, becomes its entry's "-" (one indented less than two
columns is no list entry, and does not read as meant). A workload with any splice no
window explains, or a window that does not read as meant, is checked whole
(``fn.selfcheck``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import pairwise

from fn.fieldpath import keys
from fn.linebreaks import line_from
from fn.nodes import Mapping, Sequence
from fn.problems import Problem
from fn.yamlc import yaml
from fn.yamlread import ALL, plain, read
from fn.yamlrules import Refused

Edit = tuple[int, int, int, str]
Window = tuple[int, int, str, object]  # input start, end; its text as a list entry; meant

_LEAD = r"((?:[ ]*-[ ]+)*[ ]*)"  # spaces, and the "- " of compact list entries
_DASHES = re.compile(_LEAD)
_LINE_END = re.compile(r"[ \t]*(?:#[^\r\n]*)?\r?\n")  # after a value: a comment at most
_QUIET_LINE = re.compile(r"[ \t]*(?:#[^\n]*)?\n")      # a blank line, or a comment
_NAMING = re.compile(r"[&*]")  # an anchor or an alias: what it names lies outside the window


@lru_cache(maxsize=256)
def _key_line(leaf: str) -> re.Pattern[str]:
    """The start of a line up to a value: ``  - image: `` (the key as written, plain)."""
    return re.compile(_LEAD + re.escape(leaf) + r"[ ]*:[ ]+")


@lru_cache(maxsize=1024)
def _leaf(path: str) -> str | int:
    return keys(path)[-1]


def of_item(text: str, item, edits: list[Edit]) -> list[Window] | None:
    """The windows that explain every splice of a workload ``item`` (``edits``: those in
    its text) and every intent, or None when some cannot be explained so."""
    split = _split(item.intents or [])
    if split is None or not edits:
        return None
    sets, secrets = split
    spans = {(e[0], e[1]): e for e in edits}
    inserts = {e[0]: e for e in edits if e[0] == e[1]}
    found: list[Window | None] = []
    for site in item.sites:
        found += [_image(text, f, spans.get((f.node.start, f.node.end)), sets[f.path])
                  for f in site.images if f.path in sets]
        if site.path in secrets:
            found.append(_secret(text, site, inserts, secrets[site.path]))
    if None in found or not len(found) == len(edits) == len(sets) + len(secrets):
        return None
    return _apart(found)  # type: ignore[arg-type]


def _split(intents: list) -> tuple[dict, dict] | None:
    """Values set and pull secrets added, by path; None for any other intent, or two on
    one path."""
    sets: dict = {}
    secrets: dict = {}
    for op, path, value in intents:
        (sets if op == "set" else secrets if op == "secret" else {})[path] = value
    return (sets, secrets) if len(sets) + len(secrets) == len(intents) else None


def _apart(windows: list[Window]) -> list[Window] | None:
    """The windows in order, when no two overlap or insert at one place."""
    if len(windows) < 2:
        return windows
    windows.sort(key=lambda w: (w[0], w[1]))
    for a, b in pairwise(windows):
        if a[1] > b[0] or a[0] == a[1] == b[0]:
            return None
    return windows


def _image(text: str, field, edit: Edit | None, meant: object) -> Window | None:
    """``key: value`` on a line of its own in a block mapping, the value replaced."""
    leaf = _leaf(field.path)
    if (edit is None or not field.block or field.alias_at is not None
            or field.merged_in is not None or not isinstance(leaf, str)):
        return None
    start, end, _, new = edit
    line = text.rfind("\n", 0, start) + 1
    head = text[line:start]  # (patterns match in a str, which a packed text is not)
    lead = _key_line(leaf).fullmatch(head)
    nl = text.find("\n", end)
    if (lead is None or start == end or "\n" in new or "\n" in text[start:end] or nl < 0
            or _NAMING.search(new) or new[:1] in ("|", ">")  # (a block scalar: later lines)
            or not _LINE_END.fullmatch(tail := text[end:nl + 1])):
        return None
    entry = "-" + lead[1][1:].replace("-", " ") + head[lead.end(1):] + new + tail
    return line, nl + 1, entry, {leaf: meant}


def _secret(text: str, site, inserts: dict[int, Edit], name: object) -> Window | None:
    """The pull-secret key added at the end of its mapping, or an entry at the end of the
    list (what fn.mutate.add_pull_secret does when nothing is in the way)."""
    base = site.base
    key, *deeper = site.rest
    if base.flow:
        return None
    pair = None
    for k, v in base.pairs:
        if k.value == "<<":  # (a list merged in: kept)
            return None
        if pair is None and k.value == key:
            pair = (k, v)
    if pair is None:  # a new key (and the mappings on the way to the list)
        value: object = [{"name": name}]
        for k in reversed(deeper):
            value = {k: value}
        return _inserted(text, _insert_at(text, base.end, inserts), inserts,
                         _column(text, base, ""), {key: value})
    own = pair[1]
    if deeper or not isinstance(own, Sequence) or own.flow or own.start < pair[0].end:
        return None
    return _inserted(text, _insert_at(text, own.end, inserts), inserts,
                     _column(text, own, "-"), [{"name": name}])


def _insert_at(text: str, end: int, inserts: dict[int, Edit]) -> int:
    """Where lines are inserted after a collection that ends at ``end``: there, or past
    the blank lines and comments after it (-1: nowhere)."""
    pos = end
    while pos not in inserts:
        quiet = _QUIET_LINE.fullmatch(line_from(text, pos))
        if quiet is None:
            return -1
        pos += quiet.end()
    return pos


def _column(text: str, node: Mapping | Sequence, first: str) -> int:
    """The column of a block collection's keys (of its "-"), as the text shows it: -1
    when its start is not where its first key (or "-") is written (an anchor, a tag)."""
    line = text.rfind("\n", 0, node.start) + 1
    if not text.startswith(first, node.start) or not _DASHES.fullmatch(text[line:node.start]):
        return -1
    return node.start - line


def _inserted(text: str, pos: int, inserts: dict[int, Edit], column: int,
              meant: object) -> Window | None:
    """Whole lines inserted at a line start, each indented at least ``column``, the first
    exactly (a key, or "-", of the collection that ends, or goes on, there)."""
    edit = inserts.get(pos)
    if edit is None or column < 0 or pos <= 0 or text[pos - 1] != "\n":
        return None
    new = edit[3]
    lines = new.split("\n")
    if lines[-1] or _NAMING.search(new) or len(lines[0]) - len(lines[0].lstrip(" ")) != column:
        return None
    for line in lines[:-1]:
        if not line.strip() or len(line) - len(line.lstrip(" ")) < column:
            return None
    after = _quiet_end(text, pos)
    return pos, after, "-" + new[1:] + text[pos:after], meant


def _quiet_end(text: str, pos: int) -> int:
    """Past the blank lines and comments from ``pos`` (a block scalar the window ends with
    would take those indented more as its own: the window reads them too)."""
    while quiet := _QUIET_LINE.fullmatch(line_from(text, pos)):
        pos += quiet.end()
    return pos


def read_back(windows: list[Window]) -> bool:
    """Whether every window reads as meant: all at once, as entries of one list, each
    entry within its own window's text. Windows of the same text read the same (an entry
    starts at column 0, where nothing before it reaches): each text is read once (most
    pull-secret windows are alike)."""
    meant: dict[str, list[object]] = {}
    for window in windows:
        meant.setdefault(window[2], []).append(window[3])
    try:
        root = read("".join(meant), ALL)
    except (yaml.YAMLError, ValueError, Refused, Problem):
        return False
    if not isinstance(root, Sequence) or len(root.entries) != len(meant):
        return False
    offset = 0
    for (text, values), entry in zip(meant.items(), root.entries, strict=True):
        end = offset + len(text)
        if entry.start < offset or entry.end > end:
            return False
        value = plain(entry)
        if any(value != v for v in values):
            return False
        offset = end
    return True


def within(edits: list[Edit], starts: list[int], a: int, b: int) -> list[Edit]:
    """The splices of the item whose text is ``a``..``b``: insertions at ``b`` are its,
    those at ``a`` the item's before."""
    found = edits[bisect_left(starts, a):bisect_right(starts, b)]
    return [e for e in found if not (e[0] == e[1] == a or (e[0] == b and e[1] > b))]
