"""A CRD's served schema as a JSON-schema validator that also rejects unknown fields.

``validator(path) -> (api_version, validator)``: the version that is served and stored,
its ``openAPIV3Schema`` with ``additionalProperties: false`` added wherever it lists
``properties`` (and does not keep unknown fields): the API server would silently prune
a field it does not know, so a test wants none.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml


def closed(schema: object) -> object:
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: closed(v) for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def validator(path: Path) -> tuple[str, jsonschema.Draft4Validator]:
    crd = yaml.safe_load(path.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["served"] and v["storage"]]
    schema = closed(version["schema"]["openAPIV3Schema"])
    return f"{crd['spec']['group']}/{version['name']}", jsonschema.Draft4Validator(schema)
