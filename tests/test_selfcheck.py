"""The self-check (fn.selfcheck) stops what a faulty edit would let out.

Faults are injected where a bug would be: the editor's splices (a wrong value, a broken
quote, a line that re-parents what follows, a wrong pull-secret name) and the recorded
intents. Each run must end with exit 1, the "does not read back as intended" error and the
input echoed, never with the broken output and exit 0. A run without a fault passes, so
each test can fail both ways. The inputs: the quickstart example and a generated kpt-style
ResourceList (bench/generate.py) of 60 resources, read on the fast path (item by item)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fn import intents, krm, mutate, outputslices, selfcheck
from fn.textedit import Editor

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = (ROOT / "examples/quickstart/resourcelist.yaml").read_text()


def _generated() -> str:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    return generate.generate(60, 11).resourcelist


GENERATED = _generated()
INPUTS = {"quickstart": QUICKSTART, "generated": GENERATED}


def _wrong_value(original):
    def set_scalar(self, node, value):
        return original(self, node, value + "-x")
    return set_scalar


def _broken_quote(original):
    def set_scalar(self, node, value):
        original(self, node, value)
        start, end, order, new = self.edits[-1]
        self.edits[-1] = (start, end, order, '"' + new)
    return set_scalar


def _reparenting(original):
    """The value right, then a line at the indentation of the keys after it: a key of the
    container's mapping the function does not read becomes the container list's sibling."""
    def set_scalar(self, node, value):
        original(self, node, value)
        start, end, order, new = self.edits[-1]
        line = self.text.rfind("\n", 0, node.start) + 1
        indent = len(self.text[line:node.start]) - len(self.text[line:node.start].lstrip())
        self.edits[-1] = (start, end, order, new + "\n" + " " * max(indent - 2, 0) + "x: 1")
    return set_scalar


def _overlapping(original):
    """A second splice over the first: the output could not be made (Editor.chunks raises
    as it writes), so it must be refused before anything is written."""
    def set_scalar(self, node, value):
        original(self, node, value)
        self.splice(node.start + 1, node.end + 1, "x")
    return set_scalar


def _key_given_twice(original):
    """The value right, and its key again on the next line: PyYAML (the slow path's
    loader) takes the last of a key given twice; kpt and kubectl refuse the document."""
    def set_scalar(self, node, value):
        original(self, node, value)
        start, end, order, new = self.edits[-1]
        line = max(self.text.rfind("\n", 0, node.start), self.text.rfind("\r", 0, node.start))
        key = self.text.rfind("image", line + 1, node.start)
        self.edits[-1] = (start, end, order, f"{new}\n{' ' * (key - line - 1)}image: {new}")
    return set_scalar


def _document_end(original):
    """A CR (a line break to libyaml) then "...": the rest of the output a second
    document. Read whole, the output is refused; an item read on its own was not."""
    def set_scalar(self, node, value):
        original(self, node, value + "\r...")
    return set_scalar


FAULTS = {
    "a document end after a CR": ("set_scalar", _document_end),
    "a key given twice": ("set_scalar", _key_given_twice),
    "splices that overlap": ("set_scalar", _overlapping),
    "a wrong image value": ("set_scalar", _wrong_value),
    "a broken quote": ("set_scalar", _broken_quote),
    "a line that re-parents keys": ("set_scalar", _reparenting),
}


def _run(text: str):
    out = krm.resource_list(text)
    return out.code, out.stdout, [r.message for r in out.results]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_without_a_fault_the_run_passes(name):
    code, stdout, messages = _run(INPUTS[name])
    assert code == 0, messages
    assert stdout != INPUTS[name]


def _assert_stopped(text: str, code: int, stdout: str, messages: list[str]) -> None:
    assert code == 1, messages
    assert any("does not read back as intended" in m for m in messages), messages
    assert stdout.startswith(text.rstrip("\n")[:200]), "the input is not echoed"
    assert "proxy.replicated.com/proxy/" not in stdout.split("\nresults:")[0] or (
        "proxy.replicated.com/proxy/" in text), "edited items went out"


@pytest.mark.parametrize("name", sorted(INPUTS))
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_splice_is_stopped(monkeypatch, name, fault):
    method, make = FAULTS[fault]
    monkeypatch.setattr(Editor, method, make(getattr(Editor, method)))
    text = INPUTS[name]
    _assert_stopped(text, *_run(text))


def test_a_key_given_twice_is_stopped_on_the_slow_path(monkeypatch):
    """CR line breaks send the check to the whole-document comparison (PyYAML's): the
    output is also read as the function reads, which refuses a key given twice."""
    text = QUICKSTART.replace("\n", "\r")
    assert _run(text)[0] == 0
    wholes = _counted(monkeypatch, "_whole")
    monkeypatch.setattr(Editor, "set_scalar", _key_given_twice(Editor.set_scalar))
    _assert_stopped(text, *_run(text))
    assert wholes


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_wrong_pull_secret_name_is_stopped(monkeypatch, name):
    original = Editor.append

    def append(self, seq, value):
        if isinstance(value, dict) and "name" in value:
            value = {**value, "name": value["name"] + "-x"}
        return original(self, seq, value)

    monkeypatch.setattr(Editor, "append", append)
    original_add = Editor.add_key

    def add_key(self, mapping, key, value):
        if key == "imagePullSecrets":
            value = [{"name": "other"}]
        return original_add(self, mapping, key, value)

    monkeypatch.setattr(Editor, "add_key", add_key)
    text = INPUTS[name]
    _assert_stopped(text, *_run(text))


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_an_intent_that_differs_from_the_edit_is_stopped(monkeypatch, name):
    original = intents.intend

    def intend(item, op, path, value):
        original(item, op, path, value + "-meant" if op == "set" and isinstance(
            value, str) else value)

    monkeypatch.setattr(mutate, "intend", intend)
    text = INPUTS[name]
    _assert_stopped(text, *_run(text))


@st.composite
def _spliced(draw):
    source = draw(st.text("ab\n-: ", max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(source)), max_size=12)))
    edits = []
    for i in range(0, len(cuts) - 1, 2):  # (start, end) pairs that do not overlap
        edits.append((cuts[i], cuts[i + 1], i, draw(st.text("xyz\n", max_size=5))))
    if len(cuts) % 2:
        edits.append((cuts[-1], cuts[-1], 99, draw(st.text("xyz\n", max_size=5))))
    return source, edits


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(_spliced(), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60)))
def test_a_slice_of_the_output_is_made_without_the_whole(spliced, lo, hi):
    """outputslices.Shifts.text(source, lo, hi) is the joined output's [lo:hi]."""
    source, edits = spliced
    editor = Editor(source)
    editor.edits = list(edits)
    whole = "".join(editor.chunks())
    assert outputslices.Shifts(edits).text(source, lo, hi) == whole[lo:hi]


def test_the_results_of_a_large_run_are_checked_on_the_fast_path(monkeypatch):
    """Results past 100,000 nodes once read (7,000 warnings) are read back all the same:
    a node budget that did not grow with them sent a 50,000-resource run to the whole-text
    comparison (3 GB, 40 s) before it passed."""
    def whole(*args):
        raise AssertionError("the whole-text comparison ran")

    monkeypatch.setattr(selfcheck, "_whole", whole)
    containers = "".join(f"        - name: c{i}\n          image: registry.example.com:5000/"
                         f"acme/c{i}:1\n" for i in range(7000))
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
            "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: big\n"
            "  spec:\n    template:\n      spec:\n        containers:\n"
            f"{containers}"
            "        - name: api\n          image: quay.io/acme/api:1\n"
            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n"
            "  metadata:\n    name: replicated-proxy\n  data:\n"
            "    licenseID: exampleLicenseId0123456789\n    appSlug: acme\n"
            "    privateImages: quay.io/acme/, registry.example.com:5000\n")
    code, stdout, messages = _run(text)
    assert code == 0, messages[:3]
    assert sum("has a port" in m for m in messages) == 7000
    assert "proxy.replicated.com/proxy/acme/quay.io/acme/api:1" in stdout


