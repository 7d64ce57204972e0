"""fn.yamlread.read, the function's YAML reader (libyaml's event parser), against libyaml.

Its contract (``check_read`` in tests/yamltexts.py):
1. on any text it returns a tree or raises yaml.YAMLError (``Refused`` included),
   ``TooDeep`` or ValueError, and nothing else;
2. it raises a plain YAMLError only where libyaml's parser does, ValueError only for a
   text that is not one document, ``TooDeep`` only for deep nesting;
3. ``to_python`` of its tree is what PyYAML's safe loader builds (or fails where it does);
4. the tree's nodes are libyaml's, with the offsets ``fn.yamlread`` promises.

The properties run on generated texts (tests/yamltexts.py); the examples cover the YAML
constructs the function meets, real kpt and kustomize output (tests/fixtures/) and each
bug the properties found.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
import yaml
from helpers import count, run_fn
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from yamltexts import check_read, corrupted, documents, load, resource_lists, same

from fn.nodes import Mapping, Scalar, Sequence, to_python
from fn.yamlread import MAX_DEPTH, Refused, TooDeep, read, strip_bom
from fn.yamlread import documents as read_documents

FIXTURES = Path(__file__).parent / "fixtures"

# Examples per property; FUZZ_SCALE=20 (random, not derandomized) for a long hunt.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
DERANDOMIZE = "FUZZ_SCALE" not in os.environ


def fuzz(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    derandomize=DERANDOMIZE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def accepts(text: str) -> Mapping | Sequence | Scalar:
    """The contract on ``text``, which must be read (not refused, not an error)."""
    tree = check_read(text)
    if tree is None:
        try:
            read(strip_bom(text))
        except Exception as exc:
            raise AssertionError(f"read raised {type(exc).__name__}: {exc}") from None
    assert tree is not None
    return tree


def only_duplicate_keys(text: str) -> bool:
    """Valid YAML that read refuses only because a mapping has a key twice."""
    refused: list[Refused] = []
    read(text, refused=refused)
    return bool(refused) and all(r.problem == "a mapping key given twice" for r in refused)


# --------------------------------------------------------------------------- properties


@fuzz(3000)
@given(documents())
def test_reads_generated_kpt_style_documents(text):
    """Every kpt-style document is read (the only refusal: a key given twice), and read
    right."""
    count("yamlread.reads_generated_kpt_style_documents")
    note(text)
    if check_read(text) is None:
        assert only_duplicate_keys(text), "read refused a kpt-style document"


@fuzz(2000)
@given(documents(wild=True))
def test_contract_on_wild_documents(text):
    count("yamlread.contract_on_wild_documents")
    note(text)
    check_read(text)


@fuzz(4000)
@given(st.one_of(corrupted(), corrupted(wild=True)))
def test_contract_on_corrupted_documents(text):
    """Garbage in: an error libyaml agrees with, or (when the damage left valid YAML) the
    right tree."""
    count("yamlread.contract_on_corrupted_documents")
    note(text)
    check_read(text)


@fuzz(1500)
@given(st.text(st.sampled_from(list("ab -:#'\"[]{},|>\n\t&*!?%@`~0.\\<=")), max_size=60))
def test_contract_on_short_random_texts(text):
    count("yamlread.contract_on_short_random_texts")
    note(text)
    check_read(text)


@fuzz(500)
@given(resource_lists())
def test_contract_on_resource_lists(text):
    """ResourceLists whose items are kpt-style, wild or damaged documents."""
    count("yamlread.contract_on_resource_lists")
    note(text)
    check_read(text)


# --------------------------------------------------------------------------- kpt's YAML


def test_block_mappings_and_compact_sequences():
    text = "a:\n  b: 1\n  c:\n  - x\n  - y: 2\n    z: 3\nd: e\n"
    tree = accepts(text)
    seq = tree.get("a").get("c")
    assert isinstance(seq, Sequence) and seq.indent == 2
    assert text[seq.start] == "-"
    assert text[seq.entries[1].start:seq.entries[1].end] == "y: 2\n    z: 3\n"
    assert text[seq.end:] == "d: e\n"


@pytest.mark.parametrize("width", [1, 2, 3, 4, 8])
def test_indentation_widths_and_wide_sequences(width):
    pad = " " * width
    text = f"a:\n{pad}b:\n{pad}{pad}- x\n{pad}{pad}-   k: v\n{pad}{pad}    j: w\n{pad}c: 1\n"
    tree = accepts(text)
    assert to_python(tree) == {"a": {"b": ["x", {"k": "v", "j": "w"}], "c": 1}}
    assert tree.get("a").get("b").entries[1].indent == 2 * width + 4


@pytest.mark.parametrize(("token", "value"), [
    ("plain words", "plain words"), ("'0'", "0"), ("'it''s'", "it's"), ('"a\\tb"', "a\tb"),
    ('"é \\u00e9"', "é é"), ("'yes: quoted'", "yes: quoted"), ('"a #b"', "a #b"),
    ("''", ""), ('""', ""), ("a#b", "a#b"), ("a:b", "a:b"), ("-x", "-x"), (":x", ":x"),
    ("?x", "?x"), ("日本語", "日本語"), ("'#'", "#"), ('"\\\\"', "\\"),
])
def test_one_line_scalars(token, value):
    text = f"k: {token} # comment\n"
    tree = accepts(text)
    node = tree.get("k")
    assert node.value == value
    assert text[node.start:node.end] == token


@pytest.mark.parametrize(("token", "value"), [
    ("yes", True), ("No", False), ("on", True), ("0644", 420), ("0o644", "0o644"),
    ("1e3", "1e3"), ("1.5e3", "1.5e3"), ("1.5e+3", 1500.0), ("~", None), ("null", None), ("", None),
    ("0x1F", 31), ("1_000", 1000), ("12:30", 750), (".inf", float("inf")),
])
def test_implicit_types(token, value):
    tree = accepts(f"k: {token}\n")
    assert to_python(tree)["k"] == value
    assert type(to_python(tree)["k"]) is type(value)


def test_dates():
    tree = accepts("d: 2001-12-14\nt: 2001-12-14t21:59:43.10-05:00\n")
    data = to_python(tree)
    assert data["d"] == datetime.date(2001, 12, 14)
    assert isinstance(data["t"], datetime.datetime)


@pytest.mark.parametrize("header", ["|", "|-", "|+", ">", ">-", ">+", "| # c"])
@pytest.mark.parametrize("tail", ["\n", "\n\n\n", "", "\n\n  # after\n"])
def test_block_scalars(header, tail):
    body = "    # not a comment\n    - not an entry\n    key: v\n\n      deeper\n    last"
    text = f"m:\n  s: {header}\n{body}{tail}"
    tree = accepts(text)
    node = tree.get("m").get("s")
    assert node.style == header[0]
    assert text[node.start:].startswith(header)


def test_block_scalar_then_keys_and_entries():
    accepts("a:\n- |\n  x\n- >-\n  y\n  z\nb: |+\n  k\n\n\nc: 1\n")


@pytest.mark.parametrize("flow", [
    '["--port", "8080"]', "[a, b]", "{name: x, mountPath: /x}", "[]", "{}", "[ ]",
    '{"a": [1, {"b": null}]}', "[a, b,]", "['a, b', \"c]\"]", "{a: 'x # y'}",
])
def test_one_line_flow_collections(flow):
    text = f"k: {flow} # comment\nl:\n- {flow}\n"
    tree = accepts(text)
    node = tree.get("k")
    assert isinstance(node, Mapping | Sequence) and node.flow
    assert text[node.start:node.end] == flow
    assert to_python(tree)["k"] == yaml.safe_load(flow)


def test_comments_everywhere():
    text = (
        "# head\n\n"
        "a: # after a key\n"
        "  # own line\n"
        "    # deeper\n"
        "  b: 1 # after a value\n"
        "# column 0 in between\n"
        "  c:\n"
        "  - # an entry's first line\n"
        "    d: 2\n"
        "  -   # another\n"
        "    e: 3\n"
        "  - x # trailing\n"
        "#   \n"
        "# tail"
    )
    assert to_python(accepts(text)) == {"a": {"b": 1, "c": [{"d": 2}, {"e": 3}, "x"]}}


def test_empty_values():
    data = to_python(accepts("a:\nb: ~\nc:\n-\n- # c\nd: ''\n"))
    assert data == {"a": None, "b": None, "c": [None, None], "d": ""}


def test_quoted_keys_and_keys_with_spaces():
    text = "'a: b': 1\n\"c #d\": 2\ne f: 3\n\"\": 4\n'yes': 5\nyes: 6\n"
    assert to_python(accepts(text)) == {"a: b": 1, "c #d": 2, "e f": 3, "": 4, "yes": 5,
                                        True: 6}


def test_no_final_newline():
    accepts("a:\n  b: |\n    x")
    accepts("a:\n- x")
    accepts("a: [1]")


def test_duplicate_keys_are_refused():
    """PyYAML keeps the last of two equal keys; the function refuses the document (which
    of the two a consumer uses is anybody's guess), or with a list, collects that."""
    with pytest.raises(Refused, match="given twice"):
        read("a: 1\na: 2\n")
    refused: list[Refused] = []
    tree = read("a: 1\na: 2\n'a': 3\n1: x\n'1': y\n", refused=refused)
    assert [r.problem for r in refused] == ["a mapping key given twice"] * 2
    assert tree.get("a").value == "3"  # (the last, as in PyYAML)


# --------------------------------------------------------------------------- other YAML


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "? a\n: b\n", "a: 'x\n  y'\n", "a: x\n  y\n",
    "a: [x,\n  y]\n", "- a\n", "a:\n\t- b\n", "%YAML 1.1\n---\na: 1\n", "a: |2\n   x\n",
    "a: 1\nb: 2\n---\nc: 3\n", "[a]: 1\n", "a: @x\n", "a: - b\n", "a: b: c\n", "  a: 1\n",
    "a: 1\r\nb: 2\r\n", "\ufeffa: 1\n", "a:\n  - - b\n", "a:\n- x\n  - y\n", "x\n", "--- |\n x\n",
    "a: !t [1, !u {b: 2}]\n", "a: !<tag:example.com,2024:x> {b: 1}\n", "a: !!binary aGk=\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n", "a: &x [1]\nb: &x [2]\nc: *x\n",
    "".join("  " * i + "b:\n" for i in range(70)),
], ids=lambda t: repr(t[:24]) + (f"...{len(t)}" if len(t) > 24 else ""))
def test_constructs_kpt_does_not_write(text):
    """Anchors, tags, explicit and complex keys, multi-line scalars, document markers,
    CRLF...: read when libyaml reads one document (an anchor defined again as in
    YAML 1.2, where PyYAML's composer raises), an error when not."""
    tree = check_read(text)
    stripped = strip_bom(text)
    try:
        one = len(list(yaml.compose_all(stripped, Loader=yaml.CSafeLoader))) == 1
    except yaml.YAMLError as exc:
        one = "duplicate anchor" in str(exc)
    assert (tree is not None) == one


