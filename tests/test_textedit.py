"""fn.textedit: every edit, re-read with PyYAML, gives exactly the data expected, and
nothing else in the text moves.

Property tests run over trees from ``fn.yamlread.read`` (what the function uses) on
random documents from tests/yamltexts.py. The example tests pin the cases that once broke.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from helpers import count
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from yamltexts import documents, load, same

from fn import yamlread
from fn.nodes import NULL, to_python
from fn.textedit import Editor, block, first, flow, scalar

# Examples per property; FUZZ_SCALE=20 (random, not derandomized) for a long hunt.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
DERANDOMIZE = "FUZZ_SCALE" not in os.environ


def fuzz(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    derandomize=DERANDOMIZE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


# --------------------------------------------------------------------------- values

TRICKY = ["", " ", "yes", "No", "on", "0644", "1e3", "1.5", "~", "null", "2001-12-14", "12:30",
          "a: b", "a #b", "#x", "- x", "[x]", "{x}", "'", '"', "\\", "a\nb", "tail:", ":",
          "x\ty", "é", "日本", "🎉", "\x85", "\u2028", "\u2029", "\ufeff", "\x7f", "\x9f",
          "\x00", "\r", "\ufffe", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x", "=", "<<",
          "ghcr.io/acme/api:v1", "proxy.replicated.com/proxy/app/nginx:1.25", "true", "-1",
          "0x_", "2001-13-45", ".inf", ".5", "a,b"]
_chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
strings = st.one_of(st.sampled_from(TRICKY), st.text(_chars, max_size=12))
leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), strings)
values = st.recursive(
    leaves,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(strings, c, max_size=3),
    max_leaves=8)


# --------------------------------------------------------------------------- sites


class _Shared(Exception):
    """The tree shares a node (an alias): an edit there changes several places."""


def sites(tree, data: object) -> dict[str, list] | None:
    """Where edits can go, each with its path into ``data``: value scalars, collections,
    null values of mapping keys. Mappings with duplicate keys are left out (which of
    the duplicates PyYAML keeps is not what is tested here)."""
    out: dict[str, list] = {"scalar": [], "mapping": [], "sequence": [], "null": [],
                            "valued": []}
    seen: set[int] = set()

    def walk(node, d, path):
        if id(node) in seen:
            raise _Shared
        seen.add(id(node))
        if hasattr(node, "pairs"):
            if not isinstance(d, dict):
                return
            try:
                keys = [key_data(k) for k, _ in node.items()]
            except (ValueError, yaml.YAMLError):
                return
            if len(dict.fromkeys(keys)) != len(keys) or len(keys) != len(d):
                return
            out["mapping"].append((path, node))
            for (_, v), key in zip(list(node.items()), keys, strict=True):
                if is_scalar(v):
                    out["scalar"].append(([*path, key], v))
                    if isinstance(key, str):  # set_value: usually on null, any scalar will do
                        out["null" if v.tag == NULL else "valued"].append((path, node, key))
                walk(v, d[key], [*path, key])
        elif hasattr(node, "entries"):
            if not isinstance(d, list) or len(d) != len(node.entries):
                return
            out["sequence"].append((path, node))
            for i, v in enumerate(node.entries):
                if is_scalar(v):
                    out["scalar"].append(([*path, i], v))
                walk(v, d[i], [*path, i])

    try:
        walk(tree, data, [])
    except _Shared:
        return None
    return out


def is_scalar(node) -> bool:
    return hasattr(node, "style")


def key_data(k) -> object:
    """A key as data (ValueError for a complex key)."""
    return to_python(k)


def keep_gap(text: str, seq, i: int) -> bool:
    """Known gap: when the last entry is dropped, blank lines after the sequence go to a
    "|+" block scalar that ends the entry before, and comments after it indented like
    the block scalar's content go into it."""
    if seq.flow or i == 0 or i != len(seq.entries) - 1:
        return False
    before = text[seq.entries[i - 1].start:seq.entries[i].start]
    return "|" in before or ">" in before


