"""fn/data/fields.yaml against the real CRD schemas and real manifests saved in tests/data.

Every row must name a path that exists in its CRD's schema (tests/data/crds, cut from the
upstream CRDs) and ends in what the row's list means. The saved third-party manifests must
hit the rows (no dead table), and every image-named field in them must be covered.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CRDS = DATA / "crds"
LISTS = ("imageFields", "pullSecretFields", "podTemplates", "notImages")
ROW_KEYS = {"group", "version", "kind", "path"}
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

Schema = dict[str, Any]
Row = dict[str, str]


def _load_fields() -> dict[str, list[Row]]:
    return yaml.safe_load((ROOT / "fn" / "data" / "fields.yaml").read_text())


FIELDS = _load_fields()
EMBEDDED: list[dict[str, Any]] = yaml.safe_load((CRDS / "embedded.yaml").read_text())


def _load_schemas() -> dict[tuple[str, str], list[tuple[str, Schema, str]]]:
    """(group, kind) -> [(version, openAPIV3Schema, file)] over every excerpt."""
    found: dict[tuple[str, str], list[tuple[str, Schema, str]]] = {}
    for path in sorted(CRDS.rglob("*.yaml")):
        if path.name == "embedded.yaml":
            continue
        assert path.read_text().startswith("# source: "), f"{path}: no source line"
        for crd in yaml.safe_load_all(path.read_text()):
            key = (crd["spec"]["group"], crd["spec"]["names"]["kind"])
            for version in crd["spec"]["versions"]:
                found.setdefault(key, []).append(
                    (version["name"], version["schema"]["openAPIV3Schema"],
                     str(path.relative_to(CRDS))))
    return found


SCHEMAS = _load_schemas()


class PathError(Exception):
    pass


def _schema_of(group: str, kind: str, version: str) -> Schema:
    for name, schema, _ in SCHEMAS.get((group, kind), []):
        if name == version:
            return schema
    raise PathError(f"no schema for {group}/{version} {kind}")


def resolve(group: str, kind: str, version: str, path: str) -> Schema:
    """The schema node at `path` (kustomize form), continuing through embedded specs."""
    node = _schema_of(group, kind, version)
    steps = path.split("/")
    for i, step in enumerate(steps):
        if node.get("x-kubernetes-preserve-unknown-fields") and not node.get("properties"):
            done = "/".join(steps[:i])
            for entry in EMBEDDED:
                at = entry["at"]
                if (at["group"], at["kind"], at["path"]) == (group, kind, done):
                    target = entry["as"]
                    rest = "/".join([target["path"], *steps[i:]])
                    return resolve(target["group"], target["kind"], version, rest)
            raise PathError(f"{done} is untyped and not in embedded.yaml")
        key = step.removesuffix("[]")
        child = node.get("properties", {}).get(key)
        if child is None:
            raise PathError(f"no {key!r} at {'/'.join(steps[:i]) or '<root>'}")
        if step.endswith("[]"):
            if child.get("type") != "array":
                raise PathError(f"{key} is {child.get('type')}, not a list")
            child = child.get("items", {})
        node = child
    return node


def _is_name_list(node: Schema) -> bool:
    items = node.get("items", {})
    return (node.get("type") == "array" and items.get("type") == "object"
            and items.get("properties", {}).get("name", {}).get("type") == "string")


def _is_pod_spec(node: Schema) -> bool:
    props = node.get("properties", {})
    containers = props.get("containers", {})
    return (containers.get("type") == "array"
            and containers.get("items", {}).get("properties", {}).get("image", {}).get("type")
            == "string"
            and _is_name_list(props.get("imagePullSecrets", {})))


LEAF_CHECKS = {
    "imageFields": lambda node: node.get("type") == "string",
    "notImages": lambda node: node.get("type") == "string",
    "pullSecretFields": _is_name_list,
    "podTemplates": _is_pod_spec,
}


def check_row(leaf: str, row: Row) -> list[str]:
    """Problems of one row; a row without `version` must hold in every version seen."""
    versions = [v for v, _, _ in SCHEMAS.get((row["group"], row["kind"]), [])]
    if not versions:
        return [f"no schema excerpt for {row['group']} {row['kind']}"]
    wanted = [row["version"]] if "version" in row else versions
    problems = []
    for version in wanted:
        try:
            node = resolve(row["group"], row["kind"], version, row["path"])
        except PathError as err:
            problems.append(f"{version}: {err}")
            continue
        if not LEAF_CHECKS[leaf](node):
            problems.append(f"{version}: {row['path']} is not a {leaf} entry: {node}")
    return problems


ALL_ROWS = [(leaf, row) for leaf in LISTS for row in FIELDS.get(leaf, [])]


def test_table_shape() -> None:
    assert set(FIELDS) == set(LISTS)
    seen: Counter[tuple[str, ...]] = Counter()
    for leaf, row in ALL_ROWS:
        assert set(row) <= ROW_KEYS and {"group", "kind", "path"} <= set(row), row
        assert all(isinstance(row[k], str) and row[k] for k in row), row
        assert all(step.removesuffix("[]") for step in row["path"].split("/")), row
        seen[(leaf, row["group"], row.get("version", ""), row["kind"], row["path"])] += 1
    assert [key for key, n in seen.items() if n > 1] == []


@pytest.mark.parametrize(("leaf", "row"), ALL_ROWS,
                         ids=[f"{leaf}:{r['kind']}:{r['path']}" for leaf, r in ALL_ROWS])
def test_row_is_in_the_real_schema(leaf: str, row: Row) -> None:
    assert check_row(leaf, row) == []


@pytest.mark.parametrize(("leaf", "row"), [
    ("imageFields", {"group": "monitoring.coreos.com", "kind": "Prometheus",
                     "path": "spec/imagee"}),
    ("imageFields", {"group": "monitoring.coreos.com", "kind": "Prometheus",
                     "path": "spec/imagePullSecrets"}),
    ("pullSecretFields", {"group": "monitoring.coreos.com", "kind": "Prometheus",
                          "path": "spec/image"}),
    ("imageFields", {"group": "tekton.dev", "kind": "Task", "path": "spec/steps/image"}),
    ("imageFields", {"group": "tekton.dev", "kind": "TaskRun", "path": "spec/taskSpec/image"}),
    ("imageFields", {"group": "kafka.strimzi.io", "kind": "Kafka",
                     "path": "spec/zookeeper/image"}),  # gone in v1: needs version v1beta2
    ("podTemplates", {"group": "kibana.k8s.elastic.co", "kind": "Kibana",
                      "path": "spec/podTemplate"}),
])
def test_checker_rejects_wrong_rows(leaf: str, row: Row) -> None:
    assert check_row(leaf, row) != []


# ---- the saved real manifests

def _documents() -> list[tuple[str, str, dict[str, Any]]]:
    """(project, file, document) for every resource saved under tests/data/<project>/."""
    docs = []
    for path in sorted(DATA.rglob("*.yaml")):
        rel = path.relative_to(DATA)
        if rel.parts[0] == "crds":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "kind" in doc:
                docs.append((rel.parts[0], str(rel), doc))
    return docs


DOCS = _documents()


def _group_version(doc: dict[str, Any]) -> tuple[str, str]:
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    return group, version


def _applies(row: Row, doc: dict[str, Any]) -> bool:
    group, version = _group_version(doc)
    return (row["group"], row["kind"]) == (group, doc["kind"]) and \
        row.get("version", version) == version


def values_at(node: Any, steps: list[str], here: str = "") -> list[tuple[str, Any]]:
    """(concrete path, value) for every place `steps` reaches in `node`."""
    if not steps:
        return [(here, node)]
    if not isinstance(node, dict):
        return []
    key = steps[0].removesuffix("[]")
    if key not in node:
        return []
    child, where = node[key], f"{here}/{key}".lstrip("/")
    if not steps[0].endswith("[]"):
        return values_at(child, steps[1:], where)
    if not isinstance(child, list):
        return []
    return [hit for i, item in enumerate(child)
            for hit in values_at(item, steps[1:], f"{where}[{i}]")]


def covered_images(doc: dict[str, Any]) -> dict[str, str]:
    """concrete path -> value of every image the table reaches in `doc`."""
    found = {}
    for row in FIELDS["imageFields"]:
        if _applies(row, doc):
            found.update(values_at(doc, row["path"].split("/")))
    for row in FIELDS["podTemplates"]:
        if _applies(row, doc):
            for key in CONTAINER_LISTS:
                found.update(values_at(doc, [*row["path"].split("/"), f"{key}[]", "image"]))
    return {k: v for k, v in found.items() if isinstance(v, str)}


def image_named_fields(node: Any, here: str = "") -> dict[str, str]:
    """Scalar fields called `image` or `*Image` anywhere under `node` (not metadata)."""
    out: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{here}/{key}".lstrip("/")
            if key in ("metadata", "status") and not here:
                continue
            if (key == "image" or str(key).endswith("Image")) and isinstance(value, str):
                out[where] = value
            else:
                out.update(image_named_fields(value, where))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out.update(image_named_fields(item, f"{here}[{i}]"))
    return out


def _not_image(doc: dict[str, Any], path: str) -> bool:
    return any(path in dict(values_at(doc, row["path"].split("/")))
               for row in FIELDS["notImages"] if _applies(row, doc))


COVERED_GROUPS = {row["group"] for _, row in ALL_ROWS}
CUSTOM_DOCS = [(p, f, d) for p, f, d in DOCS if _group_version(d)[0] in COVERED_GROUPS]


def test_every_project_saved_has_custom_resources() -> None:
    projects = {p for p, _, _ in CUSTOM_DOCS}
    assert projects == {"kube-prometheus", "tekton", "strimzi", "eck", "argo-workflows"}


@pytest.mark.parametrize("project", ["kube-prometheus", "tekton", "eck", "argo-workflows"])
def test_rows_reach_real_images(project: str) -> None:
    images = [img for p, _, doc in CUSTOM_DOCS if p == project
              for img in covered_images(doc).values()]
    assert images, f"no row reaches an image in tests/data/{project}"


def test_no_image_named_field_in_real_resources_is_uncovered() -> None:
    uncovered = []
    for _, file, doc in CUSTOM_DOCS:
        covered = covered_images(doc)
        for path, value in image_named_fields(doc).items():
            if path not in covered and not _not_image(doc, path):
                uncovered.append(f"{file} {doc['kind']} {path}: {value}")
    assert uncovered == []


def test_real_images_found() -> None:
    # a few exact hits, so that a table change that loses them fails by name
    hits = {(doc["kind"], path, value) for _, _, doc in CUSTOM_DOCS
            for path, value in covered_images(doc).items()}
    assert ("Prometheus", "spec/image", "quay.io/prometheus/prometheus:v3.13.2") in hits
    assert ("Alertmanager", "spec/image", "quay.io/prometheus/alertmanager:v0.33.1") in hits
    assert ("Agent", "spec/image", "docker.elastic.co/elastic-agent/elastic-agent-complete:9.4.3") \
        in hits
    assert ("Agent", "spec/statefulSet/podTemplate/spec/containers[0]/image",
            "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.10.0") in hits
    assert ("TaskRun", "spec/taskSpec/sidecars[0]/image",
            "mirror.gcr.io/library/docker@sha256:"
            "0752ca4e936da012c173c119217c0f9599b3b191c1557e53206d5d06d2627580") in hits
    assert ("PipelineRun", "spec/pipelineSpec/tasks[0]/taskSpec/steps[0]/image",
            "mirror.gcr.io/ubuntu") in hits
    assert ("Pipeline", "spec/tasks[1]/taskSpec/steps[0]/image", "zshusers/zsh:4.3.15") in hits
    kinds = {kind for kind, _, _ in hits}
    assert {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"} <= kinds
    paths = {path.split("[")[0] + "|" + path.rsplit("/", 1)[-1] for _, path, _ in hits}
    for wanted in ("spec/templates|image", "spec/workflowSpec/templates|image"):
        assert wanted in paths


def test_real_pull_secret_rows_are_used() -> None:
    lists = [(doc["kind"], path, value) for _, _, doc in CUSTOM_DOCS
             for row in FIELDS["pullSecretFields"] if _applies(row, doc)
             for path, value in values_at(doc, row["path"].split("/"))]
    assert ("Workflow", "spec/imagePullSecrets", [{"name": "docker-registry-secret"}]) in lists


def test_strimzi_examples_pull_nothing_and_push_one() -> None:
    """Upstream Strimzi examples leave every pulled image to the operator's defaults; the
    one image they name is a build's push target, which the table must not proxy."""
    strimzi = [doc for p, _, doc in CUSTOM_DOCS if p == "strimzi"]
    assert strimzi and all(covered_images(doc) == {} for doc in strimzi)
    pushed = [(path, value) for doc in strimzi for path, value in image_named_fields(doc).items()
              if _not_image(doc, path)]
    assert pushed == [("spec/build/output/image", "ttl.sh/strimzi-connect-example-4.3.0:24h")]


def test_tekton_catalog_step_image_is_a_param_reference() -> None:
    """A fact the table alone cannot express: the catalog's git-clone step names its image
    through a parameter whose default is the real image (see the report for issue 16)."""
    task = next(doc for p, f, doc in CUSTOM_DOCS if f.endswith("git-clone/0.9/git-clone.yaml"))
    assert covered_images(task) == {"spec/steps[0]/image": "$(params.gitInitImage)"}
    default = next(p["default"] for p in task["spec"]["params"] if p["name"] == "gitInitImage")
    assert default == "ghcr.io/tektoncd/github.com/tektoncd/pipeline/cmd/git-init:v0.40.2"
