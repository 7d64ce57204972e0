"""The self-check's windows (fn.editwindows) never pass what the whole-item check stops.

The fast path reads each change on its own lines instead of the whole item. Its claim is
that a window reads as meant only when the item, read whole, does too. Tested as that
implication, with both checks run on the same output: values and pull-secret lines written
as raw text (quotes, colons, comment marks, brackets, indentation off by a column) into
workloads of every shape the window rules name (compact "- image:", comments after a
value, a list with foot comments, a key added at the end of a mapping, flow style, CRLF).
And on the faults a bug would make, the window path alone says no."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fn import editwindows, krm, mutate, selfcheck
from fn.nodes import Mapping
from fn.textedit import Editor

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
          "    name: replicated-proxy\n  data:\n    licenseID: windowsLicenseId0123456789\n"
          "    appSlug: acme\n    privateImages: quay.io/acme/\n")


def _resource_list(items: str, newline: str = "\n") -> str:
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items + CONFIG
    return text.replace("\n", newline)


SHAPES = {
    "compact entries, a comment after the value": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: a\n  spec:\n"
        "    template:\n      spec:\n        containers:\n        - image: quay.io/acme/a:1\n"
        "          name: a\n        - name: b\n          image: quay.io/acme/b:1  # pinned\n"),
    "indented entries, the image last before a key added": (
        "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n"
        "      - name: a\n        image: 'quay.io/acme/a:1'\n"),
    "a list with foot comments gets an entry": (
        "- apiVersion: batch/v1\n  kind: Job\n  metadata:\n    name: j\n  spec:\n"
        "    template:\n      spec:\n        imagePullSecrets:\n        - name: other\n"
        "          # end of the list\n\n        containers:\n        - name: a\n"
        "          image: \"quay.io/acme/a:1\"\n        restartPolicy: Never\n"),
    "comments indented deeper after an image, and after the last container": (
        "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: d\n  spec:\n    containers:\n"
        "    - name: a\n      image: quay.io/acme/a:1\n          # deeper\n"
        "      imagePullPolicy: Always\n    - name: b\n      image: quay.io/acme/b:1\n"
        "          # deeper\n"),
    "a block scalar before the key added": (
        "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: q\n  spec:\n    containers:\n"
        "    - name: a\n      image: quay.io/acme/a:1\n      args:\n      - |\n        x\n"
        "          y\n"),
}
NAMED = ("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: n\n  spec:\n    containers:\n"
         "    - name: a\n      image: quay.io/acme/a:1\n      args:\n"
         "      - --sidecar-image=quay.io/acme/b:1\n")  # a splice that is no image field's
MERGED = ("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: m\n  x-defaults: &defaults\n"
          "    imagePullSecrets:\n    - name: old\n  spec:\n    <<: *defaults\n    containers:\n"
          "    - name: a\n      image: quay.io/acme/a:1\n")  # the list's entries come along
FLOW = ("- apiVersion: v1\n  kind: Pod\n  metadata: {name: f}\n  spec:\n"
        "    containers: [{name: a, image: quay.io/acme/a:1}]\n")
# the last item is read whole (items are added after it): each shape comes before one
LAST = ("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: last\n"
        "  data:\n    x: y\n")
TEXT = _resource_list("".join(SHAPES.values()) + MERGED + LAST)  # (a run stops at the first item
# that fails whole: the workloads in windows come first, so that their verdicts are seen)


def _verdicts(monkeypatch) -> list[tuple[bool, bool]]:
    """(windows, whole) for every batch of windows: both checks run on the same output.
    Items checked whole outside a batch (the last) are passed, so that every batch is."""
    seen: list[tuple[bool, bool]] = []
    item_ok = selfcheck._item_ok

    def read_back(doc, run, out, shifts, pending):
        windows = [w for _, ws in pending for w in ws]
        fast = not pending or editwindows.read_back(windows)
        whole = all(item_ok(doc, run, out, shifts, item) for item, _ in pending)
        if pending:
            seen.append((fast, whole))
        pending.clear()
        return True

    monkeypatch.setattr(selfcheck, "_item_ok", lambda *args: True)
    monkeypatch.setattr(selfcheck, "_read_back", read_back)
    return seen


def test_without_a_fault_every_shape_but_flow_style_reads_back_in_windows(monkeypatch):
    decided = []
    original = editwindows.of_item

    def of_item(*args):
        windows = original(*args)
        decided.append(windows is not None)
        return windows

    monkeypatch.setattr(editwindows, "of_item", of_item)
    seen = _verdicts(monkeypatch)
    for newline in ("\n", "\r\n"):
        decided.clear()
        out = krm.resource_list(_resource_list(
            "".join(SHAPES.values()) + FLOW + NAMED + MERGED + LAST, newline))
        assert out.code == 0, [r.message for r in out.results]
        assert decided == [True] * len(SHAPES) + [False, False, False]
    assert seen == [(True, True), (True, True)]


_RAW = st.text(" \"'#:-[]{},&*!|>%@`ab1.\\\t", max_size=10)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(raw=_RAW, style=st.sampled_from(["{}", "'{}'", '"{}"', "{} #c", "{}\n"]),
       meant=st.sampled_from(["raw", "raw stripped", "other"]))
def test_a_raw_value_the_windows_pass_reads_as_meant_whole(raw, style, meant):
    """Any text in place of an image value, meant as itself (or as something else)."""
    with pytest.MonkeyPatch.context() as mp:
        seen = _verdicts(mp)
        written = style.format(raw)
        value = {"raw": raw, "raw stripped": raw.strip(), "other": "x"}[meant]
        mp.setattr(Editor, "set_scalar", lambda self, node, _: self.splice(
            node.start, node.end, written))
        original = mutate.intend
        mp.setattr(mutate, "intend", lambda item, op, path, v: original(
            item, op, path, value if op == "set" else v))
        krm.resource_list(TEXT)
    assert all(whole for fast, whole in seen if fast), (written, value, seen)


_LINES = st.lists(st.tuples(st.integers(-2, 3), st.sampled_from(
    ["- name: {}", "imagePullSecrets:", "name: {}", "- {}", "x: 1", "# c", "", "{}: |"])),
    min_size=1, max_size=3)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(lines=_LINES, name=st.sampled_from(["replicated-proxy", "other", "'q'", "a: b"]),
       first=st.integers(-2, 2))
def test_raw_pull_secret_lines_the_windows_pass_read_as_meant_whole(lines, name, first):
    """Any lines in place of the pull secret's, each indented off the collection's by a
    few columns: accepted only where the whole item reads so too."""
    def insert_lines(self, pos, written, after=None):
        base = len(written[0]) - len(written[0].lstrip(" "))
        text = "".join(" " * max(base + (first if i == 0 else shift), 0)
                       + form.format(name) + "\n" for i, (shift, form) in enumerate(lines))
        self.insert(pos, text, text.split("\n")[0])

    with pytest.MonkeyPatch.context() as mp:
        seen = _verdicts(mp)
        mp.setattr(Editor, "insert_lines", insert_lines)
        krm.resource_list(TEXT)
    assert all(whole for fast, whole in seen if fast), (lines, name, first, seen)


def _value(make):
    """A fault in the text that replaces an image value."""
    return "set_scalar", lambda original: lambda self, node, value: self.splice(
        node.start, node.end, make(value))


def _lines(make):
    """A fault in the lines inserted for a pull secret (``make(text, first line)``)."""
    return "insert", lambda original: lambda self, pos, text, first: original(
        self, pos, *make(text, first))


def _indent(first: str) -> str:
    return first[:len(first) - len(first.lstrip(" "))]


FAULTS = {
    "a wrong image value": _value(lambda value: value + "-x"),
    "a value that is no string": _value(lambda value: "1.5"),
    "a '#' in a value": _value(lambda value: value + "#x"),
    "a broken quote": _value(lambda value: '"' + value),
    "a key given twice": _value(lambda value: f"{value}\n{' ' * 10}image: {value}"),
    "pull-secret lines one column in": _lines(lambda text, first: (
        "".join(" " + line + "\n" for line in text.splitlines()), " " + first)),
    "pull-secret lines one column out": _lines(lambda text, first: (
        "".join(line[1:] + "\n" for line in text.splitlines()), first[1:])),
    "a key after the pull secret": _lines(lambda text, first: (
        text + _indent(first) + "x: 1\n", first)),
    "a wrong pull-secret name": _lines(lambda text, first: (
        re.sub(r"name: (\S+)", r"name: \1-x", text), first)),
    # found by review: each read as meant on its own lines, not in context
    "a name as a block scalar, a deeper comment after it": _lines(lambda text, first: (
        re.sub(r"name: (\S+)\n", lambda m: f"name: |-\n{_indent(first)}      {m[1]}\n",
               text), first)),
    "a value with an anchor an alias after it names": _value(lambda value: "&n " + value),
    "a value that is an alias": _value(lambda value: "*n"),
    "a value with a CR, and a deeper comment after it": _value(
        lambda value: "|-\r" + " " * 12 + value),
    "a value with a line separator": _value(lambda value: value + "\u2028x"),
    "the entries a merge key brought left out": ("add_key", lambda original: (
        lambda self, mapping, key, value: original(self, mapping, key, value[-1:]))),
}


# faults whose text reads as meant in some shapes (a block scalar with nothing after it)
RIGHT_SOMEWHERE = {"a name as a block scalar, a deeper comment after it",
                   "the entries a merge key brought left out"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_is_never_passed_by_the_windows(monkeypatch, fault):
    """No batch of windows of a faulty run is passed by the windows themselves (a change
    on more than one line is no window at all: no batch), except where the whole item
    reads as meant too. That the run then fails is fn.selfcheck's to show
    (tests/test_selfcheck.py)."""
    method, make = FAULTS[fault]
    seen = _verdicts(monkeypatch)
    monkeypatch.setattr(Editor, method, make(getattr(Editor, method)))
    krm.resource_list(TEXT)
    assert all(whole for fast, whole in seen if fast), seen
    if fault not in RIGHT_SOMEWHERE:
        assert not any(fast for fast, _ in seen), seen


def test_the_bench_input_is_decided_by_windows(monkeypatch):
    """The generated kpt-style input (bench/generate.py): every edited workload but the last
    is read back in windows, the whole-item check never runs."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    calls = []
    original = selfcheck._item_ok
    monkeypatch.setattr(selfcheck, "_item_ok", lambda *a: calls.append(a[-1]) or original(*a))
    out = krm.resource_list(generate.generate(300, 5).resourcelist)
    assert out.code == 0
    assert [item.index for item in calls] == [out.run.source.items[-1].index]


