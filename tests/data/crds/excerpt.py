"""Cut CRD schemas down to what fn/data/fields.yaml needs (a maintenance tool, not a test).

    python3 tests/data/crds/excerpt.py SOURCE OUT.yaml < upstream-crd.yaml

SOURCE is the line recorded at the top of OUT ("<owner>/<repo>@<ref> <commit> <path>").
For every CustomResourceDefinition in the input and every version it serves, the
openAPIV3Schema is pruned to the paths that fields.yaml lists for its group and kind:
descriptions and all other properties are dropped, the step types are kept, and at the
end of a path only what the row's meaning needs (the scalar's type; the `name` of a
pull-secret entry; `containers`/`initContainers`/`ephemeralContainers` images and
`imagePullSecrets` of a PodSpec). An untyped part (x-kubernetes-preserve-unknown-fields
with no properties) is kept as it is and ends the path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

FIELDS = Path(__file__).resolve().parents[3] / "fn" / "data" / "fields.yaml"
Schema = dict[str, Any]


def _untyped(node: Schema) -> bool:
    return bool(node.get("x-kubernetes-preserve-unknown-fields")) and not node.get("properties")


def _name_list(node: Schema) -> Schema:
    items = node.get("items", {})
    name = items.get("properties", {}).get("name")
    out: Schema = {"type": node.get("type"), "items": {"type": items.get("type")}}
    if name is not None:
        out["items"]["properties"] = {"name": {"type": name.get("type")}}
    return out


def _pod_spec(node: Schema) -> Schema:
    props = node.get("properties", {})
    kept: Schema = {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        if key in props:
            item = props[key].get("items", {}).get("properties", {})
            kept[key] = {"type": props[key].get("type"), "items": {
                "type": "object",
                "properties": {k: {"type": item[k].get("type")} for k in ("name", "image")
                               if k in item}}}
    if "imagePullSecrets" in props:
        kept["imagePullSecrets"] = _name_list(props["imagePullSecrets"])
    return {"type": node.get("type"), "properties": kept}


LEAVES = {
    "imageFields": lambda node: {"type": node.get("type")},
    "notImages": lambda node: {"type": node.get("type")},
    "pullSecretFields": _name_list,
    "podTemplates": _pod_spec,
}


def prune(node: Schema, steps: list[str], leaf: str) -> Schema | None:
    """The part of `node` on the path `steps`, or None when the path is not there."""
    if not steps:
        return LEAVES[leaf](node)
    if _untyped(node):
        return {"type": node.get("type", "object"), "x-kubernetes-preserve-unknown-fields": True}
    step = steps[0]
    key = step.removesuffix("[]")
    child = node.get("properties", {}).get(key)
    if child is None:
        return None
    if step.endswith("[]"):
        if child.get("type") != "array":
            return None
        inner = prune(child.get("items", {}), steps[1:], leaf)
        sub = None if inner is None else {"type": "array", "items": inner}
    else:
        sub = prune(child, steps[1:], leaf)
    return None if sub is None else {"type": node.get("type"), "properties": {key: sub}}


def merge(a: Schema, b: Schema) -> Schema:
    out = dict(a)
    for key, value in b.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def excerpt(crd: Schema, fields: dict[str, list[dict[str, str]]]) -> tuple[Schema, list[str]]:
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    missing: list[str] = []
    versions = []
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        schema = version["schema"]["openAPIV3Schema"]
        kept: Schema = {"type": schema.get("type", "object")}
        for leaf, rows in fields.items():
            for row in rows:
                if (row["group"], row["kind"]) != (group, kind):
                    continue
                if row.get("version", version["name"]) != version["name"]:
                    continue
                part = prune(schema, row["path"].split("/"), leaf)
                if part is None:
                    missing.append(f"{version['name']} {leaf} {row['path']}")
                else:
                    kept = merge(kept, part)
        versions.append({"name": version["name"], "served": True,
                         "schema": {"openAPIV3Schema": kept}})
    doc = {"apiVersion": crd["apiVersion"], "kind": crd["kind"],
           "metadata": {"name": crd["metadata"]["name"]},
           "spec": {"group": group, "names": {"kind": kind}, "versions": versions}}
    return doc, missing


def main() -> int:
    source, out = sys.argv[1], Path(sys.argv[2])
    fields = yaml.safe_load(FIELDS.read_text())
    docs = []
    for crd in yaml.safe_load_all(sys.stdin):
        if crd and crd.get("kind") == "CustomResourceDefinition":
            doc, missing = excerpt(crd, fields)
            docs.append(doc)
            for line in missing:
                print(f"{crd['metadata']['name']}: not in schema: {line}", file=sys.stderr)
    header = (f"# source: {source}\n"
              "# Excerpt: openAPIV3Schema pruned to the paths in fn/data/fields.yaml by\n"
              "# tests/data/crds/excerpt.py; descriptions and other properties removed.\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + yaml.safe_dump_all(docs, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