@pytest.mark.parametrize("text", [
    "a: 'x\n", 'a: "x\n', "a: [x\n", "a: {x: 1\n", "a:\n  b: 1\n c: 2\n", "a: b\n- c\n",
    "a: x\n   y: z\n", "a: \"\\q\"\n", "a: 'x' y\n", "a:\n  - x\n - y\n",
])
def test_invalid_yaml_raises(text):
    with pytest.raises(yaml.YAMLError):
        load(text)
    with pytest.raises(yaml.YAMLError) as info:
        read(text)
    assert not isinstance(info.value, Refused)
    check_read(text)


@pytest.mark.parametrize(("text", "problem"), [
    ("a: !!python/object:os.system x\n", "Python object"),
    ("a: [!!python/name:os.system ]\n", "Python object"),
    ("a: !!int x\n", "does not match its tag"),
    ("a: !!seq {b: 1}\n", "does not fit a collection"),
    ("a: *x\n", "undefined anchor"),
    ("a: &x [*x]\n", "recursive alias"),
])
def test_refused(text, problem):
    """Valid YAML (or, for aliases, YAML no reader can build) the function will not read;
    the message never quotes the input."""
    with pytest.raises(Refused) as info:
        read(text)
    assert problem in info.value.problem
    assert "os.system" not in str(info.value)
    check_read(text)


