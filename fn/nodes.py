"""YAML nodes that know where they stand in the source text (character offsets)."""

from __future__ import annotations

from collections.abc import Iterator

from fn import yamlc

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"  # "=": a string as a key (PyYAML), else not buildable
_SET, _OMAP, _PAIRS = ("tag:yaml.org,2002:" + t for t in ("set", "omap", "pairs"))
# first characters with which a plain scalar can be something other than a string
MAYBE_NOT_STR = "".join(sorted(k for k in yamlc.yaml.resolver.Resolver.yaml_implicit_resolvers
                                if k))
_MAYBE_NOT_STR = frozenset(MAYBE_NOT_STR)


# short plain values resolved so far ("name", "true", "80"); fn._yamlwalk reads it too
RESOLVED: dict[str, str] = {}


def resolve(value: str) -> str:
    """The tag of a plain scalar, as PyYAML's safe loader resolves it (YAML 1.1)."""
    if value and value[0] not in _MAYBE_NOT_STR:
        return STR
    tag = RESOLVED.get(value)
    if tag is None:
        tag = yamlc.resolver().resolve(yamlc.ScalarNode, value, (True, False))
        if len(value) <= 64 and len(RESOLVED) < 4096:  # keys and small values repeat
            RESOLVED[value] = tag
    return tag


try:  # the layouts: C integers for offsets where fn._yamlwalk is built (smaller)
    from fn._yamlwalk import Mapping as _MappingLayout
    from fn._yamlwalk import Node as _NodeLayout
    from fn._yamlwalk import Scalar as _ScalarLayout
    from fn._yamlwalk import Sequence as _SequenceLayout
except ImportError:  # the same slots in Python
    class _NodeLayout:  # type: ignore[no-redef]
        __slots__ = ("end", "start")

    class _ScalarLayout(_NodeLayout):  # type: ignore[no-redef]
        __slots__ = ("_tag", "style", "value")

    class _MappingLayout(_NodeLayout):  # type: ignore[no-redef]
        __slots__ = ("flow", "indent", "pairs", "tag")

    class _SequenceLayout(_NodeLayout):  # type: ignore[no-redef]
        __slots__ = ("entries", "flow", "indent", "tag")


class Node(_NodeLayout):
    __slots__ = ()

    start: int
    end: int


class Scalar(_ScalarLayout, Node):
    """A scalar. ``style``: "" plain, "'" or '"' quoted, "|" or ">" block.
    ``tag`` is resolved (YAML 1.1, as PyYAML's safe loader does) when first read."""

    __slots__ = ()
    style: str
    value: str
    _tag: str | None

    def __init__(self, start: int, end: int, style: str, value: str, tag: str | None) -> None:
        self.start = start
        self.end = end
        self.style = style
        self.value = value
        self._tag = tag

    @property
    def tag(self) -> str:
        if self._tag is None:
            self._tag = resolve(self.value)
        return self._tag

    def text(self) -> str | None:
        """The value when the scalar is a string, else None."""
        return self.value if self.tag == STR else None


def _is_merge_key(key: Scalar) -> bool:
    """A ``<<`` merge key (plain, resolved as YAML 1.1 merge), as PyYAML reads it."""
    return key.value == "<<" and not key.style and key.tag == MERGE


class Mapping(_MappingLayout, Node):
    """A mapping holding the pairs its read policy kept. ``end``: where a new last key
    goes (block style: the start of the line after its content) or the offset after '}'."""

    __slots__ = ()
    indent: int
    flow: bool
    pairs: list[tuple[Scalar, Node]]
    tag: str | None

    def __init__(self, start: int, indent: int, flow: bool) -> None:
        self.start = start
        self.end = start
        self.indent = indent
        self.flow = flow
        self.pairs: list[tuple[Scalar, Node]] = []
        self.tag: str | None = None

    def get(self, key: str) -> Node | None:
        found = None
        merge = False
        for k, v in self.pairs:  # (pair() without its tuples: this is the hot path)
            name = k.value
            if name == key:
                if k.style or k.tag == STR:
                    found = v  # the last of duplicate keys wins, as in PyYAML
            elif name == "<<":
                merge = True
        if found is None and merge:
            for merged in self.merged():
                found = merged.get(key)
                if found is not None:
                    break
        return found

    get_in_python = get  # (fn.yamlread puts fn._yamlwalk's in get's place; it asks this
    #                      one where a "<<" merge key is)

    def pair(self, key: str) -> tuple[Scalar | None, Node | None]:
        """(key, value) for ``key``; the key is None when a ``<<`` merge key brings it."""
        found: tuple[Scalar | None, Node | None] = (None, None)
        for k, v in self.pairs:
            if k.value == key and (k.style or k.tag == STR):
                found = (k, v)  # the last of duplicate keys wins, as in PyYAML
        if found[1] is None:
            for merged in self.merged():
                value = merged.get(key)
                if value is not None:
                    return None, value
        return found

    def merged(self) -> list[Mapping]:
        """The mappings ``<<`` merge keys bring in, earlier first (they win), as in PyYAML."""
        out: list[Mapping] = []
        for k, v in self.pairs:
            if _is_merge_key(k):
                out += [v] if isinstance(v, Mapping) else [
                    m for m in (v.entries if isinstance(v, Sequence) else ())
                    if isinstance(m, Mapping)]
        return out

    def items(self) -> Iterator[tuple[Scalar, Node]]:
        return iter(self.pairs)