def at(data, path):
    for p in path:
        data = data[p]
    return data


def put(data, path, value):
    at(data, path[:-1])[path[-1]] = value


def assert_edit(text: str, editor: Editor, expected: object) -> str:
    out = editor.render()
    note(f"edited text:\n{out}")
    try:
        got = load(out)
    except yaml.YAMLError as exc:
        raise AssertionError(f"the edit broke the YAML: {exc}") from None
    assert same(got, expected), f"\n  got:      {got!r}\n  expected: {expected!r}"
    # nothing outside the splices changed
    edits = sorted(editor.edits)
    pos = 0
    rest = out
    for start, end, _, new in edits:
        chunk = text[pos:start]
        assert rest.startswith(chunk)
        rest = rest[len(chunk):]
        assert rest.startswith(new)
        rest = rest[len(new):]
        pos = end
    assert rest == text[pos:]
    return out


def tagged(text: str, node) -> bool:
    """Maybe an explicit tag ("!!binary"): a reader may keep it out of the node's span,
    and a new string under it is not a string."""
    return "!" in text[text.rfind("\n", 0, node.start) + 1:node.start]


def editable_empty(text: str, node) -> bool:
    """An empty (null) scalar that set_scalar can fill: one after ':' or '-'."""
    return node.start != node.end or text[:node.start].rstrip(" \t")[-1:] in (":", "-")


def do_edit(data_strategy, text: str, tree) -> None:
    draw = data_strategy.draw
    base = load(text)
    where = sites(tree, base)
    if where is None:
        return
    kinds = [k for k in ("scalar", "mapping", "sequence", "null", "valued") if where[k]]
    if any(s.entries for _, s in where["sequence"]):
        kinds.append("delete")
    if not kinds:
        return
    kind = draw(st.sampled_from(kinds))
    expected = copy.deepcopy(base)
    editor = Editor(text)
    if kind == "scalar":
        path, node = draw(st.sampled_from(where["scalar"]))
        if not editable_empty(text, node) or tagged(text, node):
            return
        value = draw(strings)
        editor.set_scalar(node, value)
        put(expected, path, value)
    elif kind == "mapping":
        path, node = draw(st.sampled_from(where["mapping"]))
        key, value = draw(strings), draw(values)
        editor.add_key(node, key, value)
        at(expected, path)[key] = value
    elif kind == "sequence":
        path, node = draw(st.sampled_from(where["sequence"]))
        value = draw(values)
        editor.append(node, value)
        at(expected, path).append(value)
    elif kind in ("null", "valued"):
        path, node, key = draw(st.sampled_from(where[kind]))
        if tagged(text, node.get(key)):
            return
        value = draw(values)
        editor.set_value(node, key, value)
        at(expected, path)[key] = value
    else:
        path, node = draw(st.sampled_from([s for s in where["sequence"] if s[1].entries]))
        i = draw(st.integers(0, len(node.entries) - 1))
        if keep_gap(text, node, i):
            return
        editor.delete_entry(node, i)
        del at(expected, path)[i]
    note(f"{kind} at {path!r}: {editor.edits!r}")
    assert_edit(text, editor, expected)


def _loads(text: str) -> bool:
    try:
        return isinstance(load(text), dict)
    except Exception:
        return False


# --------------------------------------------------------------------------- properties


@fuzz(1500)
@given(documents(), st.data())
def test_edit_read_tree(text, data):
    count("textedit.edit_read_tree")
    note(text)
    try:
        tree = yamlread.read(text)
    except yamlread.Refused:  # e.g. a mapping key given twice
        return
    do_edit(data, text, tree)


