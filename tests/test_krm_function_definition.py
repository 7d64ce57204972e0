"""schemas/krmfunctiondefinition.yaml: kpt's function metadata (KRMFunctionDefinition,
config.kubernetes.io/v1alpha1), generated with the JSON schemas from the one field table.
Checked for the fields kpt's KRMFunctionDefinition schema requires, and its embedded
OpenAPI v3 schema checked against the examples' typed configs."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from fn import schema

REPO = Path(__file__).resolve().parent.parent
DEFINITION = REPO / "schemas/krmfunctiondefinition.yaml"
# what kpt's schema of a KRMFunctionDefinition requires (spec, and each version)
SPEC_REQUIRED = {"group", "names", "description", "publisher", "versions"}
VERSION_REQUIRED = {"name", "schema", "idempotent", "runtime", "usage", "examples", "license"}


def test_checked_in_definition_is_generated():
    assert DEFINITION.read_text() == schema.render(schema.krm_function_definition)


def test_definition_has_what_kpt_requires():
    d = yaml.safe_load(DEFINITION.read_text())
    assert (d["apiVersion"], d["kind"]) == ("config.kubernetes.io/v1alpha1",
                                            "KRMFunctionDefinition")
    assert set(d["spec"]) >= SPEC_REQUIRED and d["spec"]["names"]["kind"] == "ReplicatedProxy"
    for version in d["spec"]["versions"]:
        assert set(version) >= VERSION_REQUIRED
        assert version["license"] == "Apache 2.0" and version["examples"]
        assert "openAPIV3Schema" in version["schema"]


def test_embedded_schema_accepts_the_examples_and_refuses_unknown_fields():
    d = yaml.safe_load(DEFINITION.read_text())
    openapi = d["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert "const" not in str(openapi) and "$schema" not in openapi
    validator = jsonschema.Draft4Validator(openapi)
    config = yaml.safe_load((REPO / "examples/kpt-package/replicated-proxy.yaml").read_text())
    validator.validate(config)
    config["spec"]["privateImage"] = "quay.io/acme/"  # a typo: refused
    assert list(validator.iter_errors(config))