def test_yaml_bomb_is_refused():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=False))
    with pytest.raises(Refused, match="YAML bomb"):
        read(text)
    refused: list[Refused] = []
    assert isinstance(read(text, refused=refused), Mapping)
    assert len(refused) == 1


def test_too_deep_and_not_one_document():
    deep = "a:\n" + "".join("  " * i + "-\n" for i in range(1, MAX_DEPTH + 5))
    with pytest.raises(TooDeep):
        read(deep)
    # Flow nesting: libyaml 0.2.5 (in the PyYAML 6.0.4 wheels) stops at depth 1000 by itself,
    # older libyaml builds reach the reader's own limit first. Either error is right, as
    # long as the function reports it as one clean error.
    flow = "k: " + "[" * 30000 + "]" * 30000 + "\n"
    with pytest.raises((TooDeep, yaml.YAMLError)) as caught:
        read(flow)
    if not isinstance(caught.value, TooDeep):
        assert "maximum nesting depth" in str(caught.value)
    done = run_fn(flow, "--config", "examples/stream/config.yaml")
    assert (done.code, done.stdout, done.stderr.count("\n")) == (1, "", 1), done
    assert re.search(r"nested too deeply|maximum nesting depth", done.stderr), done.stderr
    for text in ["", "# only a comment\n", "a: 1\n---\nb: 2\n"]:
        with pytest.raises(ValueError, match="one YAML document"):
            read(text)
        check_read(text)
    assert [d[2].value for d in read_documents("--- a\n--- b\n")] == ["a", "b"]