@fuzz(800)
@given(documents(wild=True).filter(_loads), st.data())
def test_edit_wild_tree(text, data):
    """Anchors, tags, explicit keys, multi-line scalars...: what kpt does not write."""
    count("textedit.edit_wild_tree")
    text = yamlread.strip_bom(text)  # as the function does before reading
    note(text)
    try:
        tree = yamlread.read(text)
    except yaml.YAMLError:  # e.g. yamlread refuses Python tags
        return
    if hasattr(tree, "pairs"):
        do_edit(data, text, tree)


@fuzz(500)
@given(documents(), st.data())
def test_several_edits_at_once(text, data):
    """Many images rewritten and a key added in one pass, as the function does."""
    count("textedit.several_edits_at_once")
    note(text)
    try:
        tree = yamlread.read(text)
    except yamlread.Refused:
        return
    base = load(text)
    where = sites(tree, base)
    if where is None:
        return
    if not where["mapping"]:
        return
    expected = copy.deepcopy(base)
    editor = Editor(text)
    scalars = [s for s in where["scalar"] if editable_empty(text, s[1])]
    chosen = data.draw(st.lists(st.sampled_from(scalars), unique_by=lambda s: id(s[1]),
                                max_size=4)) if scalars else []
    for path, node in chosen:
        value = data.draw(strings)
        editor.set_scalar(node, value)
        put(expected, path, value)
    if data.draw(st.booleans()):
        path, node = data.draw(st.sampled_from(where["mapping"]))
        key = data.draw(strings)
        if key not in at(expected, path):
            value = data.draw(values)
            editor.add_key(node, key, value)
            at(expected, path)[key] = value
    if where["sequence"] and data.draw(st.booleans()):
        path, node = data.draw(st.sampled_from(where["sequence"]))
        value = data.draw(values)
        editor.append(node, value)
        at(expected, path).append(value)
    assert_edit(text, editor, expected)


@fuzz(300)
@given(documents())
def test_no_edits_renders_the_input(text):
    count("textedit.no_edits_renders_the_input")
    assert Editor(text).render() == text


@fuzz(400)
@given(values)
def test_emitters_read_back(value):
    count("textedit.emitters_read_back")
    assert same(load(flow(value)), value)
    if isinstance(value, dict | list) and value:
        assert same(load("\n".join(block(value, 0)) + "\n"), value)
        assert same(load("k:\n" + "\n".join(block(value, 2)) + "\n")["k"], value)
    elif not isinstance(value, dict | list):
        for style in ("", "'", '"'):
            assert same(load("k: " + scalar(value, style))["k"], value)


# --------------------------------------------------------------------------- examples


def edited(text: str, op) -> str:
    e = Editor(text)
    op(e, yamlread.read(text))
    return e.render()


@pytest.mark.parametrize(("text", "key", "value", "want"), [
    ("spec:\n  a: 1\n", "imagePullSecrets", [{"name": "s"}],
     "spec:\n  a: 1\n  imagePullSecrets:\n  - name: s\n"),
    ("spec:\n  a: 1", "k", "v", "spec:\n  a: 1\n  k: v\n"),  # no final newline
    ("spec:\n  a: 1 # one\n# trailing\n", "k", "v", "spec:\n  a: 1 # one\n  k: v\n# trailing\n"),
    ("spec:\n  a: |\n    x\n", "k", "yes", 'spec:\n  a: |\n    x\n  k: "yes"\n'),
    ("spec:\n  a: |+\n    x\n\n\nz: 1\n", "k", 1, "spec:\n  a: |+\n    x\n\n\n  k: 1\nz: 1\n"),
    ("spec:\n    a: 1\n", "k", {"b": [1, {}]},
     "spec:\n    a: 1\n    k:\n      b:\n      - 1\n      - {}\n"),
    ("spec:\n   a: 1\n", "k", "v", "spec:\n   a: 1\n   k: v\n"),
    ("spec: {}\n", "k", "v", 'spec: {"k": "v"}\n'),
    ("spec: {a: 1}\n", "k", [], 'spec: {a: 1, "k": []}\n'),
    ("spec: {a: 1,}\n", "k", None, 'spec: {a: 1,"k": null}\n'),
])
def test_add_key(text, key, value, want):
    out = edited(text, lambda e, tree: e.add_key(first(tree, "spec"), key, value))
    assert out == want
    assert load(out)["spec"][key] == value


