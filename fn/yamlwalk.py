"""fn.yamlread's reader in Python: libyaml's events (PyYAML's C parser) walked by the
read policy. The compiled reader, ``fn._yamlwalk``, is the same walk step for step; this
one is used where it is not built (and, in tests, to hold the two to the same results)."""

from __future__ import annotations

from fn.nodes import NULL, STR, Mapping, Node, Scalar, Sequence, Skipped
from fn.yamlc import (
    AliasEvent,
    CParser,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from fn.yamlrules import (
    ALL,
    GIVEN_TWICE,
    MAPPING,
    MAX_DEPTH,
    MAX_EXPANSION,
    SCALAR,
    SEQUENCE,
    NeedsAll,
    Policy,
    Refused,
    TooDeep,
    past_properties,
    tag_problem,
)


def walk(text: str, lines: str, policy: Policy, refused: list[Refused],
         aliases: list | None = None) -> list[tuple[int, int, Node | None]]:
    """Every document: (start, end, root); refusals appended to ``refused``; with
    ``aliases``, (node, start, end, in a skipped part) of each alias to a kept node. ``lines``
    is the text with every line break as LF (fn.linebreaks.as_lf), for finding line starts."""
    reader = _Reader(text, lines, policy, refused)
    reader.aliases = aliases
    return reader.stream()


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
    def __init__(self, text: str, lines: str, policy: Policy,
                 refused: list[Refused]) -> None:
        self.text = text
        self.lines = lines  # for finding line starts
        self.policy = policy
        self.anchors: dict[str, Node] = {}     # anchored nodes that were kept
        self.sizes: dict[str, int | None] = {}  # anchor -> size with aliases expanded
        self.partial: set[str] = set()  # anchored collections kept in part (their policy)
        self.count = 0                          # nodes so far, aliases expanded
        self.refused = refused
        self.last = 0  # where the last leaf read (scalar, alias, flow collection) ends
        self.aliases: list | None = None  # (kept node, start, end, skipped) of each alias

    def stream(self) -> list[tuple[int, int, Node | None]]:
        loader = CParser(_Chunks(self.text))
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
            self.sizes.clear()
            self.partial.clear()
            self.count = 0

    def node(self, e: object, policy: Policy, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise TooDeep("document nested too deeply")
        t = type(e)
        if t is AliasEvent:
            self.last = e.end_mark.index  # not the anchored node's end: that is elsewhere
            found = self.anchors.get(e.anchor)
            if self.alias(e) and (found is None or e.anchor in self.partial):
                raise NeedsAll()  # (what was not kept there may be wanted here)
            if found is not None and self.aliases is not None:
                self.aliases.append((found, e.start_mark.index, e.end_mark.index, False))
            return found or Scalar(e.start_mark.index, e.end_mark.index, "", "", NULL)
        if e.tag is not None:
            self.check_tag(e)
        anchor = e.anchor
        if anchor is not None:
            self.sizes[anchor] = None  # being read: an alias to it now is recursive
            before = self.count
        self.count += 1
        if t is ScalarEvent:
            tag = e.tag if e.tag and e.tag != "!" else None
            if tag is None and not e.implicit[0]:
                tag = STR  # quoted, or "!" non-specific
            start = e.start_mark.index
            if anchor is not None or e.tag is not None:
                start = self.past_properties(start, e.end_mark.index)
            node: Node = Scalar(start, e.end_mark.index, e.style or "", e.value, tag)
            self.last = e.end_mark.index
        elif t is MappingStartEvent:
            node = self.mapping(e, policy, depth)
        else:
            node = self.sequence(e, policy, depth)
        if anchor is not None:
            self.anchors[anchor] = node
            self.sizes[anchor] = self.count - before
            if t is not ScalarEvent and policy != ALL:
                self.partial.add(anchor)
            else:
                self.partial.discard(anchor)
        return node

    def past_properties(self, pos: int, end: int) -> int:
        return past_properties(self.text, pos, end)

    def alias(self, e: AliasEvent) -> bool:
        """Account for an alias: its anchor must be complete, the expansion bounded.
        False when the alias is refused."""
        size = self.sizes.get(e.anchor, -1)
        if size is None:  # no YAML reader can build these: an error, like invalid YAML
            raise Refused("found a recursive alias", e.start_mark)
        if size < 0:
            raise Refused("found an alias to an undefined anchor", e.start_mark)
        limit = MAX_EXPANSION + 10 * len(self.text)
        if self.count <= limit:
            self.count += size
            if self.count > limit:  # reported once
                return self.refuse(f"aliases that expand to more than {MAX_EXPANSION:,} "
                                   "nodes (a YAML bomb?)", e)
        return True

    def check_tag(self, e: object) -> None:
        t = type(e)
        problem = tag_problem(SCALAR if t is ScalarEvent else MAPPING if t is MappingStartEvent
                              else SEQUENCE, e.tag, e.value if t is ScalarEvent else None)
        if problem is not None:
            self.refuse(problem, e)

    def refuse(self, problem: str, e: object) -> bool:
        if len(self.refused) < 10:
            self.refused.append(Refused(problem, e.start_mark))
        return False

    def mapping(self, e: MappingStartEvent, policy: Policy, depth: int) -> Mapping:
        m = Mapping(e.start_mark.index, e.start_mark.column, bool(e.flow_style))
        if e.tag and e.tag not in ("!", "tag:yaml.org,2002:map"):
            m.tag = e.tag
        nxt = self.nxt
        last = e.start_mark.index
        keep_all = policy == ALL
        pick = policy if callable(policy) and not isinstance(policy, dict) else None
        if not m.flow and (e.anchor is not None or e.tag is not None):
            # "&anchor" / "!tag" before it: its indentation is its first key's (or "?"'s)
            m.indent = e.end_mark.column  # column, where libyaml's mapping token is
        while True:
            k = nxt()
            if type(k) is MappingEndEvent:
                return self.close(m, k, last)
            simple = type(k) is ScalarEvent
            name = k.value if simple else None
            key: Node | None = None
            if not simple:  # a complex key: read it first (never matched; kept for spans)
                inner = self.node(k, ALL, depth + 1)
                key = Scalar(inner.start, inner.end, "", "", "?")
                if type(k) is AliasEvent and isinstance(inner, Scalar):  # "*x : v": a copy
                    key = Scalar(k.start_mark.index, k.end_mark.index, inner.style,
                                 inner.value, inner.tag)  # of the scalar, where the alias is
            v = nxt()
            if keep_all:
                sub: Policy = ALL
            elif not simple or policy is None:
                sub = None
            elif name == "<<":  # a merge key: what it brings is read like the mapping itself
                sub = ALL if pick is not None else {**policy, "[]": policy}  # (or a list of)
            elif pick is not None:
                sub = pick(m, name)
            else:
                sub = policy.get(name)  # type: ignore[union-attr]
            if sub is None:
                if key is None:  # a simple key not kept: checked and counted all the same
                    self.skip(k)
                last = self.skip(v)
                continue
            if key is None:
                key = self.node(k, ALL, depth + 1)
                if any(p[0].value == name and p[0].tag == key.tag for p in m.pairs):
                    self.refuse(GIVEN_TWICE, k)
            value = self.node(v, sub, depth + 1)
            m.pairs.append((key, value))  # type: ignore[arg-type]
            last = self.last

    def sequence(self, e: SequenceStartEvent, policy: Policy, depth: int) -> Sequence:
        s = Sequence(e.start_mark.index, e.start_mark.column, bool(e.flow_style))
        if e.tag and e.tag not in ("!", "tag:yaml.org,2002:seq"):
            s.tag = e.tag
        nxt = self.nxt
        sub = ALL if policy == ALL else (policy.get("[]") if isinstance(policy, dict) else None)
        then = policy.get("then") if isinstance(policy, dict) else None
        last = e.start_mark.index
        if not s.flow and (e.anchor is not None or e.tag is not None):
            # "&anchor" / "!tag" before it: its indentation is its first "-"'s column,
            # where libyaml's sequence token ends (is, when indented under its key)
            end = e.end_mark
            s.indent = end.column - (self.text[end.index:end.index + 1] != "-")
        while True:
            v = nxt()
            if type(v) is SequenceEndEvent:
                return self.close(s, v, last)
            if sub is None:
                start = v.start_mark.index
                last = self.skip(v)
                s.entries.append(Skipped(start, last))
            else:
                value = self.node(v, sub, depth + 1)
                last = self.last
                s.entries.append(value if then is None else then(value))

    def close(self, node: Mapping | Sequence, end: object, last: int) -> Mapping | Sequence:
        """A collection's end: after its bracket (flow), or the start of the line after
        its last content (block: where a new last key or entry goes)."""
        node.end = end.end_mark.index if node.flow else self.after(last)
        if node.flow:
            self.last = node.end
        return node

    def skip(self, e: object) -> int:
        """Walk past one node (checking it as ``node`` would); return its last leaf's end."""
        nxt = self.nxt
        opened: list[tuple[bool, str | None, int]] = []  # (flow style, anchor, count before)
        last = e.end_mark.index
        while True:
            t = type(e)
            if t is AliasEvent:
                if self.alias(e) and self.aliases is not None and (
                        found := self.anchors.get(e.anchor)) is not None:
                    self.aliases.append((found, e.start_mark.index, e.end_mark.index, True))
                last = e.end_mark.index
            elif t is ScalarEvent or t is MappingStartEvent or t is SequenceStartEvent:
                if e.tag is not None:
                    self.check_tag(e)
                if e.anchor is not None:  # (re)defined here, skipped: no kept node now
                    self.anchors.pop(e.anchor, None)
                if t is ScalarEvent:
                    if e.anchor is not None:
                        self.sizes[e.anchor] = 1
                    last = e.end_mark.index
                else:
                    if e.anchor is not None:
                        self.sizes[e.anchor] = None
                    opened.append((e.flow_style, e.anchor, self.count))
                    if len(opened) > MAX_DEPTH:
                        raise TooDeep("document nested too deeply")
                self.count += 1
            else:  # an end event
                flow, anchor, before = opened.pop()
                if flow:
                    last = e.end_mark.index
                if anchor is not None:
                    self.sizes[anchor] = self.count - before
            if not opened:
                self.last = last
                return last
            e = nxt()

    def after(self, pos: int) -> int:
        """The start of the line after offset ``pos`` (where new block content goes)."""
        text = self.lines
        if pos > 0 and text[pos - 1] == "\n":
            return pos
        nl = text.find("\n", pos)
        return len(text) if nl < 0 else nl + 1

