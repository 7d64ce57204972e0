"""YAML documents as trees of nodes that know where they stand in the source text.

Two readers build the same tree:

* ``scan`` — a strict, fast reader for the block-style YAML that kpt and kustomize write.
  It accepts only what it fully understands; anything else (anchors, tags, multi-line
  flow scalars, explicit keys, odd indentation...) raises ``Unsupported``.
* ``compose`` — libyaml's composer (PyYAML ``CSafeLoader``), for everything else.

Every node carries character offsets into the text, so changes are made as small text
splices (see ``fn.textedit``) and everything the function does not change stays byte
for byte as the user wrote it: comments, quoting, ``0644``, ``yes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import yaml

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_UNBUILT = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")  # "<<", "="

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = yaml.resolver.Resolver()

# Characters PyYAML refuses in a stream, and line breaks other than "\n" (YAML 1.1 also
# breaks lines at CR, NEL, LS and PS). Text holding any of them goes to libyaml.
_FOREIGN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\r\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029\x85]"
)
_BLOCK_HEADER = re.compile(r"[|>][+-]?(?:[ \t]+#.*)?[ \t]*$")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SPACE = ("", " ", "\t")
_DEPTH = 64  # collections in collections: deeper documents go to libyaml
_KEY_MAX = 1024  # libyaml: a simple key's ':' at most this many characters after its start
_CHECKED = frozenset("0123456789+-.<=")  # plain scalars starting so may not construct


class Unsupported(Exception):
    """The text may well be valid YAML, but it is not in the subset ``scan`` reads."""


class Node:
    __slots__ = ("end", "start")

    start: int
    end: int


class Scalar(Node):
    """A scalar. ``style``: "" plain, "'" or '"' quoted, "|" or ">" block."""

    __slots__ = ("_tag", "_value", "block", "style")

    def __init__(self, start: int, end: int, style: str, value: str | None, tag: str | None,
                 block: tuple[str, str] | None = None) -> None:
        self.start = start
        self.end = end
        self.style = style
        self._value = value
        self._tag = tag
        self.block = block  # (header, content) of a block scalar, decoded when read

    @property
    def value(self) -> str:
        if self._value is None:
            header, content = self.block  # type: ignore[misc]
            self._value = yaml.load("k: " + header + "\n" + content, Loader=_Loader)["k"]
        return self._value

    @property
    def tag(self) -> str:
        if self._tag is None:
            self._tag = _resolver.resolve(yaml.ScalarNode, self.value, (True, False))
        return self._tag

    def text(self) -> str | None:
        """The value when the scalar is a string, else None."""
        return self.value if self.tag == STR else None


class Mapping(Node):
    """A mapping. ``end`` is where a new last key goes (block) or the offset after '}'."""

    __slots__ = ("flow", "indent", "pairs")

    def __init__(self, start: int, indent: int, flow: bool) -> None:
        self.start = start
        self.end = start
        self.indent = indent
        self.flow = flow
        self.pairs: list[tuple[Scalar, Node]] = []

    def get(self, key: str) -> Node | None:
        found = None
        for i, (k, v) in enumerate(self.pairs):
            if k.value == key and k.tag == STR:
                if type(v) is Flow:
                    v = v.expand()
                    self.pairs[i] = (k, v)
                found = v  # the last of duplicate keys wins, as in PyYAML
        return found

    def items(self) -> Iterator[tuple[Scalar, Node]]:
        for i, (k, v) in enumerate(self.pairs):
            if type(v) is Flow:
                v = v.expand()
                self.pairs[i] = (k, v)
            yield k, v


class Sequence(Node):
    """A sequence. ``end`` is where a new last entry goes (block) or the offset after ']'.

    ``spans`` holds, for a block sequence read by the scanner, each entry's text range
    from the start of its "- " line to the start of the line after it."""

    __slots__ = ("_entries", "flow", "indent", "spans")

    def __init__(self, start: int, indent: int, flow: bool) -> None:
        self.start = start
        self.end = start
        self.indent = indent
        self.flow = flow
        self._entries: list[Node] = []
        self.spans: list[tuple[int, int]] = []

    @property
    def entries(self) -> list[Node]:
        ents = self._entries
        for i, v in enumerate(ents):
            if type(v) is Flow:
                ents[i] = v.expand()
        return ents


class Flow(Node):
    """A flow collection written on one line; libyaml composes it when it is read."""

    __slots__ = ("snippet",)

    def __init__(self, start: int, end: int, snippet: str) -> None:
        self.start = start
        self.end = end
        self.snippet = snippet

    def expand(self) -> Node:
        return _convert(_compose_snippet(self.snippet), self.start, self.snippet, {})


@lru_cache(maxsize=4096)
def _compose_snippet(snippet: str) -> yaml.Node:
    try:
        node = yaml.compose(snippet, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise Unsupported(f"flow collection: {exc}") from None
    if node is None:
        raise Unsupported("empty flow collection")
    _check_flow(node, snippet, set())
    return node


def _check_flow(y: yaml.Node, snippet: str, seen: set[int]) -> None:
    """Unsupported unless the safe loader builds ``y`` as ``to_python`` does and every
    node starts at its value: no anchors, aliases or tags, no complex keys, only scalars
    the safe loader can construct."""
    if id(y) in seen or snippet[y.start_mark.index:y.start_mark.index + 1] in ("&", "!", "*"):
        raise Unsupported("anchor, alias or tag in a flow collection")
    seen.add(id(y))
    if isinstance(y, yaml.ScalarNode):
        if y.tag != STR and not _builds(y.tag, y.value):
            raise Unsupported(f"scalar {y.value[:40]!r} in a flow collection")
    elif isinstance(y, yaml.MappingNode):
        if y.tag != _MAP:
            raise Unsupported("tagged flow mapping")
        for k, v in y.value:
            if not isinstance(k, yaml.ScalarNode):
                raise Unsupported("complex key in a flow mapping")
            _check_flow(k, snippet, seen)
            _check_flow(v, snippet, seen)
    else:
        if y.tag != _SEQ:
            raise Unsupported("tagged flow sequence")
        for v in y.value:
            _check_flow(v, snippet, seen)


@lru_cache(maxsize=4096)
def _builds(tag: str, value: str) -> bool:
    """Whether the safe loader constructs this scalar (not ``2001-13-45``, ``0x_``, ``<<``)."""
    if tag in _UNBUILT:
        return False
    try:
        yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, value))
    except (ValueError, OverflowError, yaml.YAMLError):
        return False
    return True


def _plain_ok(raw: str) -> bool:
    return raw[0] not in _CHECKED or _builds(
        _resolver.resolve(yaml.ScalarNode, raw, (True, False)), raw)


# --------------------------------------------------------------------------- libyaml


def compose(text: str, base: int = 0) -> Node | None:
    """Read any single YAML document with libyaml; offsets are shifted by ``base``.

    Raises yaml.YAMLError for invalid YAML."""
    ynode = yaml.compose(text, Loader=_Loader)
    if text[:1] == "\ufeff":  # libyaml's offsets start after a byte order mark
        base, text = base + 1, text[1:]
    return None if ynode is None else _convert(ynode, base, text, {})


def _convert(y: yaml.Node, base: int, text: str, seen: dict[int, Node]) -> Node:
    """Turn a libyaml node graph into our nodes. Aliases share the converted node, so a
    "billion laughs" document stays as small as its text."""
    done = seen.get(id(y))
    if done is not None:
        return done
    start = y.start_mark.index + base
    if isinstance(y, yaml.ScalarNode):
        node: Node = Scalar(start, y.end_mark.index + base, y.style or "", y.value, y.tag)
        seen[id(y)] = node
        return node
    if isinstance(y, yaml.MappingNode):
        m = Mapping(start, y.start_mark.column, bool(y.flow_style))
        seen[id(y)] = m
        for k, v in y.value:
            key = _convert(k, base, text, seen)
            if not isinstance(key, Scalar):
                key = Scalar(key.start, key.end, "", "", "?")  # complex key: never matches
            m.pairs.append((key, _convert(v, base, text, seen)))
        m.end = _collection_end(y, m.pairs[-1][1] if m.pairs else None, base, text)
        return m
    s = Sequence(start, y.start_mark.column, bool(y.flow_style))
    seen[id(y)] = s
    s._entries = [_convert(v, base, text, seen) for v in y.value]
    s.end = _collection_end(y, s._entries[-1] if s._entries else None, base, text)
    return s


def _collection_end(y: yaml.Node, last: Node | None, base: int, text: str) -> int:
    if y.flow_style or last is None:
        return y.end_mark.index + base
    # a block collection: new content goes at the start of the line after its last leaf
    if isinstance(last, Mapping | Sequence) and not last.flow:
        return last.end
    end = last.end - base
    if end > 0 and text[end - 1:end] == "\n":
        return end + base
    nl = text.find("\n", end)
    return (len(text) if nl < 0 else nl + 1) + base


# --------------------------------------------------------------------------- scanner


def scan(text: str, recover: str | None = None) -> Mapping:
    """Read a block-style document whose root is a mapping at column 0.

    With ``recover="items"``, an entry of the root's ``items`` sequence that the scanner
    cannot read is handed whole to libyaml instead of failing the document."""
    if _FOREIGN.search(text):
        raise Unsupported("characters or line breaks outside the fast subset")
    return _Scanner(text, recover).document()


class _Scanner:
    def __init__(self, text: str, recover: str | None) -> None:
        self.text = text
        self.lines = lines = text.split("\n")
        starts = [0] * (len(lines) + 1)
        pos = 0
        for i, line in enumerate(lines):
            starts[i] = pos
            pos += len(line) + 1
        starts[len(lines)] = len(text)
        self.starts = starts
        self.n = len(lines)
        self.recover = recover
        self.level = 0  # collections open (to_python reads at most _DEPTH)

    # -- lines

    def sig(self, i: int) -> int:
        """The first line at or after i with content (not blank, not only a comment)."""
        lines = self.lines
        n = self.n
        while i < n:
            s = lines[i].lstrip(" ")
            if s and s[0] != "#":
                if s[0] == "\t":
                    raise Unsupported(f"tab in indentation on line {i + 1}")
                return i
            i += 1
        return n

    def indent(self, i: int) -> int:
        line = self.lines[i]
        return len(line) - len(line.lstrip(" "))

    def is_entry(self, i: int, col: int) -> bool:
        line = self.lines[i]
        return line[col:col + 1] == "-" and line[col + 1:col + 2] in _SPACE

    # -- structure

    def document(self) -> Mapping:
        i = self.sig(0)
        if i >= self.n or self.indent(i) != 0:
            raise Unsupported("the document does not start with a mapping at column 0")
        node, last = self.mapping(i, 0, top=True)
        j = self.sig(last + 1)
        if j < self.n:
            raise Unsupported(f"unexpected content on line {j + 1}")
        return node

    def node(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        """The node whose first token is at line i, column col."""
        if self.is_entry(i, col):
            return self.sequence(i, col, recover=False)
        if self.key_at(i, col) is not None:
            return self.mapping(i, col)
        return self.inline(i, col, parent)

    def key_at(self, i: int, col: int) -> tuple[Scalar, int] | None:
        """A simple key at line i, column col: (key, column after its ':'), else None."""
        line = self.lines[i]
        c = line[col:col + 1]
        base = self.starts[i]
        if c in ("'", '"'):
            end = self.quoted_end(line, col)
            if end is None or line[end:end + 1] != ":" or line[end + 1:end + 2] not in _SPACE \
                    or end - col > _KEY_MAX:
                return None
            return self.quoted(line, col, end, base), end + 1
        if not c or (c in _INDICATORS and not (c in "-?:" and line[col + 1:col + 2] not in _SPACE)):
            return None
        if col == 0 and line[:3] in ("---", "...") and line[3:4] in _SPACE:
            return None  # a document marker, not a key
        sep = line.find(": ", col)
        sep_tab = line.find(":\t", col)
        if sep < 0 or 0 <= sep_tab < sep:
            sep = sep_tab
        if sep < 0:
            stripped = line.rstrip(" \t")
            if not stripped.endswith(":"):
                return None
            sep = len(stripped) - 1
        raw = line[col:sep].rstrip(" \t")
        if sep - col > _KEY_MAX or not raw or " #" in raw or "\t#" in raw or not _plain_ok(raw):
            return None
        return Scalar(base + col, base + col + len(raw), "", raw, None), sep + 1

    def mapping(self, i: int, col: int, top: bool = False) -> tuple[Mapping, int]:
        self.enter(i)
        m = Mapping(self.starts[i] + col, col, False)
        while True:
            parsed = self.key_at(i, col)
            if parsed is None:
                raise Unsupported(f"not a simple key on line {i + 1}")
            key, after = parsed
            value, last = self.value(i, after, col, top and key.value == self.recover)
            m.pairs.append((key, value))
            j = self.sig(last + 1)
            if j >= self.n:
                break
            ind = self.indent(j)
            if ind < col or (ind == col and self.is_entry(j, col)):
                break
            if ind > col:
                raise Unsupported(f"unexpected indentation on line {j + 1}")
            i = j
        m.end = self.starts[last + 1]
        self.level -= 1
        return m, last

    def enter(self, i: int) -> None:
        self.level += 1
        if self.level > _DEPTH:
            raise Unsupported(f"nested too deeply on line {i + 1}")

    def value(self, i: int, col: int, parent: int, recover: bool) -> tuple[Node, int]:
        """The value after a key's ':' (line i, column col) in a mapping at ``parent``."""
        line = self.lines[i]
        rest = line[col:].lstrip(" \t")
        if rest and rest[0] != "#":
            return self.inline(i, len(line) - len(rest), parent)
        j = self.sig(i + 1)
        if j < self.n:
            ind = self.indent(j)
            if ind >= parent and self.is_entry(j, ind):
                return self.sequence(j, ind, recover)
            if ind > parent:
                return self.node(j, ind, parent)
        pos = self.starts[i] + col
        return Scalar(pos, pos, "", "", NULL), i

    def sequence(self, i: int, col: int, recover: bool) -> tuple[Sequence, int]:
        self.enter(i)
        level = self.level
        starts = self.starts
        s = Sequence(starts[i] + col, col, False)
        while True:
            try:
                entry, last = self.entry(i, col)
            except Unsupported:
                if not recover:
                    raise
                self.level = level
                entry, last = self.recover_entry(i, col)
            s._entries.append(entry)
            s.spans.append((starts[i], starts[last + 1]))
            j = self.sig(last + 1)
            if j >= self.n:
                break
            ind = self.indent(j)
            if ind < col or (ind == col and not self.is_entry(j, col)):
                break
            if ind > col:
                raise Unsupported(f"unexpected indentation on line {j + 1}")
            i = j
        s.end = starts[last + 1]
        self.level -= 1
        return s, last

    def entry(self, i: int, col: int) -> tuple[Node, int]:
        line = self.lines[i]
        rest = line[col + 1:].lstrip(" ")
        if not rest or rest[0] == "#":
            j = self.sig(i + 1)
            if j < self.n and self.indent(j) > col:
                return self.node(j, self.indent(j), col)
            pos = self.starts[i] + col + 1
            return Scalar(pos, pos, "", "", NULL), i
        e = len(line) - len(rest)
        if rest[0] == "\t" or self.is_entry(i, e):
            raise Unsupported(f"nested sequence or tab on line {i + 1}")
        if self.key_at(i, e) is not None:
            return self.mapping(i, e)
        return self.inline(i, e, col)

    def recover_entry(self, i: int, col: int) -> tuple[Node, int]:
        """Hand one entry of a block sequence to libyaml."""
        j = i + 1
        while True:
            j = self.sig(j)
            if j >= self.n or self.indent(j) <= col:
                break
            j += 1
        last = j - 1
        while last > i and not self.lines[last].strip():
            last -= 1
        start, stop = self.starts[i], self.starts[last + 1]
        chunk = self.text[start:stop]
        chunk = chunk[:col] + " " + chunk[col + 1:]  # "- " -> "  ": same offsets
        try:
            node = compose(chunk, start)
        except yaml.YAMLError as exc:
            raise Unsupported(f"entry on line {i + 1}: {exc}") from None
        if node is None:
            pos = start + col + 1
            node = Scalar(pos, pos, "", "", NULL)
        return node, last

    # -- scalars and one-line flow collections

    def inline(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        line = self.lines[i]
        base = self.starts[i]
        c = line[col]
        if c in ("'", '"'):
            end = self.quoted_end(line, col)
            if end is None:
                raise Unsupported(f"multi-line quoted scalar on line {i + 1}")
            self.trailing(line, end, i)
            node: Node = self.quoted(line, col, end, base)
        elif c in "|>":
            return self.block_scalar(i, col, parent)
        elif c in "[{":
            end = self.flow_end(line, col)
            if end is None:
                raise Unsupported(f"multi-line flow collection on line {i + 1}")
            self.trailing(line, end, i)
            snippet = line[col:end]
            _compose_snippet(snippet)  # validates it (memoised)
            node = Flow(base + col, base + end, snippet)
        elif c in _INDICATORS and not (c in "-?:" and line[col + 1:col + 2] not in _SPACE):
            raise Unsupported(f"indicator {c!r} on line {i + 1}")
        else:
            end = len(line)
            for mark in (" #", "\t#"):
                k = line.find(mark, col)
                if 0 <= k < end:
                    end = k
            raw = line[col:end].rstrip(" \t")
            if ": " in raw or ":\t" in raw or raw.endswith(":"):
                raise Unsupported(f"':' in a plain scalar on line {i + 1}")
            if not _plain_ok(raw):
                raise Unsupported(f"a scalar the safe loader does not build on line {i + 1}")
            node = Scalar(base + col, base + col + len(raw), "", raw, None)
        j = self.sig(i + 1)
        if j < self.n and self.indent(j) > parent:
            raise Unsupported(f"multi-line scalar on line {i + 1}")
        return node, i

    @staticmethod
    def trailing(line: str, end: int, i: int) -> None:
        rest = line[end:]
        stripped = rest.lstrip(" \t")
        if stripped and (stripped[0] != "#" or len(stripped) == len(rest)):
            raise Unsupported(f"unexpected text after a value on line {i + 1}")

    @staticmethod
    def quoted_end(line: str, col: int) -> int | None:
        q = line[col]
        k = col + 1
        while True:
            j = line.find(q, k)
            if j < 0:
                return None
            if q == "'":
                if line[j + 1:j + 2] == "'":
                    k = j + 2
                    continue
                return j + 1
            b = j - 1
            while line[b] == "\\":
                b -= 1
            if (j - 1 - b) % 2:
                k = j + 1
                continue
            return j + 1

    @staticmethod
    def quoted(line: str, col: int, end: int, base: int) -> Scalar:
        raw = line[col:end]
        if raw[0] == "'":
            value = raw[1:-1].replace("''", "'")
        elif "\\" in raw:
            try:
                value = yaml.load(raw, Loader=_Loader)
            except yaml.YAMLError as exc:
                raise Unsupported(f"double-quoted scalar: {exc}") from None
        else:
            value = raw[1:-1]
        return Scalar(base + col, base + end, raw[0], value, STR)

    @staticmethod
    def flow_end(line: str, col: int) -> int | None:
        depth = 0
        k = col
        n = len(line)
        while k < n:
            c = line[k]
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return k + 1
            elif c in "'\"" and line[k - 1] in "[{, :":
                end = _Scanner.quoted_end(line, k)
                if end is None:
                    return None
                k = end
                continue
            elif c == "#" and line[k - 1] in " \t":
                return None  # a comment inside: the collection goes on past this line
            k += 1
        return None

    def block_scalar(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        line = self.lines[i]
        header = line[col:]
        if not _BLOCK_HEADER.match(header):
            raise Unsupported(f"block scalar header on line {i + 1}")
        lines = self.lines
        n = self.n
        j = i + 1
        content_indent = None
        widest_blank = 0
        while j < n:
            s = lines[j]
            t = s.lstrip(" ")
            if t:
                ind = len(s) - len(t)
                if content_indent is None:
                    if ind <= parent:
                        break
                    if t[0] == "\t":
                        raise Unsupported(f"tab in the indentation on line {j + 1}")
                    content_indent = ind
                elif ind < content_indent:
                    break
            elif content_indent is None:
                widest_blank = max(widest_blank, len(s))
            j += 1
        if widest_blank > (parent if content_indent is None else content_indent):
            raise Unsupported(f"leading blank lines in the block scalar on line {i + 1}")
        last = j - 1
        starts = self.starts
        content = self.text[starts[i + 1]:starts[last + 1]] if last > i else ""
        node = Scalar(starts[i] + col, starts[last + 1], line[col], None, STR, (header, content))
        return node, last


# --------------------------------------------------------------------------- reading


def to_python(node: Node | None, depth: int = 0) -> object:
    """Plain Python data for a (small) subtree: what PyYAML's safe loader would build."""
    if depth > _DEPTH:
        raise ValueError("document nested too deeply")
    if node is None:
        return None
    if type(node) is Flow:
        node = node.expand()
    if isinstance(node, Scalar):
        if node.tag == STR:
            return node.value
        if node.tag == "?":
            raise ValueError("complex mapping key")
        return yaml.constructor.SafeConstructor().construct_object(
            yaml.ScalarNode(node.tag, node.value))
    if isinstance(node, Mapping):
        out: dict = {}
        for k, v in node.items():  # "<<" merge keys first, as PyYAML flattens them
            if k.tag == _UNBUILT[0]:
                subs = [v] if isinstance(v, Mapping) else list(reversed(
                    v.entries if isinstance(v, Sequence) else [v]))
                if not all(isinstance(m, Mapping) for m in subs):
                    raise ValueError("a merge key needs a mapping or a list of mappings")
                for m in subs:
                    out.update(to_python(m, depth + 1))  # type: ignore[call-overload]
        for k, v in node.items():
            if k.tag == _UNBUILT[0]:
                continue
            key = k.value if k.tag == _UNBUILT[1] else to_python(k, depth + 1)  # "=": a str
            try:
                out[key] = to_python(v, depth + 1)
            except TypeError:
                raise ValueError("unhashable mapping key") from None
        return out
    assert isinstance(node, Sequence)
    return [to_python(v, depth + 1) for v in node.entries]