def test_each_entry_is_read_within_its_own_window():
    """Two windows whose text reads as the two entries meant, but the first holds both:
    refused (the second's entry is not in its own text)."""
    assert editwindows.read_back([(0, 0, "- x\n", "x"), (5, 5, "- y\n", "y")])
    assert not editwindows.read_back([(0, 0, "- x\n- y\n", "x"), (5, 5, "", "y")])
    assert not editwindows.read_back([(0, 0, "- x\n", "x"), (5, 5, "- 'y\n", "y")])


def test_windows_of_one_text_are_read_once_and_each_must_mean_what_it_reads(monkeypatch):
    """Windows of the same text read the same (each entry starts at column 0): the text is
    read once, and every window of it must mean what that reading is."""
    alike = "- imagePullSecrets:\n  - name: r\n"
    meant = {"imagePullSecrets": [{"name": "r"}]}
    bodies: list[str] = []
    real = editwindows.read
    monkeypatch.setattr(editwindows, "read", lambda text, policy: (bodies.append(text),
                                                                   real(text, policy))[1])
    assert editwindows.read_back([(0, 0, alike, meant), (40, 40, "- x\n", "x"),
                                  (90, 90, alike, meant)])
    assert bodies == [alike + "- x\n"]
    assert not editwindows.read_back([(0, 0, alike, meant),
                                      (90, 90, alike, {"imagePullSecrets": [{"name": "s"}]})])