class Sequence(_SequenceLayout, Node):
    """A sequence. ``end``: where a new last entry goes (block) or the offset after ']'."""

    __slots__ = ()
    indent: int
    flow: bool
    entries: list[Node]
    tag: str | None

    def __init__(self, start: int, indent: int, flow: bool) -> None:
        self.start = start
        self.end = start
        self.indent = indent
        self.flow = flow
        self.entries: list[Node] = []
        self.tag: str | None = None


class Skipped(Node):
    """A sequence entry its read policy did not keep: only its span is known."""

    __slots__ = ()

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end


def plain(node: Node, budget: list[int] | None = None, depth: int = 0) -> object:
    """A read tree as data to compare, nothing merged or built: a string as itself, any
    other scalar as (tag, value), a skipped entry as ``...``. ValueError for what does not
    compare as data (a tagged collection, a complex key) or past ``budget`` nodes or 400
    levels (aliases expanded). ``fn._yamlwalk.plain`` is the same in C."""
    if budget is None:
        budget = [100_000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 400:
        raise ValueError("too many nodes once aliases are expanded")
    if isinstance(node, Scalar):
        tag = node.tag
        if tag == "?":
            raise ValueError("a complex key")
        return node.value if tag == STR else (tag, node.value)
    if isinstance(node, Skipped):
        return ...
    if node.tag is not None:  # type: ignore[attr-defined]
        raise ValueError("a tagged collection")
    if isinstance(node, Sequence):
        return [plain(e, budget, depth + 1) for e in node.entries]
    return {plain(k, budget, depth + 1): plain(v, budget, depth + 1)
            for k, v in node.pairs}  # type: ignore[attr-defined]


def is_null(node: Node | None) -> bool:
    return isinstance(node, Scalar) and node.tag == NULL


def string(node: Node | None) -> str | None:
    return node.value if isinstance(node, Scalar) and node.tag == STR else None


def to_python(node: Node | None, budget: list[int] | None = None) -> object:
    """Plain data for a subtree, as PyYAML's safe loader builds it. Aliases are expanded,
    so a budget of nodes (default 100,000) stops "billion laughs" documents."""
    if budget is None:
        budget = [100_000]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("document too large once its aliases are expanded")
    if node is None:
        return None
    if isinstance(node, Scalar):
        if node.tag == STR:
            return node.value
        if node.tag == "?":
            raise ValueError("complex mapping key")
        try:
            return yamlc.yaml.constructor.SafeConstructor().construct_object(
                yamlc.ScalarNode(node.tag, node.value))
        except Exception:  # e.g. "!!int abc": say what, never the value (it may be secret)
            raise ValueError("a value that does not match its tag") from None
    if isinstance(node, Mapping):
        out: dict = {}
        for k, v in node.pairs:  # what PyYAML merges (else it fails, and so do we)
            if _is_merge_key(k) and not (
                    isinstance(v, Mapping) or (isinstance(v, Sequence) and all(
                        isinstance(m, Mapping) for m in v.entries))):
                raise ValueError("a merge key needs a mapping or a list of mappings")
        for merged in reversed(node.merged()):
            out.update(to_python(merged, budget))  # type: ignore[arg-type]
        for k, v in node.pairs:
            if _is_merge_key(k):
                continue
            key = k.value if k.tag == VALUE else to_python(k, budget)
            try:
                out[key] = to_python(v, budget)
            except TypeError:
                raise ValueError("unhashable mapping key") from None
        return set(out) if node.tag == _SET else out
    if isinstance(node, Sequence):
        if node.tag in (_OMAP, _PAIRS):  # "!!omap [a: 1]": a list of (key, value)
            if not all(isinstance(m, Mapping) and len(m.pairs) == 1 for m in node.entries):
                raise ValueError("an ordered mapping needs mappings of one key each")
            return [(to_python(m.pairs[0][0], budget), to_python(m.pairs[0][1], budget))
                    for m in node.entries]
        return [to_python(v, budget) for v in node.entries]
    raise ValueError("part of the document was not read")