@pytest.mark.parametrize(("text", "want"), [
    # a single pair in a flow sequence is a mapping without braces: it gets them
    ("s: [a: 1, b]\n", 's: [{a: 1, "k": 2}, b]\n'),
    ("s: [? a : b , c]\n", 's: [{? a : b , "k": 2}, c]\n'),
])
def test_add_key_to_a_pair_in_a_flow_sequence(text, want):
    out = edited(text, lambda e, tree: e.add_key(first(tree, "s").entries[0], "k", 2))
    assert out == want


@pytest.mark.parametrize(("text", "value", "want"), [
    ("s:\n- a\n", "b", "s:\n- a\n- b\n"),
    ("s:\n  - a\n", {"name": "x"}, "s:\n  - a\n  - name: x\n"),
    ("s:\n- a", "b", "s:\n- a\n- b\n"),
    ("s:\n- a # c\n\n# end\n", "b", "s:\n- a # c\n- b\n\n# end\n"),
    ("s:\n- # c\n  n: 1\n", "b", "s:\n- # c\n  n: 1\n- b\n"),
    ("s: []\n", "b", 's: ["b"]\n'),
    ("s: [a, b]\n", {"n": 1}, 's: [a, b, {"n": 1}]\n'),
    ('s: ["a", ]\n', "b", 's: ["a", "b"]\n'),
])
def test_append(text, value, want):
    assert edited(text, lambda e, tree: e.append(first(tree, "s"), value)) == want


@pytest.mark.parametrize(("text", "want"), [
    ("m:\n  k:\n  z: 1\n", 'm:\n  k: [{"name": "s"}]\n  z: 1\n'),
    ("m:\n  k: null\n", 'm:\n  k: [{"name": "s"}]\n'),
    ("m:\n  k: ~ # none\n", 'm:\n  k: [{"name": "s"}] # none\n'),
    ("m:\n  k: # none\n", 'm:\n  k: [{"name": "s"}] # none\n'),
    ("m:\n  k:", 'm:\n  k: [{"name": "s"}]'),
    ("m: {k: null}\n", 'm: {k: [{"name": "s"}]}\n'),
    # not null: any scalar is replaced (a block scalar keeps its line break)
    ("m:\n  k: 'x'#c\n", 'm:\n  k: [{"name": "s"}] #c\n'),
    ("m:\n  k: |\n    x\n  z: 1\n", 'm:\n  k: [{"name": "s"}]\n  z: 1\n'),
    # a key without ':'
    ("m: {k, z: 1}\n", 'm: {k: [{"name": "s"}], z: 1}\n'),
    ("m:\n  ? k\n  z: 1\n", 'm:\n  ? k\n  : [{"name": "s"}]\n  z: 1\n'),
])
def test_set_value_on_null(text, want):
    def op(e, tree):
        e.set_value(first(tree, "m"), "k", [{"name": "s"}])
    assert edited(text, op) == want


