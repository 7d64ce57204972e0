"""Read YAML with libyaml's event parser, building nodes only where the function looks.

libyaml (PyYAML's ``CSafeLoader``) checks every byte of the input, so any YAML error is
reported. A *policy* says which parts become nodes; the rest is only walked past, which
costs no memory and little time. Every node knows its character offsets, so changes are
splices into the original text (``fn.textedit``) and all else stays as written.

Policies: ``ALL`` keeps a whole subtree; a dict keeps the listed keys (``"[]"`` is the
policy of a sequence's entries, and ``"then"`` a function given each entry as soon as it
is read, whose return value is kept instead); a callable ``(mapping_so_far, key) ->
policy`` decides as keys arrive (used for resources, whose ``kind`` says where their
PodSpecs are).
"""

from __future__ import annotations

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from fn.nodes import STR, Mapping, Node, Scalar, Sequence, Skipped

ALL = "all"
Policy = object  # ALL | dict[str, Policy] | Callable[[Mapping, str], Policy] | None (skip)
MAX_DEPTH = 200

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NeedsAll(Exception):
    """An alias refers to something the policy skipped: read again, keeping everything."""


class TooDeep(ValueError):
    pass


def documents(text: str, policy: Policy = ALL, wide: Policy = ALL
              ) -> list[tuple[int, int, Node | None]]:
    """Every document of a stream: (start, end, root). Raises yaml.YAMLError on bad YAML.
    When an alias needs a part the policy skipped, the text is read again with ``wide``."""
    try:
        return _Reader(text, policy).stream()
    except NeedsAll:
        return _Reader(text, wide).stream()


def read(text: str, policy: Policy = ALL, wide: Policy = ALL) -> Node | None:
    """The single document in ``text`` (None when it is empty)."""
    docs = documents(text, policy, wide)
    if len(docs) != 1:
        raise ValueError(f"expected one YAML document, found {len(docs)}")
    return docs[0][2]


class _Chunks:
    """The text as a file for libyaml, in slices: given a str, PyYAML's C parser would
    first make a UTF-8 copy of all of it. Offsets stay in characters either way."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def read(self, size: int = -1) -> str:
        start = self.pos
        self.pos = len(self.text) if size < 0 else start + size
        return self.text[start:self.pos]


class _Reader:
    def __init__(self, text: str, policy: Policy) -> None:
        self.text = text
        self.policy = policy
        self.anchors: dict[str, Node] = {}

    def stream(self) -> list[tuple[int, int, Node | None]]:
        loader = _Loader(_Chunks(self.text))
        try:
            self.nxt = loader.get_event  # libyaml's parser, without a generator around it
            return self._documents()
        finally:
            loader.dispose()

    def _documents(self) -> list[tuple[int, int, Node | None]]:
        docs = []
        nxt = self.nxt
        nxt()  # StreamStart
        while True:
            e = nxt()
            if type(e) is StreamEndEvent:
                return docs
            assert type(e) is DocumentStartEvent
            start = e.start_mark.index
            root = self.node(nxt(), self.policy, 0)
            end_event = nxt()
            assert type(end_event) is DocumentEndEvent
            docs.append((start, end_event.end_mark.index, root))
            self.anchors.clear()

    def node(self, e: object, policy: Policy, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise TooDeep("document nested too deeply")
        t = type(e)
        if t is ScalarEvent:
            tag = e.tag if e.tag and e.tag != "!" else None
            if tag is None and not e.implicit[0]:
                tag = STR  # quoted, or "!" non-specific
            node: Node = Scalar(e.start_mark.index, e.end_mark.index, e.style or "", e.value, tag)
        elif t is MappingStartEvent:
            node = self.mapping(e, policy, depth)
        elif t is SequenceStartEvent:
            node = self.sequence(e, policy, depth)
        elif t is AliasEvent:
            found = self.anchors.get(e.anchor)
            if found is None:
                raise NeedsAll(e.anchor)
            return found
        else:  # pragma: no cover - libyaml guarantees the event grammar
            raise ValueError(f"unexpected {t.__name__}")
        anchor = getattr(e, "anchor", None)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def mapping(self, e: MappingStartEvent, policy: Policy, depth: int) -> Mapping:
        m = Mapping(e.start_mark.index, e.start_mark.column, bool(e.flow_style))
        if e.tag and e.tag not in ("!", "tag:yaml.org,2002:map"):
            m.tag = e.tag
        nxt = self.nxt
        last = e.start_mark.index
        keep_all = policy == ALL
        pick = policy if callable(policy) and not isinstance(policy, dict) else None
        while True:
            k = nxt()
            if type(k) is MappingEndEvent:
                m.end = k.end_mark.index if m.flow else self.after(last)
                return m
            simple = type(k) is ScalarEvent
            name = k.value if simple else None
            v = nxt()
            if keep_all:
                sub: Policy = ALL
            elif not simple or policy is None:
                sub = None
            elif pick is not None:
                sub = pick(m, name)
            else:
                sub = policy.get(name)  # type: ignore[union-attr]
            if sub is None:
                if not simple:
                    self.skip(k)
                last = self.skip(v)
                continue
            if simple:
                key = self.node(k, ALL, depth + 1)
            else:  # a complex key: keep its span, never match it
                inner = self.node(k, ALL, depth + 1)
                key = Scalar(inner.start, inner.end, "", "", "?")
            value = self.node(v, sub, depth + 1)
            m.pairs.append((key, value))  # type: ignore[arg-type]
            last = self.leaf_end(value)

    def sequence(self, e: SequenceStartEvent, policy: Policy, depth: int) -> Sequence:
        s = Sequence(e.start_mark.index, e.start_mark.column, bool(e.flow_style))
        if e.tag and e.tag not in ("!", "tag:yaml.org,2002:seq"):
            s.tag = e.tag
        nxt = self.nxt
        sub = ALL if policy == ALL else (policy.get("[]") if isinstance(policy, dict) else None)
        then = policy.get("then") if isinstance(policy, dict) else None
        last = e.start_mark.index
        while True:
            v = nxt()
            if type(v) is SequenceEndEvent:
                s.end = v.end_mark.index if s.flow else self.after(last)
                return s
            if sub is None:
                start = v.start_mark.index
                last = self.skip(v)
                s.entries.append(Skipped(start, last))
            else:
                value = self.node(v, sub, depth + 1)
                last = self.leaf_end(value)
                s.entries.append(value if then is None else then(value))

    def skip(self, e: object) -> int:
        """Walk past one node; return the end of its last leaf."""
        t = type(e)
        if t is ScalarEvent or t is AliasEvent:
            return e.end_mark.index
        nxt = self.nxt
        flows = [e.flow_style]
        last = e.end_mark.index
        while flows:
            e = nxt()
            t = type(e)
            if t is ScalarEvent or t is AliasEvent:
                last = e.end_mark.index
            elif t is MappingStartEvent or t is SequenceStartEvent:
                flows.append(e.flow_style)
                if len(flows) > MAX_DEPTH:
                    raise TooDeep("document nested too deeply")
            else:  # an end event
                if flows.pop():
                    last = e.end_mark.index
        return last

    @staticmethod
    def leaf_end(node: Node) -> int:
        if isinstance(node, Mapping | Sequence) and not node.flow:
            return node.end - 1 if node.end > node.start else node.end
        return node.end

    def after(self, pos: int) -> int:
        """The start of the line after offset ``pos`` (where new block content goes)."""
        text = self.text
        if pos > 0 and text[pos - 1] == "\n":
            return pos
        nl = text.find("\n", pos)
        return len(text) if nl < 0 else nl + 1

