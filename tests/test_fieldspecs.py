"""Field specs as kustomize reads them: a key without ``[]`` that holds a list is entered
entry by entry (a list in a list too), in the read policy the rows imply and in the
walk along them (fn.locate); with ``[]``, the entries must be mappings."""

from __future__ import annotations

import pytest

from fn import crdrows, locate, yamlread
from fn.fieldspecs import FieldSpec, _path_policy, split, union
from fn.problems import Problem
from fn.yamlread import ALL

ROW = FieldSpec("example.com", "Cluster", split("spec/nodes/image"))


def test_a_key_without_brackets_reads_its_list_entries_too():
    policy = _path_policy(ROW)
    nodes = policy["spec"]["nodes"]
    assert nodes["image"] is ALL
    assert nodes["[]"] is nodes  # entries, and entries of entries, read the same way
    assert policy["spec"]["[]"] is policy["spec"]


def test_brackets_keep_entries_only():
    policy = _path_policy(FieldSpec("", "Pod", split("spec/containers[]/image")))
    containers = policy["spec"]["containers"]
    assert set(containers) == {"[]"}
    assert containers["[]"]["image"] is ALL and containers["[]"]["name"] is ALL
    assert "[]" not in containers["[]"]


def test_union_follows_cycles_once():
    a = _path_policy(ROW)
    b = _path_policy(FieldSpec("example.com", "Cluster", split("spec/nodes/sidecar/image")))
    both = union(a, b)
    nodes = both["spec"]["nodes"]
    assert nodes["image"] is ALL and nodes["sidecar"]["image"] is ALL
    assert nodes["[]"] is nodes
    assert union(a, None) is a and union(None, b) is b and union(a, ALL) is ALL


def _resource(spec: str) -> yamlread.Node:
    text = f"apiVersion: example.com/v1\nkind: Cluster\nmetadata: {{name: c}}\nspec:\n{spec}"
    return yamlread.read(text, ALL)


def _paths(spec: str, path: str) -> list[str]:
    table = crdrows.table((FieldSpec("example.com", "Cluster", split(path)),), ())
    sites = locate.sites(_resource(spec), "example.com/v1", "Cluster", [], table)
    return [f.path for site in sites for f in site.images]


def test_locate_enters_lists_a_path_does_not_mark():
    spec = ("  nodes:\n  - image: a/b:1\n  - - image: a/c:1\n    - image: a/d:1\n"
            "  one:\n    image: a/e:1\n")
    assert _paths(spec, "spec/nodes/image") == [
        "spec.nodes[0].image", "spec.nodes[1][0].image", "spec.nodes[1][1].image"]
    assert _paths(spec, "spec/one/image") == ["spec.one.image"]


def test_a_repeated_alias_of_a_list_is_entered_once():
    """Nine aliases a level, six levels: 59,049 paths to one mapping, which the reader
    allows (it refuses a million); entered once each, the walk stays linear."""
    levels = ["  l0: &l0 [{image: a/b:1}]"] + [
        f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 6)]
    assert _paths("\n".join(levels) + "\n", "spec/l5/image") == [
        "spec.l5[0][0][0][0][0][0].image"]


@pytest.mark.parametrize("spec, path, field", [
    ("  nodes:\n  - [x]\n", "spec/nodes[]/image", "spec.nodes[0]"),  # [] : mappings only
    ("  nodes:\n  - x\n", "spec/nodes/image", "spec.nodes[0]"),
    ("  nodes: x\n", "spec/nodes/image", "spec.nodes"),
    ("  nodes: {image: a/b:1}\n", "spec/nodes[]/image", "spec.nodes"),
])
def test_wrong_shapes_are_named(spec, path, field):
    with pytest.raises(Problem) as caught:
        _paths(spec, path)
    assert caught.value.result().to_data()["field"]["path"] == field