def _counted(monkeypatch, name: str) -> list:
    """``selfcheck.<name>`` run as before, each call counted in the list returned."""
    calls: list = []
    original = getattr(selfcheck, name)

    def counted(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(selfcheck, name, counted)
    return calls


RESULT_FAULTS = {
    "a changed message": lambda data: [{**data[0], "message": data[0]["message"] + "!"},
                                       *data[1:]],
    "a result left out": lambda data: data[:-1],
    "a result twice": lambda data: [*data, data[-1]],
}


@pytest.mark.parametrize("earlier", [False, True], ids=["results added", "results appended"])
@pytest.mark.parametrize("fault", sorted(RESULT_FAULTS))
def test_results_written_other_than_meant_are_stopped(monkeypatch, earlier, fault):
    """The results are read back entry by entry (each let go of once compared): a changed,
    missing or extra entry is caught, whether the results key is added or the input's own
    results list is appended to."""
    text = GENERATED + ("results:\n- message: from an earlier function\n  severity: info\n"
                        if earlier else "")
    code, _, messages = _run(text)
    assert code == 0 and len(messages) > 1, messages  # without the fault: passes
    original = krm._write_results
    calls = []

    def write_results(doc, editor, data):  # (data comes one result at a time)
        original(doc, editor, iter(RESULT_FAULTS[fault](list(data))) if not calls else data)
        calls.append(doc.results_at[0])

    monkeypatch.setattr(krm, "_write_results", write_results)
    wholes = _counted(monkeypatch, "_whole")
    _assert_stopped(text, *_run(text))
    assert calls[0] == ("append" if earlier else "add")
    assert wholes == [1], "the item-by-item check let the results pass"


def test_the_slow_path_case_reads_back_item_by_item(monkeypatch):
    """tests/cases/named-image-rewrite-reads-back-on-the-slow-path is read back by
    ``_reread`` (CR line breaks and a key PyYAML cannot build), where the values that name
    images must be compared too: before, its rewrite was taken for a fault."""
    case = ROOT / "tests/cases/named-image-rewrite-reads-back-on-the-slow-path/input.yaml"
    rereads = _counted(monkeypatch, "_reread")
    code, stdout, messages = _run(case.read_bytes().decode())
    assert rereads == [1]
    assert code == 0, messages
    assert "proxy/acme/quay.io/acme/reloader:1" in stdout


def test_a_key_given_twice_is_stopped_in_stream_mode(monkeypatch):
    """Stream mode compares documents with PyYAML, which takes the last of a key given
    twice: the output is also read as the function reads, which refuses it."""
    from fn import config, stream

    settings = config.load({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "c"},
                            "data": {"licenseID": "unitTestLicense0000000001",
                                     "appSlug": "acme", "privateImages": "quay.io/acme/"}})
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
            "  - name: a\n    image: quay.io/acme/api:1\n")
    assert stream.run(text, settings).code == 0
    monkeypatch.setattr(Editor, "set_scalar", _key_given_twice(Editor.set_scalar))
    out = stream.run(text, settings)
    assert out.code == 1
    assert any("does not read back as intended" in r.message for r in out.results)
    assert out.stdout == ""


