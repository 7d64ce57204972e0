"""Field specs as kustomize reads them: a key without ``[]`` that holds a list is entered
entry by entry (a list in a list too), in the read policy the rows imply and in the
walk along them (fn.fieldpath); with ``[]``, the entries must be mappings. A row without
a group holds in every group; ``\\/`` is a "/" in a key; a kind only the user's rows name
is still searched for pod templates. Paths of keys with dots read back (fn.fieldpath)."""

from __future__ import annotations

import pytest

from fn import crdrows, fieldpath, locate, yamlread
from fn.fieldspecs import METADATA_POLICY, FieldSpec, _path_policy, split, union
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


def test_a_row_without_a_group_holds_for_its_kind_in_every_group():
    rows = crdrows.user_rows([{"kind": "Service", "path": "spec/x/image"}], "imageFields")
    table = crdrows.table(rows, ())
    for group in ("serving.knative.dev", ""):
        assert table.find(group, "Service") == (list(rows), [])
    assert table.policy("", "Service")["spec"]["x"]["image"] is ALL  # read, on a built-in
    assert crdrows.BUILTIN.find("serving.knative.dev", "Service") is None


def test_a_kind_only_the_users_rows_name_is_still_searched():
    knative = crdrows.user_rows([{"kind": "Service", "path": "spec/x/image"}], "imageFields")
    assert crdrows.table(knative, ()).also_searched("serving.knative.dev", "Service")
    named = crdrows.user_rows([{"group": "example.com", "kind": "Worker", "path": "a/image"}],
                              "imageFields")
    assert crdrows.table(named, ()).also_searched("example.com", "Worker")
    assert not crdrows.table(named, ()).also_searched("other.com", "Worker")
    prometheus = crdrows.user_rows([{"kind": "Prometheus", "path": "spec/extra/image"}],
                                   "imageFields")  # built-in rows: those and the user's
    table = crdrows.table(prometheus, ())
    assert not table.also_searched("monitoring.coreos.com", "Prometheus")
    images, _ = table.find("monitoring.coreos.com", "Prometheus")
    assert prometheus[0] in images and len(images) > 1


def test_a_field_the_search_and_a_row_find_is_one_field():
    row = {"group": "example.com", "kind": "Cluster",
           "path": "spec/template/spec/containers/image"}
    table = crdrows.table(crdrows.user_rows([row], "imageFields"), ())
    root = _resource("  template:\n    spec:\n      containers:\n      - {name: a, image: a/b:1}\n"
                     "      imagePullSecrets: [{name: s}]\n")
    sites = locate.sites(root, "example.com/v1", "Cluster", [], table)
    fields = [f for site in sites for f in site.images]
    assert len({id(f) for f in fields}) == 1  # the search's, in the PodSpec's site and the row's
    assert [s.path for s in sites if not s.bare] == ["spec.template.spec.imagePullSecrets"]


@pytest.mark.parametrize("keys", [
    ("spec", "containers", 0, "image"),
    ("data", "worker.image"),
    ("metadata", "annotations", "sidecar.example.com/image"),
    ("a", "", "b[0]", 'say "hi"', 3, 4, "ünïcode.key", "x]y"),
    ("[0]",),
])
def test_paths_read_back_to_their_keys(keys):
    path = fieldpath.join(keys)
    assert fieldpath.keys(path) == keys
    assert fieldpath.parent(path) == fieldpath.join(keys[:-1])


def test_paths_of_plain_keys_are_dotted():
    assert fieldpath.join(("spec", "containers", 0, "image")) == "spec.containers[0].image"
    assert fieldpath.join(("data", "worker.image")) == 'data["worker.image"]'
    assert fieldpath.template("spec.nodes[1][0].image") == ("spec", "nodes[]", "image")


def test_an_escaped_slash_stays_in_its_segment():
    assert split("metadata/annotations/a.io\\/image") == ("metadata", "annotations",
                                                          "a.io/image")
    assert split("/spec//image/") == ("spec", "image")


def test_rows_under_metadata_are_read_for_every_kind():
    rows = crdrows.user_rows([{"kind": "Deployment", "path": "metadata/annotations/a.io\\/x"}],
                             "imageFields")
    metadata = crdrows.table(rows, ()).metadata_policy()
    assert metadata["annotations"]["a.io/x"] is ALL
    assert metadata["name"] is ALL  # and what the function itself reads
    assert crdrows.BUILTIN.metadata_policy() is METADATA_POLICY