@pytest.mark.parametrize(("text", "value", "want"), [
    ("i: nginx # pinned\n", "p/nginx:1", "i: p/nginx:1 # pinned\n"),
    ("i: 'nginx'\n", "p/x", "i: 'p/x'\n"),
    ('i: "nginx"\n', "p/x", 'i: "p/x"\n'),
    ("i: nginx\n", "yes", 'i: "yes"\n'),
    ("i: nginx\n", "0644", 'i: "0644"\n'),
    ("i: |\n  x\nj: 1\n", "y", "i: y\nj: 1\n"),
    ("i: |-\n  x", "y", "i: y"),
    ("s:\n- a\n- b\n", "c", "s:\n- c\n- b\n"),
    # an empty value gets its space (was "i:true", which reads as the string "i:true")
    ("i:\n", "true", 'i: "true"\n'),
    ("i: # c\n", "x", "i: x # c\n"),
    ("s:\n-\n- b\n", "x", "s:\n- x\n- b\n"),
    # a comment right after a quoted scalar (libyaml allows it) stays a comment
    ("i: 'a'#c\n", "b", "i: 'b' #c\n"),
    ('i: "a"#c\n', "b", 'i: "b" #c\n'),
    # characters a YAML reader rejects, or reads as line breaks, are escaped
    ("i: a\n", "x\x85y", 'i: "x\\u0085y"\n'),
    ("i: a\n", "x\u2028y\ufeff", 'i: "x\\u2028y\\ufeff"\n'),
    ("i: 'a'\n", "x\x7fy", 'i: "x\\u007fy"\n'),
])
def test_set_scalar(text, value, want):
    def op(e, tree):
        node = first(tree, "i") if "i" in load(text) else first(tree, "s").entries[0]
        e.set_scalar(node, value)
    out = edited(text, op)
    assert out == want
    data = load(out)
    assert (data["i"] if "i" in data else data["s"][0]) == value


@pytest.mark.parametrize("text", ["i: |+\n  x\n\nj: 1\n", "i: >\n  x\n\n\nj: 1\n",
                                  "i: >+\n# a comment at column 0 ends it\nj: 1\n"])
def test_set_scalar_on_a_block_scalar(text):
    out = edited(text, lambda e, tree: e.set_scalar(first(tree, "i"), "y"))
    assert load(out) == {"i": "y", "j": 1}
    assert out.endswith("j: 1\n")


@pytest.mark.parametrize(("text", "index", "want"), [
    ("s:\n- a\n- b\n", 0, "s:\n- b\n"),
    ("s:\n- a\n- b", 1, "s:\n- a\n"),
    ("s:\n  - # first\n    n: 1\n  - n: 2\nz: 1\n", 0, "s:\n  - n: 2\nz: 1\n"),
    # a block scalar entry ends at a line start: the next entry stays
    ("s:\n- |\n  x\n- b\n- c\n", 0, "s:\n- b\n- c\n"),
    ("s:\n- |+\n  x\n\n- b\n", 0, "s:\n- b\n"),
    # blank lines after a dropped entry go too: else a "|+" before would take them; and
    # comments indented more than its "-" (a block scalar before would take them)
    ("s:\n- |+\n  x\n\n- b\n\n- c\n", 1, "s:\n- |+\n  x\n\n- c\n"),
    ("s:\n- |\n  x\n- b\n  # on b\n# on c\n- c\n", 1, "s:\n- |\n  x\n# on c\n- c\n"),
    ("s:\n- x: |\n    y\n- b\n", 0, "s:\n- b\n"),
    # dropping the last entry leaves an empty list, not null
    ("s:\n- a\nz: 1\n", 0, "s:\n []\nz: 1\n"),
    ("s:\n  - a\n", 0, "s:\n   []\n"),
    ("s:\n- a", 0, "s:\n []"),
    ("s: [a, b]\n", 0, "s: [b]\n"),
    ("s: [a, b]\n", 1, "s: [a]\n"),
    ("s: [a]\n", 0, "s: []\n"),
])
def test_delete_entry(text, index, want):
    out = edited(text, lambda e, tree: e.delete_entry(first(tree, "s"), index))
    assert out == want
    expected = load(text)
    del expected["s"][index]
    assert load(out) == expected


def test_delete_all_then_append():
    text = "items:\n- a\n- b\nz: 1\n"
    tree = yamlread.read(text)
    e = Editor(text)
    seq = first(tree, "items")
    e.delete_entry(seq, 1)
    e.delete_entry(seq, 0)
    e.append(seq, {"kind": "Secret"})
    assert load(e.render()) == {"items": [{"kind": "Secret"}], "z": 1}