_SCALARS = st.one_of(st.text(max_size=8), st.integers(-5, 10**6), st.booleans(), st.none())


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.sampled_from(["message", "severity", "field", "index", "tags"]),
                       st.one_of(_SCALARS, st.dictionaries(st.text("abc", max_size=3),
                                                           _SCALARS, max_size=3),
                                 st.lists(_SCALARS, max_size=3)), min_size=1, max_size=4))
def test_results_as_written_read_back_in_c_as_meant(data):
    """Results are compared as fn.nodes.plain reads them (C), before to_python: written
    by the editor's block writer, a result reads back as ``yamlwrite.as_read`` has it."""
    from fn.yamlread import plain, read
    from fn.yamlwrite import as_read, block

    text = "\n".join(block([data], 0)) + "\n"
    assert plain(read(text).entries[0]) == as_read(data)


@pytest.mark.parametrize(("written", "other"), [
    ("a\nb\n", False), ("a\r\nb\r\n", False), ("a\rb", True), ("a\x85b", True),
    ("\u2028", True), ("caf\u00e9\n", False), ("tail\r", True)])
def test_what_is_written_is_checked_for_other_line_breaks_splice_by_splice(written, other):
    """Each splice on its own (a large run's results are one splice of megabytes: joining
    them all held a copy of them at the peak), one taking the check to the slow path."""
    edits = [(0, 0, 0, "plain\n"), (5, 5, 1, written)]
    assert selfcheck._written_breaks(edits) is other
