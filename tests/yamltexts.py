"""Hypothesis strategies for YAML *texts*, shared by test_yamlread and test_textedit.

``documents()`` writes random block documents the way kpt and kustomize do (and the way
people do by hand): nested block mappings and sequences ("compact" and "wide"), random
indentation widths, every scalar style, block scalars with random chomping and content,
one-line flow collections, comments and blank lines in between. ``documents(wild=True)``
also uses what kpt and kustomize never write (anchors, tags, explicit keys, multi-line
scalars, document markers...). ``corrupted()`` takes a document and damages it.

Also here: ``same`` (data equality that tells 1 from True and NaN from nothing) and
``check_read``, the contract of ``fn.yamlread.read`` checked against libyaml.
"""

from __future__ import annotations

import json
import math
import random
import re

import yaml
from hypothesis import strategies as st
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from yaml.resolver import Resolver

from fn import yamlread
from fn.nodes import Mapping, Scalar, Sequence, to_python

LOADER = yaml.CSafeLoader


def load(text: str) -> object:
    return yaml.load(text, Loader=LOADER)


# --------------------------------------------------------------------------- data checks


def same(a: object, b: object) -> bool:
    """Equal data of equal types (``1`` is not ``True``, NaN equals NaN, order of keys
    as written)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True))  # type: ignore[union-attr]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


# --------------------------------------------------------------------------- the reference


class _Reference(Composer, SafeConstructor, Resolver):
    """PyYAML's composer and safe constructor over libyaml's events (the parts of
    ``yaml.CSafeLoader``), with two differences, both the function's:

    - a tag outside the yaml.org namespace (``!t``, ``tag:example.com,2024:x``) on a
      mapping or a sequence is read as plain data (``to_python`` ignores it); on a
      scalar it is an error, as for the safe loader;
    - an anchor defined again replaces the first (YAML 1.2), where PyYAML's composer
      raises an error.

    Each collection node also gets ``last``: where the last scalar, alias or flow
    collection in it ends (a block collection's ``end`` is the line start after it)."""

    def __init__(self, events: list) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.events = _unique_anchors(events)
        self.pos = 0
        self.last = 0

    def check_event(self, *choices: type) -> bool:
        if self.pos >= len(self.events):
            return False
        return not choices or isinstance(self.events[self.pos], choices)

    def peek_event(self) -> object:
        return self.events[self.pos]

    def get_event(self) -> object:
        e = self.events[self.pos]
        self.pos += 1
        if isinstance(e, ScalarEvent | AliasEvent) or getattr(e, "flow_end", False):
            self.last = e.end_mark.index
        return e

    def compose_sequence_node(self, anchor):
        node = super().compose_sequence_node(anchor)
        node.last = self.last
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        node.last = self.last
        return node


def _unique_anchors(events: list) -> list:
    """The events with every anchor definition renamed apart (aliases follow the latest),
    and a flow collection's end event marked ``flow_end``."""
    names: dict[str, str] = {}
    styles: list[bool] = []
    for n, e in enumerate(events):
        if isinstance(e, AliasEvent):
            e.anchor = names.get(e.anchor, e.anchor)
        elif getattr(e, "anchor", None) is not None:
            names[e.anchor] = e.anchor = f"{e.anchor}\x00{n}"
        if isinstance(e, CollectionStartEvent):
            styles.append(bool(e.flow_style))
        elif isinstance(e, MappingEndEvent | SequenceEndEvent):
            e.flow_end = styles.pop()
    return events


def _other_tag(loader: SafeConstructor, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode) or node.tag.startswith("tag:yaml.org,2002:"):
        return loader.construct_undefined(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_sequence(node)


_Reference.add_multi_constructor(None, _other_tag)


def reference(text: str) -> _Reference:
    """The reference reader on ``text`` (libyaml's events; raises yaml.YAMLError)."""
    return _Reference(list(yaml.parse(text, Loader=LOADER)))


def reference_data(ref: _Reference, node: yaml.Node) -> tuple[object, Exception | None]:
    """The data of a node tree (which this changes: merge keys are flattened), or None and
    the error when the safe constructor cannot build it."""
    try:
        return ref.construct_document(node), None
    except (yaml.YAMLError, ValueError, TypeError, IndexError) as exc:
        return None, exc


# --------------------------------------------------------------------------- the contract


def check_read(text: str) -> Mapping | Sequence | Scalar | None:
    """The contract of ``fn.yamlread.read`` on any ``text`` (a leading byte order mark
    removed first, as the function does). Returns the tree, or None when read raised.

    1. ``read`` raises yaml.YAMLError (``Refused`` included), ``TooDeep`` or ValueError,
       or returns a tree;
    2. a YAMLError that is not ``Refused``: libyaml's parser rejects the text too; a
       ValueError: the text is not one document (or, UnicodeEncodeError, holds a lone
       surrogate, which no file does); ``TooDeep``: it is nested more than
       ``MAX_DEPTH`` deep; ``Refused``: given a ``refused`` list, the reading goes on
       and collects it there (except an undefined or recursive alias: always raised);
    3. a tree: ``to_python`` builds what PyYAML's safe loader builds (see
       ``_Reference``), or raises ValueError where that loader fails;
    4. a tree: its nodes are libyaml's, with the offsets ``fn.yamlread`` promises
       (``check_tree``)."""
    text = yamlread.strip_bom(text)
    try:
        tree = yamlread.read(text)
    except yamlread.Refused as exc:
        _check_refused(text, exc)
        return None
    except yaml.YAMLError as exc:
        try:
            list(yaml.parse(text, Loader=LOADER))
        except yaml.YAMLError:
            return None
        raise AssertionError(f"read raised, libyaml reads it: {exc}") from None
    except yamlread.TooDeep:
        assert _depth(text) > yamlread.MAX_DEPTH, "TooDeep, but it is not"
        return None
    except UnicodeEncodeError:  # (a lone surrogate: not text a file can hold)
        assert not _encodes(text)
        return None
    except ValueError as exc:
        docs = sum(isinstance(e, yaml.DocumentStartEvent)
                   for e in yaml.parse(text, Loader=LOADER))
        assert docs != 1, f"ValueError on one document: {exc}"
        return None
    try:
        ref = reference(text)
        node = ref.get_single_node()
    except yaml.YAMLError as exc:
        raise AssertionError(f"read accepted a text libyaml rejects: {exc}") from None
    check_tree(text, tree, node)
    expected, error = reference_data(ref, node)
    try:
        got = to_python(tree)
    except ValueError as exc:
        assert error is not None, f"to_python failed ({exc}), PyYAML reads {expected!r}"
    else:
        assert error is None, f"to_python read {got!r}, PyYAML fails: {error}"
        assert same(got, expected), f"data differs:\n  read: {got!r}\n  yaml: {expected!r}"
    return tree


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_refused(text: str, exc: yamlread.Refused) -> None:
    refused: list[yamlread.Refused] = []
    try:
        yamlread.read(text, refused=refused)
    except yamlread.Refused as again:
        assert "alias" in again.problem, f"Refused raised with a list: {again.problem}"
        return
    except (yaml.YAMLError, ValueError) as other:  # (an error after the refused part)
        assert not isinstance(other, yamlread.Refused)
        return
    assert refused and refused[0].problem == exc.problem, "not collected"


def _depth(text: str) -> int:
    """The most collections a node is in, up to the first error."""
    depth = most = 0
    try:
        for e in yaml.parse(text, Loader=LOADER):
            if isinstance(e, ScalarEvent | AliasEvent | CollectionStartEvent):
                most = max(most, depth)
            if isinstance(e, CollectionStartEvent):
                depth += 1
            elif isinstance(e, MappingEndEvent | SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return most


# "&anchor", "!tag", spaces, line breaks and comments before a node's own text
_PROPERTIES = re.compile("(?:[&!][^ \t\r\n\x85\u2028\u2029]*|[ \t\r\n\x85\u2028\u2029]+"
                         "|#[^\r\n\x85\u2028\u2029]*)*")
_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")  # what libyaml takes for a line break


def _token_ok(text: str, node: Scalar) -> bool:
    """``text[start:end]`` is the scalar's token: read alone, it is the same scalar."""
    token = text[node.start:node.end]
    if token[:1] in ("", " ", "\t", "\r", "\n", "#"):  # (a comment is not part of it)
        return False
    if node.style == "" and not _BREAKS.search(token):
        return token == node.value
    if node.style in ("'", '"') and not (token[:1] == token[-1:] == node.style
                                          and len(token) >= 2):
        return False
    # (a plain "-" is a scalar only in a flow, "---..." only off column 0)
    for alone in (token, f"[{token}]", f" {token}"):
        try:
            got = yaml.compose(alone, Loader=LOADER)
        except yaml.YAMLError:
            continue
        if isinstance(got, yaml.SequenceNode) and alone[0] == "[" and len(got.value) == 1:
            got = got.value[0]
        if isinstance(got, yaml.ScalarNode) and got.value == node.value:
            return (got.style or "") == node.style
    return False


def _line_after(text: str, pos: int) -> int:
    """The start of the line after ``pos``, by libyaml's line breaks (CR LF, LF, CR, NEL,
    LS, PS: what fn.linebreaks defines)."""
    if (pos > 0 and text[pos - 1] in "\n\x85\u2028\u2029") or (
            pos > 0 and text[pos - 1] == "\r" and text[pos:pos + 1] != "\n"):
        return pos
    m = re.compile("\r\n|[\r\n\x85\u2028\u2029]").search(text, pos)
    return len(text) if m is None else m.end()


def check_tree(text: str, node: object, ref: yaml.Node, path: str = "$",
               seen: dict[int, object] | None = None) -> None:
    """``node`` (from read) against ``ref`` (libyaml's composer, see ``reference``): the
    same shape, values and tags, and the offsets fn.yamlread promises:

    - a quoted or plain scalar: ``text[start:end]`` is its token (after its "&anchor"
      and "!tag"), ending where libyaml's ends;
    - a block scalar: from its "|" or ">" to libyaml's end (a line start);
    - a collection: starts where libyaml's does (at its properties if any); a flow one
      ends after its closing bracket, a block one at the line start after its content;
      a block one's ``indent`` is libyaml's column, or with properties before it, the
      column of its first key or "-"."""
    if seen is None:
        seen = {}
    if id(ref) in seen:  # an alias: the anchored node again (or, as a key, a copy)
        if seen[id(ref)] is not node:
            assert isinstance(node, Scalar), f"{path}: alias"
            assert text[node.start] == "*", f"{path}: alias offsets"
            assert node.tag == "?" or (node.value, node.tag) == (ref.value, ref.tag), path
        return
    seen[id(ref)] = node
    start = ref.start_mark.index
    if isinstance(ref, yaml.ScalarNode):
        assert isinstance(node, Scalar), f"{path}: {type(node).__name__} for a scalar"
        assert (node.value, node.tag) == (ref.value, ref.tag), f"{path}: value/tag"
        assert node.style == (ref.style or ""), f"{path}: style"
        assert node.end == ref.end_mark.index, f"{path}: end {node.end} vs {ref.end_mark.index}"
        assert start <= node.start <= node.end, f"{path}: start"
        assert _PROPERTIES.fullmatch(text, start, node.start), (
            f"{path}: {text[start:node.start]!r} before the scalar")
        if node.style in ("|", ">"):
            assert text[node.start] == node.style, f"{path}: block scalar start"
            assert node.end == len(text) or _BREAKS.match(text, node.end - 1), f"{path}: end"
        elif node.start < node.end:
            assert _token_ok(text, node), f"{path}: token {text[node.start:node.end]!r}"
        else:
            assert node.value == "" and node.style == "", f"{path}: empty"
        return
    flow = bool(ref.flow_style)
    assert isinstance(node, Mapping | Sequence), f"{path}: {type(node).__name__}"
    assert node.flow == flow, f"{path}: flow"
    assert node.start == start, f"{path}: start {node.start} vs {start}"
    default = "tag:yaml.org,2002:" + ("map" if isinstance(node, Mapping) else "seq")
    assert node.tag == (None if ref.tag == default else ref.tag), f"{path}: tag"
    if flow:
        assert node.end == ref.end_mark.index, f"{path}: end {node.end}"
    else:
        assert node.end == _line_after(text, ref.last), f"{path}: end {node.end}"
        first = ref.value[0][0] if isinstance(node, Mapping) else None
        if text[start] not in "&!" or (first is not None and first.start_mark.index == start):
            assert node.indent == ref.start_mark.column, f"{path}: indent {node.indent}"
        else:  # "&anchor" or "!tag" before it (not before its first key)
            column = _first_column(text, ref)
            assert node.indent == column, f"{path}: indent {node.indent} vs {column}"
    if isinstance(node, Mapping):
        assert isinstance(ref, yaml.MappingNode), f"{path}: a mapping for a sequence"
        assert len(node.pairs) == len(ref.value), f"{path}: number of keys"
        for (k, v), (rk, rv) in zip(node.pairs, ref.value, strict=True):
            name = getattr(rk, "value", "?")
            if not isinstance(rk, yaml.ScalarNode):  # a complex key: its span, no more
                assert k.tag == "?", f"{path}: complex key"
                if id(rk) not in seen:
                    assert k.start == rk.start_mark.index, f"{path}: complex key start"
            else:
                check_tree(text, k, rk, f"{path}.<key {name!r}>", seen)
            check_tree(text, v, rv, f"{path}.{name}", seen)
        return
    assert isinstance(ref, yaml.SequenceNode), f"{path}: a sequence for a mapping"
    assert len(node.entries) == len(ref.value), f"{path}: number of entries"
    for i, (v, rv) in enumerate(zip(node.entries, ref.value, strict=True)):
        check_tree(text, v, rv, f"{path}[{i}]", seen)


def _first_column(text: str, ref: yaml.Node) -> int:
    """The indentation of the first line after a block collection's properties (which
    end their line) that holds more than blanks or a comment: its first key's (or "?"'s)
    or "-"'s column."""
    pos = ref.start_mark.index
    while True:
        pos = _BREAKS.search(text, pos).end()
        if text[pos - 1:pos + 1] == "\r\n":
            pos += 1
        nxt = _BREAKS.search(text, pos)
        line = text[pos:nxt.start() if nxt else len(text)]
        body = line.lstrip(" ")
        if body.strip(" \t\r") and body[0] != "#":
            return len(line) - len(body)

# --------------------------------------------------------------------------- scalars

PLAIN_SAMPLES = [
    "web", "nginx", "nginx:1.25", "ghcr.io/acme/api:v1.2.3", "a b c", "x  y",
    "registry.example.com:5000/team/app@sha256:" + "0123456789abcdef" * 4,
    "yes", "no", "Yes", "NO", "on", "Off", "y", "n", "true", "False", "TRUE",
    "0644", "0o644", "0x1F", "0b101", "1e3", "1.5e3", "6.8523015e+5", "1_000", "-1", "+2",
    ".5", "1.", ".inf", "-.Inf", ".NaN", "~", "null", "Null", "NULL",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "12:30:00",
    "190:20:30", "a:b", "a#b", "a,b", "a]b", "x{y}", "100%", "-dash", "--flag=1", "?q",
    ":colon", "C:\\path", "héllo", "日本語", "emoji 🎉", "a'b", 'a"b', "a 'b'", "=a", "<a",
    "a=b", "8080", "0", "-0", "1.0.0-beta.56", "http://example.com/a?b=c#d", "x*.example.com",
    "sh -c 'echo hi'", "a !b", "a &b", "x|y", "x>y",
]
_WORD_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WORD_REST = _WORD_START + "0123456789-._/"
_KEY_SAMPLES = [
    "name", "image", "app.kubernetes.io/name", "config.kubernetes.io/index", "a b", "x-y_z",
    "8080", "true", "null", "on", "1.5", "héllo", "-flag", "a:b", "data", "k8s.io/v1", "a'b",
]
_NEEDS_QUOTES = [
    "a: b", "# not a comment", "- x", "", " lead", "trail ", "yes", "1", "~", "a #b", "[x]",
    "{y}", "&a", "*a", "!t", "|", ">", "'", '"', "@at", "`tick", "%p", "? q", ":", "-", "a\\b",
]
_BLOCK_LINES = [
    "# not a comment", "- not an entry", "key: value", "text with  spaces", "'quoted'",
    '"double"', "[flow]", "{a: b}", "&anchor", "*alias", "!tag", "? q", "---", "...",
    "a\tb", "ünïcödé", "|", ">", "%YAML 1.1", "  nested: deeper",
]
_FLOW_WORDS = ["a", "b", "x", "web", "/x", "/etc/web", "1", "0644", "true", "yes", "null",
               "~", "1e3", "2001-12-14", "-c", "--port", "a.b", "8080"]


# Characters for free text: YAML's indicators often, and some of everything else that a
# one-line scalar may hold (no line breaks).
_CHARS = (
    list("abcxyzABZ0189 ") * 3 + list(":#-'\"\\ {}[],&*!|>?%@`\t=~.") * 2
    + list("éüßñ日本語中文🎉😀\u00a0\u200b\u3000Ωλ\u0301\U0001F600\u00ff\ue000\ufffd\u2603")
)


def single_quoted(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def double_quoted(s: str, ascii_only: bool = False) -> str:
    return json.dumps(s, ensure_ascii=ascii_only)


_YAML_ESCAPES = ["\\x41", "\\t", "\\ ", "\\/", "\\N", "\\_", "\\L", "\\P", "\\e", "\\0",
                 "\\u00e9", "\\U0001F389", "\\\\", '\\"', "\\a", "\\b", "\\v", "\\f", "\\r"]


class _Gen:
    """One document, drawn piece by piece from ``r``.

    The strategies draw one seed and generate from ``random.Random(seed)``: drawing every
    choice through hypothesis costs ~30 ms a document, a seeded Random ~0.3 ms. Failures
    then do not shrink, so the tests ``note()`` the text they fail on."""

    def __init__(self, r: random.Random, wild: bool) -> None:
        self.r = r
        self.wild = wild

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, options):
        return self.r.choice(options)

    def text(self, lo: int = 0, hi: int = 20) -> str:
        return "".join(self.r.choice(_CHARS) for _ in range(self.r.randint(lo, hi)))

    def word(self) -> str:
        return self.pick(_WORD_START) + "".join(
            self.r.choice(_WORD_REST) for _ in range(self.r.randint(0, 10)))

    # -- scalars

    def plain(self) -> str:
        return self.pick(PLAIN_SAMPLES) if self.chance(0.5) else self.word()

    def quoted_string(self) -> str:
        s = self.text() if self.chance(0.6) else self.pick(_NEEDS_QUOTES + PLAIN_SAMPLES)
        if self.chance(0.5):
            return single_quoted(s)
        if self.chance(0.2):
            parts = [self.pick(_YAML_ESCAPES) if self.chance(0.5) else self.word()
                     for _ in range(self.r.randint(1, 4))]
            return '"' + "".join(parts) + '"'
        return double_quoted(s, self.wild and self.chance(0.3))

    def scalar(self) -> str:
        if self.wild and self.chance(0.1):
            return self.pick(["&a x", "*a", "!!str 1", "!!python/object:os.system x", "!t x",
                              "!!binary aGVsbG8=", "a #b", "a\tb", "'a\n  b'", '"a\n  b"',
                              "a\n  b", "@x", "`x", "%x", "- x", "? x", ": x", "|2\n  x",
                              "<<", "=", "0x_", "2001-13-45", "[a,\n  b]", "{a: b} c", "'a'b",
                              '"\\q"', '"\\ud83d\\ude00"', "*.example.com", "a:", "a: b"])
        return self.plain() if self.chance(0.55) else self.quoted_string()

    def key(self) -> str:
        if self.wild and self.chance(0.05):
            return self.pick(["? k", "&a k", "*a", "!!str k", "<<", "=", "[a]", "{a: b}", "k #x",
                              "'k", "- k", "-", "---", "...", "k\t", "2001-13-45", "a: b"])
        r = self.r.randint(0, 9)
        if r < 6:
            return self.pick(_KEY_SAMPLES) if r < 3 else self.word()
        s = self.pick(_NEEDS_QUOTES) if self.chance(0.5) else self.text()
        return single_quoted(s) if self.chance(0.5) else double_quoted(s)

    def comment(self) -> str:
        return "#" + self.text(0, 15).replace("\t", " ")

    def trail(self) -> str:
        """An optional comment after a value."""
        if not self.chance(0.2):
            return ""
        sep = self.pick([" ", "  "]) if not self.wild else self.pick([" ", "\t", ""])
        return sep + self.comment()

    def space(self) -> str:
        """After a key's ':' — almost always one space."""
        if self.chance(0.9):
            return " "
        return self.pick(["  ", "\t", " \t"] if self.wild else ["  ", "   "])

    def trailing_ws(self) -> str:
        return self.pick(["", " ", "  "]) if self.chance(0.1) else ""

    def step(self) -> int:
        return self.pick([2, 2, 2, 2, 4, 4, 3, 1])

    # -- lines between things

    def gap(self, indent: int) -> list[str]:
        out: list[str] = []
        while self.chance(0.15):
            if self.chance(0.5):
                out.append(" " * self.r.randint(0, 6) if self.wild else "")
            else:
                out.append(" " * self.r.randint(0, indent + 4) + self.comment())
        if self.wild and self.chance(0.03):
            out.append(self.pick(["---", "...", "%YAML 1.1", "\t# tab", "? x", "&a", "\tk: v"]))
        return out

    # -- values

    def json_data(self, depth: int = 0) -> object:
        r = self.r.randint(0, 9 if depth < 2 else 5)
        if r == 0:
            return None
        if r == 1:
            return self.chance(0.5)
        if r == 2:
            return self.r.randint(-1000, 10**6)
        if r <= 5:
            return self.text(0, 8)
        if r <= 7:
            return [self.json_data(depth + 1) for _ in range(self.r.randint(0, 3))]
        return {self.text(0, 5): self.json_data(depth + 1) for _ in range(self.r.randint(0, 3))}

    def flow(self, depth: int = 0) -> str:
        kind = self.pick(["list", "map", "list", "map", "empty", "json"])
        if kind == "empty":
            return self.pick(["[]", "{}", "[ ]", "{ }"])
        if kind == "json":
            data = self.json_data()
            return json.dumps(data if isinstance(data, list | dict) else [data],
                              ensure_ascii=False)
        items = []
        for _ in range(self.r.randint(1, 4)):
            if depth < 2 and self.chance(0.15):
                items.append(self.flow(depth + 1))
            elif self.chance(0.6):
                items.append(self.pick(_FLOW_WORDS))
            elif self.chance(0.5):
                items.append(single_quoted(self.text(0, 8)))
            else:
                items.append(double_quoted(self.text(0, 8)))
        if kind == "map":
            keys = [self.pick(["name", "mountPath", "app", "a", "b", "x y", '"q: k"', "'s'"])
                    for _ in items]
            items = [f"{k}: {v}" for k, v in zip(keys, items, strict=True)]
        sep = self.pick([", ", ", ", ",", " , "])
        inner = sep.join(items)
        if self.chance(0.1):
            inner += ","
        if self.chance(0.15):
            inner = " " + inner + " "
        if self.wild and self.chance(0.1):
            inner = self.pick(["a:b", "a, &x b, *x", "!!set {a}", "[a]: b", "? a : b", "a,\n b",
                               "<<: {a: 1}", "a # c", "'unterminated", "b: c: d", "=", "0x_",
                               "!!python/name:os.system", "!!int x"]) + sep + inner
        return ("[" + inner + "]") if kind == "list" else ("{" + inner + "}")

    def block_scalar(self, parent: int) -> list[str]:
        """Header (the rest of the current line) and content lines for a block scalar
        whose parent collection is at column ``parent``."""
        header = self.pick(["|", "|-", "|+", ">", ">-", ">+"])
        if self.wild and self.chance(0.2):
            header = self.pick(["|2", "|-1", "|1+", ">2", "|0", "|++", "|x", "| #c", "|#c"])
        if self.chance(0.1):
            header += " " + self.comment()
        content_indent = parent + self.pick([1, 2, 2, 2, 3, 4])
        lines = [header]
        n = self.r.randint(0, 5)
        for k in range(n):
            if k > 0 and self.chance(0.2):
                lines.append(" " * self.r.randint(0, content_indent + 2)
                             if self.chance(0.2) else "")
                continue
            extra = 0 if k == 0 else self.pick([0, 0, 0, 1, 2, 4])
            if self.wild and self.chance(0.05):
                extra = -1
            body = self.pick(_BLOCK_LINES) if self.chance(0.4) else self.text(1, 20)
            if k == 0:
                body = body.lstrip(" \t") or "x"
            lines.append(" " * (content_indent + extra) + body)
        if n and self.chance(0.1):
            lines.insert(1, "")  # a leading blank line
        if self.wild and n and self.chance(0.1):
            lines.insert(1, " " * (content_indent + 2))  # a leading all-space line
        if self.chance(0.3):
            lines += [""] * self.r.randint(1, 2)
        return lines

    def value(self, parent: int, depth: int) -> tuple[str, list[str]]:
        """(the rest of the key's line, the lines below) for a value whose parent
        collection is at column ``parent``."""
        kinds = ["scalar", "scalar", "scalar", "null", "flow", "block"]
        if depth < 4:
            kinds += ["map", "map", "seq", "seq"]
        kind = self.pick(kinds)
        if kind == "scalar":
            return self.space() + self.scalar() + self.trail() + self.trailing_ws(), []
        if kind == "null":
            return self.pick(["", "", " null", " ~", " Null"]) + self.trail(), []
        if kind == "flow":
            return self.space() + self.flow() + self.trail(), []
        if kind == "block":
            lines = self.block_scalar(parent)
            return " " + lines[0], lines[1:]
        head = self.trail()
        below = self.gap(parent + 2)
        if kind == "map":
            below += self.mapping(parent + self.step(), depth + 1)
        else:
            below += self.sequence(parent + self.pick([0, 0, 1, 2, 2, 4]), depth + 1)
        return head, below

    # -- collections

    def mapping(self, indent: int, depth: int) -> list[str]:
        out: list[str] = []
        pad = " " * indent
        for k in range(self.r.randint(1, 4)):
            if k:
                out += self.gap(indent)
            key = self.key()
            colon = " :" if key[0] not in "'\"" and self.chance(0.03) else ":"
            rest, below = self.value(indent, depth)
            out.append(f"{pad}{key}{colon}{rest}")
            out += below
        return out

    def sequence(self, indent: int, depth: int) -> list[str]:
        out: list[str] = []
        pad = " " * indent
        for k in range(self.r.randint(1, 4)):
            if k:
                out += self.gap(indent)
            kinds = ["scalar", "scalar", "null", "flow", "block"]
            if depth < 4:
                kinds += ["map", "map", "map", "comment-map", "seq"]
            if self.wild:
                kinds += ["inline-seq"]
            kind = self.pick(kinds)
            if kind == "scalar":
                out.append(f"{pad}- {self.scalar()}{self.trail()}{self.trailing_ws()}")
            elif kind == "null":
                out.append(f"{pad}-" + self.pick(["", " ", " null", " ~"]) + self.trail())
            elif kind == "flow":
                out.append(f"{pad}- {self.flow()}{self.trail()}")
            elif kind == "block":
                lines = self.block_scalar(indent)
                out.append(f"{pad}- {lines[0]}")
                out += lines[1:]
            elif kind == "map":
                spaces = self.pick([1, 1, 1, 2, 3])
                lines = self.mapping(indent + 1 + spaces, depth + 1)
                lines[0] = pad + "-" + " " * spaces + lines[0][indent + 1 + spaces:]
                out += lines
            elif kind == "comment-map":
                out.append(f"{pad}- {self.comment()}")
                out += self.gap(indent + 2)
                out += self.mapping(indent + self.pick([2, 2, 1, 3, 4]), depth + 1)
            elif kind == "seq":
                out.append(f"{pad}-{self.trail()}")
                out += self.sequence(indent + self.pick([2, 2, 1, 4]), depth + 1)
            else:
                lines = self.sequence(indent + 2, depth + 1)
                lines[0] = pad + "- " + lines[0][indent + 2:]
                out += lines
        return out

    def document(self) -> str:
        lines: list[str] = []
        if self.wild and self.chance(0.05):
            lines.append(self.pick(["---", "--- # doc", "%YAML 1.1\n---", "\ufeff# bom"]))
        lines += self.gap(0)
        lines += self.mapping(0, 0)
        lines += self.gap(0)
        if self.wild and self.chance(0.05):
            lines.append(self.pick(["...", "---", "--- x", "- x", "  x", "x"]))
        text = "\n".join(lines)
        if self.chance(0.9):
            text += "\n"
        return text


def documents(wild: bool = False) -> st.SearchStrategy[str]:
    """A YAML document whose root is a block mapping, as kpt, kustomize or a person
    writes it. With ``wild``, also what kpt and kustomize never write."""
    return st.integers(0, 2**64 - 1).map(lambda seed: _Gen(random.Random(seed), wild).document())


# --------------------------------------------------------------------------- corruption

_NOISE = [":", "-", " ", "\t", "#", "'", '"', "[", "]", "{", "}", ",", "&", "*", "!", "?", "|",
          ">", "\n", "%", "@", "`", "\\", "x", "0", "\r", "\ufeff", "\x85", "\u2028", "\x00"]
_TOKENS = ["&a ", "*a", "!!python/object:os.system ", "!!str ", "? ", "--- ", "\n---\n",
           "\n...\n", "...", "'", '"', "|2", "|", ">-", "- ", ": ", " #", "<<: ", "=", "\t",
           "{", "[", "0x_", "2001-13-45", "\n  ", "\n\t", ": |\n", "\n- ", "''", '\\"',
           "%YAML 1.1\n"]


def corrupt(text: str, r: random.Random) -> str:
    """``text`` with one to four random injuries."""
    for _ in range(r.randint(1, 4)):
        lines = text.split("\n")
        op = r.choice(["del-char", "ins-char", "ins-token", "dup-char", "dup-line", "del-line",
                       "swap-lines", "indent", "dedent", "tab-indent", "truncate", "unquote"])
        pos = r.randint(0, len(text))
        li = r.randint(0, len(lines) - 1)
        if op == "del-char" and text:
            pos = min(pos, len(text) - 1)
            text = text[:pos] + text[pos + 1:]
        elif op == "ins-char":
            text = text[:pos] + r.choice(_NOISE) + text[pos:]
        elif op == "ins-token":
            text = text[:pos] + r.choice(_TOKENS) + text[pos:]
        elif op == "dup-char" and text:
            pos = min(pos, len(text) - 1)
            text = text[:pos] + text[pos] + text[pos:]
        elif op == "dup-line":
            lines.insert(li, lines[li])
            text = "\n".join(lines)
        elif op == "del-line" and len(lines) > 1:
            del lines[li]
            text = "\n".join(lines)
        elif op == "swap-lines" and len(lines) > 1:
            lj = r.randint(0, len(lines) - 1)
            lines[li], lines[lj] = lines[lj], lines[li]
            text = "\n".join(lines)
        elif op == "indent":
            lines[li] = " " * r.randint(1, 3) + lines[li]
            text = "\n".join(lines)
        elif op == "dedent":
            k = r.randint(1, 3)
            if lines[li][:k].strip() == "":
                lines[li] = lines[li][k:]
            text = "\n".join(lines)
        elif op == "tab-indent":
            lines[li] = "\t" * r.randint(1, 2) + lines[li].lstrip(" ")
            text = "\n".join(lines)
        elif op == "truncate":
            text = text[:pos]
        elif op == "unquote":
            for q in ("'", '"'):
                k = text.find(q, pos)
                if k >= 0:
                    text = text[:k] + text[k + 1:]
                    break
    return text


def _corrupted(seed: int, wild: bool) -> str:
    r = random.Random(seed)
    return corrupt(_Gen(r, wild).document(), r)


def corrupted(wild: bool = False) -> st.SearchStrategy[str]:
    """A generated document (kpt-like, or ``wild``) with one to four random injuries:
    characters or lines deleted, inserted, duplicated or swapped, indentation changed,
    tabs, anchors and aliases, Python tags, explicit keys, document markers, quotes left
    open."""
    return st.integers(0, 2**64 - 1).map(lambda seed: _corrupted(seed, wild))


def _resource_list(seed: int) -> str:
    """A ResourceList whose items are documents, some wild, some damaged."""
    r = random.Random(seed)
    out = ["apiVersion: config.kubernetes.io/v1", "kind: ResourceList", "items:"]
    indent = r.choice([0, 0, 2])
    for _ in range(r.randint(1, 4)):
        doc = _Gen(r, r.random() < 0.4).document()
        if r.random() < 0.3:
            doc = corrupt(doc, r)
        lines = doc.rstrip("\n").split("\n") or [""]
        pad = " " * (indent + 2)
        out.append(" " * indent + "- " + lines[0])
        out += [(pad + line) if line else "" for line in lines[1:]]
    if r.random() < 0.5:
        out += ["functionConfig:", "  data: {}"]
    return "\n".join(out) + "\n"


def resource_lists() -> st.SearchStrategy[str]:
    return st.integers(0, 2**64 - 1).map(_resource_list)