@pytest.mark.parametrize(("text", "want"), [
    # a block scalar at the very end, without a final newline: a new key after it must
    # not give it a line break it did not have
    ("m:\n  a: |\n    x", {"a": "x", "k": "v"}),
    ("m:\n  a: |+\n    x", {"a": "x", "k": "v"}),
    ("m:\n  a: >\n    x\n    y", {"a": "x y", "k": "v"}),
    ("m:\n  a: |-\n    x", {"a": "x", "k": "v"}),
    ("m:\n  a: |\n    x\n  ", {"a": "x\n", "k": "v"}),
    ("m:\n  a: |+\n    x\n\n  ", {"a": "x\n\n", "k": "v"}),
    ("m:\n  a: |2\n     x", {"a": " x", "k": "v"}),
    ("m:\n  b:\n  - c: |+\n      x", {"b": [{"c": "x"}], "k": "v"}),
    ("m:\n  a: |", {"a": "", "k": "v"}),  # the header ends the text
    ("m:\n  a: |+", {"a": "", "k": "v"}),
])
def test_add_key_after_a_final_block_scalar(text, want):
    tree = yamlread.read(text)
    e = Editor(text)
    e.add_key(first(tree, "m"), "k", "v")
    assert load(e.render())["m"] == want


def test_append_after_a_final_block_scalar():
    text = "s:\n- |\n  x"
    e = Editor(text)
    e.append(first(yamlread.read(text), "s"), "y")
    assert load(e.render()) == {"s": ["x", "y"]}


@pytest.mark.parametrize("text", ["m:\n  s:\n  - a\n", "m:\n  s:\n  - a", "m:\n  s:\n    - a\n",
                                  "m:\n  s:\n    - a\n      # end of a\n",
                                  "m:\n  s:\n    - a\n      # end of a\n\n    # end of s\n"])
def test_insertions_at_one_place_go_innermost_first(text):
    """The end of a sequence is also the end of the mappings around it: whatever order
    the edits come in, the entry goes to the sequence and the keys to their mappings
    (also past comments indented into the last entry: an entry goes after them, and so
    do the keys, or a key would cut the list before its new entry)."""
    tree = yamlread.read(text)
    e = Editor(text)
    e.add_key(tree, "z", 1)
    e.add_key(first(tree, "m"), "k", "v")
    e.append(first(tree, "m", "s"), "b")
    assert load(e.render()) == {"m": {"s": ["a", "b"], "k": "v"}, "z": 1}


@pytest.mark.parametrize("text", ["m:\n  k:", "m:\n  k: # c", "m:\n  k:\n"])
def test_fill_a_final_null_and_add_after_it(text):
    for op in ("set_scalar", "set_value"):
        tree = yamlread.read(text)
        e = Editor(text)
        if op == "set_scalar":
            e.set_scalar(first(tree, "m", "k"), "x")
        else:
            e.set_value(first(tree, "m"), "k", "x")
        e.add_key(first(tree, "m"), "j", 1)
        e.add_key(tree, "z", 2)
        assert load(e.render()) == {"m": {"k": "x", "j": 1}, "z": 2}, e.render()


def test_overlapping_edits_are_refused():
    text = "s:\n- a\n"
    tree = yamlread.read(text)
    e = Editor(text)
    seq = first(tree, "s")
    e.delete_entry(seq, 0)
    e.set_scalar(seq.entries[0], "b")
    with pytest.raises(ValueError, match="overlapping"):
        e.render()


def test_first():
    tree = yamlread.read("a:\n  b:\n    c: 1\n")
    assert first(tree, "a", "b", "c").value == "1"
    assert first(tree, "a", "x") is None
    assert first(tree, "a", "b", "c", "d") is None