# --------------------------------------------------------------------------- bugs found


@pytest.mark.parametrize("text", [
    # document markers at column 0 are no part of a key
    "--- a: b\n", "a: 1\n--- b: 2\n", "... a: b\n", "a: 1\n...\tb: 2\n",
    # "<<" (merge) and "=" (value)
    "<<: {a: 1}\n", "b: 2\n<<: {a: 1}\n", "=: 1\n", "k: =\n", "k: <<\n",
    # plain scalars that resolve to a type the safe loader then fails to construct
    "k: 2001-13-45\n", "k: 0x_\n", "k: 0b_\n", "k: 2001-1-1 25:00:00\n", "2001-13-45: k\n",
    # the same, and tags, anchors, aliases, complex keys, inside flow collections
    "k: [0x_]\n", "k: [!!set {a}]\n", "k: {[a]: b}\n", "k: [&a x, *a]\n", "k: [&a x]\n",
    "k: [!!python/name:os.system ]\n", "k: {<<: {a: 1}}\n", "k: [!!int x]\n",
    # a tab where libyaml wants indentation, as the first line of a block scalar
    "name : #\n- |\n\n \t\n", "k: |\n \tx\n",
    # deep nesting
    "".join("  " * i + "b:\n" for i in range(65)) + "  " * 65 + "c: 1\n",
    "a:\n" + "".join("  " * i + "-\n" for i in range(1, 600)),
    "k: " + "[" * 64 + "]" * 64 + "\n", "k: " + "[" * 3000 + "]" * 3000 + "\n",
    "a:\n  b:\n  - {c: " + "[" * 62 + "]" * 62 + "}\n",
    # simple keys longer than libyaml allows (1024 characters up to the ':')
    "a" * 1025 + ": v\n", "k:\n  " + "b" * 1030 + ": v\n", "'" + "a" * 1100 + "': v\n",
    # block scalars with an indentation indicator and "+" in a list, then more entries
    "items:\n- a: |1+\n   x\n\n- b\n",
    # found by these tests in fn.yamlread (see below)
    "k: !t # c\n  value\n", "k: &a # c\n  |\n  x\n", "k: &a\n- # a-b\n  x: 1\n",
    "k: &m\n  ? a\n  : 1\n", "a: &x k\n*x : 1\n", "&0:0", "- &x:y\n", "k: !t\x85- x\n",
    "k: !t\x85  # c\x85  value\n", "&a\n&a k: {a: x}\n", "k: -flag 'x\rb'\n",
    # found by these tests in fn.nodes.to_python (see below)
    "<<: 1\n", "<<: [{a: 1}, 2]\n", "k: !!set {a, b: null}\n", "k: !!omap [a: 1, b: 2]\n",
    "k: !!pairs [a: 1, a: 2]\n", "k: !!omap [a]\n",
], ids=lambda t: repr(t[:24]) + (f"...{len(t)}" if len(t) > 24 else ""))
def test_regressions(text):
    """Each of these once broke a reader of this repository (the old fast scanner, or
    fn.yamlread)."""
    check_read(text)