@pytest.mark.parametrize(("windows", "apart"), [
    ([(10, 20, "", 0), (0, 10, "", 0)], True),    # next to each other: in order
    ([(0, 10, "", 0), (10, 10, "", 0)], True),    # lines inserted right after
    ([(0, 11, "", 0), (10, 20, "", 0)], False),   # overlapping
    ([(10, 10, "", 0), (10, 10, "", 0)], False),  # two insertions at one place
    ([(10, 10, "", 0), (10, 20, "", 0)], False),  # inserted where a window starts
])
def test_windows_neither_overlap_nor_insert_at_one_place(windows, apart):
    found = editwindows._apart(list(windows))
    assert (found is not None) == apart
    assert found is None or found == sorted(windows)


class _Field:
    def __init__(self, text: str, value: str, block: bool = True) -> None:
        start = text.index(value)
        self.node = type("N", (), {"start": start, "end": start + len(value)})()
        self.path, self.block, self.alias_at, self.merged_in = "spec.image", block, None, None


@pytest.mark.parametrize(("text", "window"), [
    ("a:\n  image: x  # c\nb: 1\n", "- image: y  # c\n"),
    ("- - image: x\n", "-   image: y\n"),
    ("a:\n  image: x\r\n", "- image: y\r\n"),
    ("a:\n  image: x y\n", None),          # the line goes on after the value
    ("a:\n  image: x", None),              # no line end
    ("a:\n  image: &a x\n", None),         # an anchor (and aliases elsewhere)
    ("a:\n  'image': x\n", None),          # the key not written plain
    ("a:\n  image:\n    x\n", None),       # the value on a line of its own
])
def test_an_image_window_is_the_whole_line_of_its_key(text, window):
    field = _Field(text, "x")
    edit = (field.node.start, field.node.end, 0, "y")
    found = editwindows._image(text, field, edit, "y")
    assert (found and found[2]) == window
    assert editwindows._image(text, _Field(text, "x", block=False), edit, "y") is None