def test_insert_after_a_final_block_scalar_every_way():
    """Every block scalar header, content and unbroken last line (whitespace beyond the
    content's indentation is content there, libyaml says), under a mapping or a
    sequence, then a key added inside and one at the root: the scalar keeps its value."""
    tried = 0
    for pre in ["m:\n  a: ", "m:\n- x\n- ", "m:\n  - ", "m:\n  b:\n    c: "]:
        for header in ["|", "|-", "|+", ">", ">+", ">-", "|2", "|2+", "|1-", "|+ # c"]:
            for content in ["", "    a", "    a\n    b", "    a\n\n", "      a\n    b",
                            "\n    a"]:
                for tail in ["", " ", "  ", "   ", "    ", "     ", "      ", "\t", "  \t",
                             None]:
                    text = f"{pre}{header}\n{content}" + (
                        "\n" if content and not content.endswith("\n") else "") + (tail or "")
                    if tail is None:  # the header ends the text
                        text = pre + header
                    try:
                        base = load(text)
                    except yaml.YAMLError:
                        continue
                    tree = yamlread.read(text)
                    m = tree.get("m")
                    e = Editor(text)
                    if hasattr(m, "pairs"):
                        e.add_key(m, "k", "v")
                        want = dict(base["m"], k="v")
                    else:
                        e.append(m, "v")
                        want = [*base["m"], "v"]
                    e.add_key(tree, "z", 1)
                    assert load(e.render()) == {"m": want, "z": 1}, (text, e.render())
                    tried += 1
    assert tried > 1400


def test_replace_a_block_scalar_and_add_after_it():
    """The block scalar ends at a line start; the comment after it is not "'x'#c"."""
    text = "m:\n  s:\n  - >+\n# c\nz: 1\n"
    tree = yamlread.read(text)
    e = Editor(text)
    e.set_scalar(first(tree, "m", "s").entries[0], "")
    e.add_key(first(tree, "m"), "k", None)
    assert load(e.render()) == {"m": {"s": [""], "k": None}, "z": 1}


@pytest.mark.parametrize("style", ["|", ">", "|-", ">+"])
def test_a_block_scalar_replaced_keeps_its_cr_lf(style):
    """A block scalar's last line break is written as it was, CR LF too, by set_scalar
    and by set_value (the rest of a CR LF file is left as it is)."""
    text = f"a: {style}\r\n  x y\r\nb: 1\r\n"
    root = yamlread.read(text)
    for edit in ("set_scalar", "set_value"):
        editor = Editor(text)
        if edit == "set_scalar":
            editor.set_scalar(root.get("a"), "z\n")
        else:
            editor.set_value(root, "a", "z")
        out = "".join(editor.chunks())
        assert "\r\nb: 1\r\n" in out and "\n" not in out.replace("\r\n", ""), (edit, out)
        assert yaml.safe_load(out)["b"] == 1


@pytest.mark.parametrize("value, plain", [
    ("--flag=quay.io/a/b:1", True), ("-v", True), ("--", True),
    ("-", False), ("- x", False), ("-.5", False), ("-1e3", False), ("-1", False),
    ("-_1", False), ("-0o17", False), ("-.inf", False), ("-?", False), ("-:", False),
])
def test_a_leading_dash_is_plain_only_before_a_letter_or_dash(value, plain):
    """Written plain, a value reads back as the same string in block and flow context, in
    PyYAML (YAML 1.1) and as YAML 1.2 readers would (no number starts with "-" and a
    letter or "--"); the rest are quoted."""
    written = scalar(value)
    assert (written == value) == plain, written
    for doc in (f"k: {written}\n", f"- {written}\n", f"[{written}]\n", f"{{k: {written}}}\n"):
        loaded = yaml.safe_load(doc)
        assert (loaded["k"] if isinstance(loaded, dict) else loaded[0]) == value, doc