@pytest.mark.parametrize("item", [
    "!!set {a}", "!!omap [a: 1]", "&a [*a]", "a: &a {b: *a}",
    "x:\n  - " + "[" * 70 + "]" * 70,
    "&a " + "[" * 30000 + "]" * 30000,  # (libyaml's composer crashed on it)
], ids=lambda t: repr(t[:16]) + f"...{len(t)}")
def test_items_with_sets_recursion_and_depth(item):
    """Items libyaml reads but that are not plain nested data: built as PyYAML's safe
    loader builds them (a set for !!set), refused (recursion) or too deep."""
    check_read(f"items:\n- {item}\n")


def test_items_with_anchors_merges_and_deep_flow():
    text = "items:\n- a: &x [1]\n  b: *x\n  <<: {c: 2}\n- x: " + "[" * 50 + "]" * 50 + "\n"
    assert to_python(accepts(text)) == load(text)


def test_long_keys_and_flow_collections_at_the_limit_are_read():
    accepts("k: " + "[" * 63 + "]" * 63 + "\n")
    accepts("a" * 1024 + ": v\n")
    accepts("'" + "a" * 1022 + "': v\n")


def test_anchored_and_tagged_scalars_start_at_their_value():
    """A scalar's span leaves out its "&anchor" and "!tag" (a new value keeps them)."""
    text = 'k: [&a "yé"]\nj: !!str &b 1\nl: &c !t\n  x\n'
    tree = accepts(text)
    assert text[tree.get("k").entries[0].start:tree.get("k").entries[0].end] == '"yé"'
    j, lv = tree.get("j"), tree.get("l")
    assert text[j.start:j.end] == "1" and j.value == "1"
    assert text[lv.start:lv.end] == "x"


def test_regression_properties_then_a_comment():
    """A comment between a scalar's "&anchor" or "!tag" and its value was taken for the
    value's start: the span began at '#', and a block scalar's was not at its '|'."""
    text = "k: !t # c\n  value\nb: &a # c\n  |\n  x\n"
    tree = read(text)
    k, b = tree.get("k"), tree.get("b")
    assert text[k.start:k.end] == "value"
    assert text[b.start:b.end] == "|\n  x\n"


def test_regression_anchor_then_value_without_a_space():
    """libyaml ends an anchor's name at a character that is not alphanumeric, '-' or
    '_': "&a:b" is the anchor "a" on the scalar ":b", whose span was empty."""
    text = "- &x:y\n- &z?w\n"
    tree = read(text)
    assert [text[e.start:e.end] for e in tree.entries] == [":y", "?w"]


def test_regression_line_breaks_other_than_newline():
    """libyaml also breaks lines at NEL, LS and PS: after a "!tag" or in a comment."""
    text = "k: !t\x85- x\nj: !t\x85  # c\u2028  value\n"
    tree = read(text)
    assert tree.get("k").indent == 0
    j = tree.get("j")
    assert text[j.start:j.end] == "value"


def test_regression_anchored_sequence_with_a_dash_in_a_comment():
    """An anchored block sequence's indentation was the column of the last '-' before
    its first entry, which can be in a comment ("- # a-b")."""
    tree = read("k: &a\n- # a-b\n  x: 1\n")
    assert tree.get("k").indent == 0
    assert read("k: !t\n  - x\n").get("k").indent == 2
    assert read("- &a\n  - x\n").entries[0].indent == 2


def test_regression_anchored_mapping_with_an_explicit_key_first():
    """An anchored block mapping's indentation was its first key's column, which with
    "? key" is not the mapping's."""
    assert read("k: &m\n  ? a\n  : 1\n").get("k").indent == 2


def test_regression_alias_as_a_key():
    """An alias used as a key ("*x : 1") was taken for a complex key: to_python failed,
    and get() did not find it."""
    text = "a: &x k\n*x : 1\n"
    tree = read(text)
    key = tree.pairs[1][0]
    assert text[key.start:key.end] == "*x"
    assert tree.get("k").value == "1"
    assert to_python(tree) == load(text) == {"a": "k", "k": 1}


@pytest.mark.parametrize(("text", "data"), [
    ("=: 1\n", {"=": 1}),  # "=" as a key: a string (PyYAML's flatten_mapping)
    ("k: !!set {a, b}\n", {"k": {"a", "b"}}),
    ("k: !!omap [a: 1, b: 2]\n", {"k": [("a", 1), ("b", 2)]}),
    ("k: !!pairs [a: 1, a: 2]\n", {"k": [("a", 1), ("a", 2)]}),
])
def test_regression_to_python_builds_what_pyyaml_builds(text, data):
    assert same(to_python(read(text)), load(text))
    assert same(load(text), data)