def test_intents_other_than_values_and_pull_secrets_have_no_windows():
    assert editwindows._split([("set", "a", "x"), ("secret", "b", "s")]) == (
        {"a": "x"}, {"b": "s"})
    assert editwindows._split([("set", "a", "x"), ("drop", "b", None)]) is None
    assert editwindows._split([("set", "a", "x"), ("set", "a", "y")]) is None


@pytest.mark.parametrize(("text", "pos", "new", "column", "window"), [
    ("a:\n  b: 1\nc: 2\n", 10, "  k: v\n", 2, "- k: v\n"),
    ("a:\n  b: 1\nc: 2\n", 10, "  k:\n  - v\n", 2, "- k:\n  - v\n"),
    ("a:\n  b: 1\nc: 2\n", 10, "   k: v\n", 2, None),     # the first line one column in
    ("a:\n  b: 1\nc: 2\n", 10, "  k:\n - v\n", 2, None),  # a line one column out
    ("a:\n  b: 1\nc: 2\n", 10, "  k: v", 2, None),         # no line end
    ("a:\n  b: 1\nc: 2\n", 11, "  k: v\n", 2, None),      # not at a line start
    ("a:\n  b: 1\nc: 2\n", 10, "  k: v\n", -1, None),     # the column unknown
])
def test_inserted_lines_are_whole_lines_at_the_collections_column(text, pos, new, column,
                                                                  window):
    found = editwindows._inserted(text, pos, {pos: (pos, pos, 0, new)}, column, "meant")
    assert (found and found[2]) == window


@pytest.mark.parametrize(("text", "start", "column"), [
    ("a:\n  b: 1\n", 5, 2),
    ("- - b: 1\n", 4, 4),
    ("a: &x\n  b: 1\n", 3, -1),   # the collection starts at its anchor
    ("a: !!map\n  b: 1\n", 3, -1),
])
def test_a_collections_column_is_where_its_first_key_is_written(text, start, column):
    node = Mapping(start, 0, False)
    assert editwindows._column(text, node, "") == column


def test_an_empty_block_scalar_is_no_window(monkeypatch):
    """A value written as "|", meant empty: on its own line it reads so; in context the
    deeper comment after it is its text."""
    seen = _verdicts(monkeypatch)
    monkeypatch.setattr(Editor, "set_scalar", lambda self, node, value: self.splice(
        node.start, node.end, "|"))
    original = mutate.intend
    monkeypatch.setattr(mutate, "intend", lambda item, op, path, v: original(
        item, op, path, "" if op == "set" else v))
    krm.resource_list(TEXT)
    assert all(whole for fast, whole in seen if fast), seen


@pytest.mark.parametrize("new", ["&a quay.io/x:1", "*a", "  - name: &a s\n", "  - name: *a\n"])
def test_anchors_and_aliases_are_no_windows(new):
    """What an anchor or alias names lies outside the window (or in another window)."""
    text = "a:\n  image: x\n"
    if new.startswith(" "):
        assert editwindows._inserted(text, 3, {3: (3, 3, 0, new)}, 2, [{"name": "s"}]) is None
        assert editwindows._inserted(text, 3, {3: (3, 3, 0, "  - name: s\n")}, 2, 0)
    else:
        field = _Field(text, "x")
        edit = (field.node.start, field.node.end, 0, new)
        assert editwindows._image(text, field, edit, new) is None
        assert editwindows._image(text, field, (*edit[:3], "y"), "y")
