"""The compiled reader (fn._yamlwalk, C) against the Python reader (fn.yamlwalk): on the
same text and policy, the same trees (every node's class, offsets, style, value, tag,
indentation, and the same data from ``plain``), the same refusals and the same
exceptions, on fuzzed texts (the generators of test_yamlread), on every golden case's
input and on the real manifests under tests/data, each with the policies the function
reads with.

The extension must be built (``pip install -e .`` builds it; .ci/run installs gcc,
python3-dev and libyaml-dev for it): these tests fail, not skip, without it, since the
function would then run on the slower reader without anyone noticing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fn._yamlwalk import packable
from helpers import count
from hypothesis import given, note
from hypothesis import strategies as st
from test_yamlread import fuzz
from yamltexts import corrupted, documents, resource_lists

from fn import crdrows, locate, nodes, resourcelist, yamlread, yamlwalk
from fn.fieldspecs import FieldSpec, split
from fn.linebreaks import as_lf
from fn.nodes import Mapping, Scalar, Sequence, Skipped
from fn.packedtext import pack
from fn.yamlrules import YAMLError

TESTS = Path(__file__).resolve().parent
COMPILED = yamlread.COMPILED


def test_the_compiled_reader_is_built_and_used():
    assert COMPILED is not None, (
        "fn._yamlwalk is not built: pip install -e . with gcc, python3-dev and libyaml-dev")
    assert yamlread._walk is COMPILED
    assert yamlread.plain is not nodes.plain


def dump(node: object) -> object:
    """Everything a reader says about a node, as plain data."""
    if isinstance(node, Scalar):
        return ("S", node.start, node.end, node.style, node.value, node.tag)
    if isinstance(node, Mapping):
        return ("M", node.start, node.end, node.indent, node.flow, node.tag,
                [(dump(k), dump(v)) for k, v in node.pairs])
    if isinstance(node, Sequence):
        return ("Q", node.start, node.end, node.indent, node.flow, node.tag,
                [dump(e) for e in node.entries])
    if isinstance(node, Skipped):
        return ("K", node.start, node.end)
    return ("?", repr(node))


def as_data(plain, root: object) -> object:
    try:
        return plain(root)
    except ValueError as exc:
        return ("ValueError", str(exc))


def outcome(walk, text: str, policy: object) -> object:
    """What a reader makes of the text: its trees, refusals, aliases to kept nodes and, for
    each tree, what its ``plain`` (C: fn._yamlwalk.plain, Python: fn.nodes.plain) makes
    of it."""
    plain = yamlread.plain if walk is COMPILED else nodes.plain
    refused: list = []
    aliases: list = []
    try:
        docs = walk(text, as_lf(text), policy, refused, aliases)
    except Exception as exc:  # compared, class and all
        mark = getattr(exc, "problem_mark", None)
        where = (mark.index, mark.line, mark.column, mark.name) if mark is not None else None
        return ("raised", type(exc), str(exc), getattr(exc, "problem", None), where)
    return ("read", [(s, e, dump(root), as_data(plain, root)) for s, e, root in docs],
            [(r.problem, r.problem_mark.index, r.problem_mark.line, r.problem_mark.column)
             for r in refused],
            [(type(n).__name__, n.start, n.end, a, b, skipped) for n, a, b, skipped in aliases])


def _taken(nodes: list):
    def then(node):
        nodes.append(dump(node))
        return node
    return then


def policies() -> list[tuple[str, object]]:
    """The policies the function reads with, and the extremes."""
    return [
        ("all", yamlread.ALL),
        ("nothing", {}),
        ("resource list", resourcelist._root_policy(locate.resource_policy, lambda n: n)),
        ("resources", {"[]": locate.resource_policy}),
        ("stream", locate.resource_policy),
        ("items, skipped", {"items": {"[]": None}, "kind": yamlread.ALL}),
        ("user rows: lists a path enters without []", locate.policy_for(crdrows.table(
            (FieldSpec("apps", "Deployment", split("spec/template/spec/plugins/source/image")),
             FieldSpec("", "ConfigMap", split("data/images/image"))), ()))),
    ]


def same(text: str) -> None:
    for name, policy in policies():
        want = outcome(yamlwalk.walk, text, policy)
        got = outcome(COMPILED, text, policy)
        assert got == want, f"policy {name!r}: compiled {got!r:.300} != python {want!r:.300}"
    # "then": each entry handed over as soon as it is read, in the same order
    seen_py: list = []
    seen_c: list = []
    pol_py = resourcelist._root_policy(locate.resource_policy, _taken(seen_py))
    pol_c = resourcelist._root_policy(locate.resource_policy, _taken(seen_c))
    assert outcome(COMPILED, text, pol_c) == outcome(yamlwalk.walk, text, pol_py)
    assert seen_c == seen_py


@fuzz(1500)
@given(st.one_of(documents(), documents(wild=True)))
def test_same_on_generated_documents(text):
    count("yamlwalk.same_on_generated_documents")
    note(text)
    same(yamlread.strip_bom(text))


@fuzz(1500)
@given(st.one_of(corrupted(), corrupted(wild=True), resource_lists()))
def test_same_on_damaged_documents(text):
    count("yamlwalk.same_on_damaged_documents")
    note(text)
    same(yamlread.strip_bom(text))


@fuzz(1000)
@given(st.text(st.sampled_from(list("ab -:#'\"[]{},|>\n\r\t&*!?%@`~0.\\<=\x85\u2028\ufeff")),
               max_size=60))
def test_same_on_short_random_texts(text):
    count("yamlwalk.same_on_short_random_texts")
    note(text)
    same(text)


INPUTS = sorted(p for p in [*TESTS.glob("cases/*/*.yaml"), *TESTS.glob("cases/*/*/*.yaml"),
                            *TESTS.glob("data/**/*.yaml"), *TESTS.glob("fixtures/*.yaml")]
                if ".expected" not in p.parts)


def test_inputs_found():
    assert len(INPUTS) > 150, len(INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(TESTS)))
def test_same_on_test_inputs(path):
    same(yamlread.strip_bom(path.read_text(encoding="utf-8", errors="surrogateescape")))


def events_before_error(text: str) -> int:
    """libyaml's events for ``text`` as PyYAML's C parser reads it (through libyaml's
    reader), up to the stream's end or the first error."""
    import yaml

    seen = 0
    try:
        for _ in yaml.parse(text, Loader=yaml.CSafeLoader):
            seen += 1
    except yaml.YAMLError:
        pass
    return seen