@pytest.mark.parametrize("text", ["<<: 1\n", "<<: [{a: 1}, 2]\n", "k: !!omap [a]\n",
                                  "k: !!omap [{a: 1, b: 2}]\n"])
def test_regression_to_python_fails_where_pyyaml_does(text):
    with pytest.raises(yaml.YAMLError):
        load(text)
    with pytest.raises(ValueError):
        to_python(read(text))


def test_byte_order_mark_goes_before_reading():
    """libyaml's offsets do not count a leading BOM: the function strips it first."""
    text = strip_bom("\ufeffon: \"x\"\nl:\n- a")
    tree = accepts(text)
    node = tree.pairs[0][1]
    assert text[node.start:node.end] == '"x"'
    assert tree.pairs[1][1].end == len(text)


# --------------------------------------------------------------------------- real inputs


@pytest.mark.parametrize("name", ["kpt_resourcelist.yaml", "kpt_resourcelist_wide.yaml"])
def test_kpt_resource_lists(name):
    """Captured with ``kpt fn eval pkg --exec ./save.sh`` (kpt 1.0.0-beta.56): the
    function's real input. Deployment with comments, flow args, defaultMode 0644, a
    sidecar with a block-scalar command; ConfigMap with |, |+, > and |- data; a Job with
    wide sequences in the package (kpt hands them over compact)."""
    text = (FIXTURES / name).read_text()
    tree = accepts(text)
    assert same(to_python(tree), load(text))
    items = tree.get("items")
    assert isinstance(items, Sequence) and len(items.entries) == 2
    for item in items.entries:
        meta = item.get("metadata")
        index = meta.get("annotations").get("config.kubernetes.io/index")
        assert (index.style, index.value) == ("'", "0")
        assert text[index.start:index.end] == "'0'"


def test_kpt_resource_list_details():
    text = (FIXTURES / "kpt_resourcelist.yaml").read_text()
    data = to_python(accepts(text))
    cm, deploy = data["items"]
    assert cm["data"]["kept"] == "trailing\n\n"
    assert cm["data"]["app.conf"].startswith("listen 8080;\n# comment inside\n")
    pod = deploy["spec"]["template"]["spec"]
    assert pod["volumes"][0]["configMap"]["defaultMode"] == 0o644
    assert pod["containers"][0]["args"] == ["--port", "8080", "--verbose"]
    assert pod["containers"][1]["command"][2].endswith("- not an entry\nkey: value\n")
    assert cm["metadata"]["annotations"]["enabled"] is True


def test_kustomize_build_output():
    """``kubectl kustomize`` (kustomize v5.5.0) output, the style kustomize writes
    ResourceLists in: sorted keys, compact sequences, quoted "8080", literal blocks."""
    text = (FIXTURES / "kustomize_build.yaml").read_text()
    docs = read_documents(text)
    assert len(docs) == 2
    expected = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    for (start, end, root), data in zip(docs, expected, strict=True):
        assert same(to_python(root), data)
        accepts(text[start:end])


# --------------------------------------------------------------------------- nodes


def test_offsets_of_every_kind_of_node():
    text = "a: 'x'\nb:\n  - \"y\"\n  - c: z\nd: |\n  w\ne: [1, 2]\n"
    tree = accepts(text)
    assert text[tree.start] == "a"
    b = tree.get("b")
    assert text[b.start:b.start + 3] == '- "'
    assert text[b.entries[1].start] == "c"
    e = tree.get("e")
    assert text[e.start:e.end] == "[1, 2]"
    assert text[e.entries[1].start:e.entries[1].end] == "2"
    d = tree.get("d")
    assert isinstance(d, Scalar) and text[d.start:d.end] == "|\n  w\n"


def test_only_the_contract_on_odd_strings():
    for text in ["", "\n", "#", "a", ":", "- ", "a:", "\ud800", "a: \ud800", "\x00",
                 "a:\n" + "  " * 300 + "b: 1\n", "a:\n" + "".join(
                     "  " * i + "b:\n" for i in range(1, 250))]:
        check_read(text)