def readable(c: str) -> bool:
    """A character libyaml's reader lets through (reader.c's check)."""
    o = ord(c)
    return (c in "\t\n\r\x85" or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF
            or 0xE000 <= o <= 0xFFFD or 0x10000 <= o <= 0x10FFFF)


def in_place_same(text: str) -> None:
    """The text read in place (as walk reads it, when libyaml's reader would only copy it)
    ends just before a page nothing may read: reading past the NUL after it would crash the
    tests. And it gives the events libyaml's own reader gives, as many up to an error."""
    got = yamlread._C.guarded(text)  # type: ignore[union-attr]
    if all(map(readable, text)) and not text.startswith("\ufeff"):  # (dropped, uncounted)
        assert got == events_before_error(text), text[-80:]
    else:
        assert got == -1  # not read in place: libyaml's reader judges what it holds


@pytest.mark.parametrize("path", INPUTS[::3], ids=lambda p: str(p.relative_to(TESTS)))
def test_read_in_place_stops_at_the_text_end(path):
    text = yamlread.strip_bom(path.read_text(encoding="utf-8", errors="surrogateescape"))
    for end in sorted({*range(0, len(text) + 1, max(1, len(text) // 150)), len(text)}):
        in_place_same(text[:end])


@fuzz(1000)
@given(st.one_of(documents(), corrupted(wild=True), st.text(
    st.sampled_from(list("ab -:#'\"[]{},|>\n\r\t&*!?%@`~0.\\<=\x00\x7f\x1b\x85\x9fé∂\u2028"
                         "\ufeff\ufffe\U0001F600")), max_size=40)))
def test_read_in_place_reads_what_libyaml_reads(text):
    count("yamlwalk.read_in_place")
    note(text)
    n = len(text)  # (about 50 ends a text: every one of its last 12, then spread)
    for end in sorted({*range(0, n + 1, max(1, n // 40)), *range(max(0, n - 12), n + 1)}):
        in_place_same(text[:end])


NON_ASCII = [p for p in INPUTS
             if not p.read_text(encoding="utf-8", errors="surrogateescape").isascii()]
WINDOWS = [8, 13, 64, 1 << 16]  # bytes: non-ASCII text reaches libyaml a window at a time


def through_window(size: int, text: str) -> None:
    """same(text) with libyaml reading non-ASCII text ``size`` bytes at a time (tokens
    longer than that go through libyaml's own reader, by the read handler)."""
    was = yamlread._C.window(size)  # type: ignore[union-attr]
    try:
        same(text)
    finally:
        yamlread._C.window(was)  # type: ignore[union-attr]


def test_non_ascii_inputs_found():
    assert len(NON_ASCII) >= 5, NON_ASCII


@pytest.mark.parametrize("size", WINDOWS)
@pytest.mark.parametrize("path", NON_ASCII, ids=lambda p: str(p.relative_to(TESTS)))
def test_same_through_windows_on_non_ascii_inputs(path, size):
    through_window(size, yamlread.strip_bom(path.read_text(encoding="utf-8",
                                                             errors="surrogateescape")))


@fuzz(1000)
@given(st.sampled_from(WINDOWS), st.one_of(documents(wild=True), corrupted(wild=True), st.text(
    st.sampled_from(list("ab -:#'\"[]{},|>\n\r\t&*!?%@`~0.\\<=\x85é∂\u2028\U0001F600\u0100")),
    max_size=80)))
def test_same_through_windows_on_generated_texts(size, text):
    count("yamlwalk.same_through_windows")
    note(text)
    through_window(size, "é\n" + yamlread.strip_bom(text))  # (non-ASCII: by window)


def test_a_window_size_out_of_range_is_refused():
    with pytest.raises(ValueError):
        yamlread._C.window(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [
    "k: " + "[" * 3000 + "]" * 3000 + "\n",  # PyYAML's libyaml: a nesting limit (1000)
    "a:\n" + "".join("  " * i + "-\n" for i in range(1, 600)),
    "&a " + "[" * 300 + "]" * 300,
    "a: &x [1, 2]\nb: *x\nc: *y\n", "a: &x [*x]\n", "a: &a\n  b: &b\n    c: *a\n",
    "\ufeffa: 1\n", "a: 1\n\ufeff---\nb: 2\n", "a: \x07\n", "a: '\\x'\n", 'a: "\\ud800"\n',
    "a: é\nb: ∂\n\U0001F600: x\n", "a: !!python/name:os.system x\n", "a: !!int x\n",
    "a: !!set [1]\n", "? [a]\n: 1\n", "*x : 1\n", "&x a: 1\n*x : 2\n", "a: 1\na: 2\n",
    "items:\n- a\n- &x {b: 1}\n- *x\n", "", "---\n", "--- \n...\n--- a\n", "%YAML 1.1\n---\na\n",
    "a: &x 1\nb: &x 2\nc: *x\n", "items:\n- &x {a: 1}\n- &x [2]\n- *x\n",
])
def test_same_on_edges(text):
    same(text)


@pytest.mark.parametrize("walk", ["compiled", "python"])
def test_an_anchor_defined_again_in_a_skipped_part_is_the_one_an_alias_means(walk):
    """``*x`` means the latest ``&x`` whatever the policy keeps (the skipped definition
    made the reader read again keeping everything; it once gave the earlier one)."""
    text = "a: &x 1\nb: &x 2\nc: *x\n"
    reader = COMPILED if walk == "compiled" else yamlwalk.walk
    root = reader(text, text, yamlread.ALL, [])[0][2]
    assert {k.value: v.value for k, v in root.pairs}["c"] == "2"
    with pytest.raises(yamlwalk.NeedsAll):  # documents() then reads with its wide policy
        reader(text, text, {"a": yamlread.ALL, "c": yamlread.ALL}, [])
    assert yamlread.read(text, {"a": yamlread.ALL, "c": yamlread.ALL}).get("c").value == "2"


@pytest.mark.parametrize("walk", ["compiled", "python"])
def test_aliases_to_kept_nodes_are_noted_where_they_stand(walk):
    """Each alias to a kept node: the node, where the alias stands, and whether that is
    in a skipped part (fn.aliases keeps what those stood for); none to a skipped node."""
    text = "a: &x 1\nb: *x\nc: {d: *x}\ne: &y 2\nf: *y\n"
    reader = COMPILED if walk == "compiled" else yamlwalk.walk
    noted: list = []
    reader(text, text, {"a": yamlread.ALL, "b": yamlread.ALL}, [], noted)
    x = text.index("1")
    assert [(n.start, n.end, a, b, skipped) for n, a, b, skipped in noted] == [
        (x, x + 1, text.index("*x"), text.index("*x") + 2, False),
        (x, x + 1, text.rindex("*x"), text.rindex("*x") + 2, True)]


def test_a_refused_tagged_value_is_not_kept_in_memory():
    """A value that does not match its tag ("!!int secret") is refused; the shared PyYAML
    constructor that found it out keeps nothing of it."""
    from fn import yamlc

    refused: list = []
    yamlread.read("a: !!int secretvalue\n", refused=refused)
    assert [r.problem for r in refused] == ["a value that does not match its tag"]
    c = yamlc.safe_constructor()
    assert not c.recursive_objects and not c.constructed_objects


def test_same_on_a_large_generated_resource_list():
    """The benchmark's generator (bench/generate.py), 300 resources."""
    import sys

    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    gen = generate.generate(300, random.Random(7).randrange(1 << 30))
    same(gen.resourcelist)


def _mappings(node: object, out: list, seen: set) -> list:
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, Mapping):
        out.append(node)
        for k, v in node.pairs:
            _mappings(k, out, seen)
            _mappings(v, out, seen)
    elif isinstance(node, Sequence):
        for e in node.entries:
            _mappings(e, out, seen)
    return out


def same_get(text: str) -> None:
    """fn._yamlwalk's Mapping.get (the one in use) and fn.nodes' own, on every mapping of
    a document, for its keys, a merge key's, and keys it does not have: the same node."""
    try:
        root = yamlread.read(text, yamlread.ALL)
    except (YAMLError, ValueError):  # unreadable (TooDeep is a ValueError): nothing to compare
        return
    for m in _mappings(root, [], set()):
        names = [k.value for k, _ in m.pairs] + ["<<", "absent", "", "1", "true"]
        for name in names:
            assert m.get(name) is Mapping.get_in_python(m, name), (name, text)


def test_the_compiled_get_is_in_use():
    assert type(vars(Mapping)["get"]).__name__ == "method_descriptor"


@fuzz(1000)
@given(st.one_of(documents(), documents(wild=True), resource_lists()))
def test_get_is_the_same_on_generated_documents(text):
    count("yamlwalk.get_is_the_same")
    note(text)
    same_get(yamlread.strip_bom(text))


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",  # refused, kept: the last wins
    "? [x]\n: 1\nb: 2\n",  # a complex key
    "<<: {a: 1}\na: 2\n", "<<: [{a: 1}, {a: 3}]\nb: 2\n", "b: &b {a: 1}\nc: {<<: *b}\n",
    "'<<': {a: 1}\n", "!!str 1: a\n1: b\n'1': c\n", "true: 1\n'true': 2\n~: 3\nnull: 4\n",
    "&k a: 1\n*k : 2\n",
])
def test_get_is_the_same_on_edges(text):
    same_get(text)


def test_short_texts_are_made_once_and_each_reads_as_itself():
    """fn._yamlwalk makes a short ASCII text once and shares it (keys and values repeat):
    more distinct texts than its table holds, texts at and past the longest it shares,
    non-ASCII, empty, all read as themselves, as the Python reader reads them."""
    values = ([f"v{i}" for i in range(6000)] + ["x" * 40, "x" * 41, "é", "aé", "", "a b"]
              + [f"v{i}" for i in range(0, 6000, 7)])
    text = "".join(f"- k{i % 50}: '{v}'\n" for i, v in enumerate(values))
    same(text)
    root = yamlread.read(text, yamlread.ALL)
    assert [m.pairs[0][1].value for m in root.entries] == values
    first, again = root.entries[0].pairs[0][0].value, root.entries[50].pairs[0][0].value
    assert first == again == "k0" and first is again  # one "k0" for both keys


def test_pairs_let_go_as_a_tuple_read_alike():
    """A site's mapping keeps its pairs as a tuple once read (fn.resourcelist._let_go):
    Mapping.get and plain, in C and in Python, read it as they read the list."""
    for pairs in (lambda m: tuple(m.pairs), lambda m: ()):
        m = yamlread.read("a: 1\nb: [x]\n<<: {c: d}\n")
        m.pairs = pairs(m)
        assert yamlread.plain(m) == nodes.plain(m)
        for key in ("a", "b", "c", "z"):
            assert plain_or_none(m.get(key)) == plain_or_none(m.get_in_python(key))


def plain_or_none(node: object) -> object:
    return None if node is None else nodes.plain(node)


# ---- a packed text (fn.packedtext): the compiled reader reads its blocks a window at a time
PACKED_SIZES = [(13, 8), (64, 64), (1 << 16, 1 << 16)]  # (block, window): characters, bytes


def through_packed(block: int, window: int, text: str) -> None:
    """The compiled reader on ``text`` packed in blocks of ``block`` characters, read
    ``window`` bytes at a time, against the Python reader on the str (the Python reader
    never reads a Packed: only the compiled one's reading makes one)."""
    packed = pack(text.encode("ascii"), block)
    was = yamlread._C.window(window)  # type: ignore[union-attr]
    try:
        for name, policy in policies():
            want = outcome(yamlwalk.walk, text, policy)
            got = outcome(COMPILED, packed, policy)
            assert got == want, f"policy {name!r}: packed {got!r:.300} != python {want!r:.300}"
    finally:
        yamlread._C.window(was)  # type: ignore[union-attr]


PACKABLE = [p for p in INPUTS if packable(p.read_bytes().lstrip(b"\xef\xbb\xbf"))]


def test_packable_inputs_found():
    assert len(PACKABLE) > 100, len(PACKABLE)


@pytest.mark.parametrize("path", PACKABLE, ids=lambda p: str(p.relative_to(TESTS)))
def test_same_packed_on_test_inputs(path):
    text = yamlread.strip_bom(path.read_text(encoding="ascii"))
    for block, window in PACKED_SIZES[:2] if len(text) < 20000 else PACKED_SIZES[1:]:
        through_packed(block, window, text)


@fuzz(1000)
@given(st.sampled_from(PACKED_SIZES), st.one_of(documents(), corrupted(), st.text(
    st.sampled_from(list("ab -:#'\"[]{},|>\n\t&*!?%@`~0.\\<=")), max_size=80)))
def test_same_packed_on_generated_texts(sizes, text):
    count("yamlwalk.same_packed")
    note(text)
    if packable(text.encode()):
        through_packed(*sizes, text)


class _Failing:
    """A Packed whose third block cannot be had."""

    def __init__(self, text: str) -> None:
        self.inner = pack(text.encode(), 16)
        self.size = 16

    def __len__(self) -> int:
        return len(self.inner)

    def block(self, i: int) -> bytes:
        if i == 2:
            raise MemoryError("no block")
        return self.inner.block(i)


def test_a_block_that_cannot_be_had_is_raised_not_read_past():
    text = "a: 1\nb: [2, 3]\nc: {d: e}\nf: g\n" * 4
    with pytest.raises(TypeError):  # (a packed text is its own lines: one object)
        COMPILED(_Failing(text), _Failing(text), yamlread.ALL, [], None)
    for window in (8, 1 << 16):  # (the first window, or one filled after some events)
        was = yamlread._C.window(window)  # type: ignore[union-attr]
        try:
            failing = _Failing(text)
            with pytest.raises(MemoryError, match="no block"):
                COMPILED(failing, failing, yamlread.ALL, [], None)
        finally:
            yamlread._C.window(was)  # type: ignore[union-attr]
