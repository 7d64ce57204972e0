"""schemas/*.json: generated from fn.config.FIELDS by ``python -m fn.schema``, checked in,
and checked against every example config with the real ``check-jsonschema``.

The schemas must never be laxer than the function: a value the schema accepts is one
``fn.config.load`` accepts (checked on a table of values and on generated ones)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import jsonschema
import pytest
import yaml
from e2e_tools import EXAMPLES, REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from fn import config, schema
from fn.problems import Problem

SCHEMAS = REPO / "schemas"
TYPED = SCHEMAS / "replicatedproxy.json"
CONFIGMAP = SCHEMAS / "configmap.json"


def check_jsonschema() -> str:
    path = shutil.which("check-jsonschema")
    if path is None:
        pytest.fail("check-jsonschema is not installed: run .ci/run")
    return path


def test_checked_in_schemas_are_the_generated_ones(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fn.schema", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert proc.stderr == ""
    for name in schema.FILES:
        assert (tmp_path / name).read_text() == (SCHEMAS / name).read_text(), (
            f"schemas/{name} is stale: run python -m fn.schema")


def test_every_field_is_described_and_in_its_form():
    assert set(schema.DESCRIPTIONS) == set(config.FIELDS), "DESCRIPTIONS and FIELDS differ"
    assert all(d.strip() for d in schema.DESCRIPTIONS.values())
    assert set(schema.CONSTRAINTS) <= set(config.FIELDS)
    typed = json.loads(TYPED.read_text())["properties"]["spec"]["properties"]
    data = json.loads(CONFIGMAP.read_text())["properties"]["data"]["properties"]
    assert set(typed) == set(config.FIELDS) - config._CONFIGMAP_ONLY
    assert set(data) == set(config.FIELDS) - config._TYPED_ONLY
    assert all(f["description"] == schema.DESCRIPTIONS[k] for k, f in typed.items())
    assert all(f["type"] == "string" for f in data.values()), "ConfigMap values are strings"


def _example_configs(tmp_path) -> list[tuple[str, str]]:
    """(schema file, config file) for every function config in examples/."""
    found: list[tuple[str, str]] = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        if ".expected" in path.parts or "templates" in path.parts:
            continue
        for i, doc in enumerate(d for d in yaml.safe_load_all(path.read_text()) if d):
            if doc.get("kind") == "ReplicatedProxy":
                found.append((str(TYPED), str(path)))
            elif doc.get("kind") == "ResourceList":  # its functionConfig
                out = tmp_path / f"{path.parent.name}-{i}-functionConfig.yaml"
                out.write_text(yaml.safe_dump(doc["functionConfig"]))
                found.append((str(CONFIGMAP), str(out)))
    for kptfile in sorted(EXAMPLES.rglob("Kptfile")):
        pipeline = yaml.safe_load(kptfile.read_text()).get("pipeline", {})
        for step in pipeline.get("mutators", []) + pipeline.get("validators", []):
            if "configMap" in step:  # kpt makes a ConfigMap of it
                out = tmp_path / f"{kptfile.parent.name}-inline-{len(found)}.yaml"
                out.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": "function-input"},
                                               "data": step["configMap"]}))
                found.append((str(CONFIGMAP), str(out)))
    found.append((str(CONFIGMAP), str(EXAMPLES / "stream/config.yaml")))
    return found


def test_every_example_config_validates_with_check_jsonschema(tmp_path):
    configs = _example_configs(tmp_path)
    assert len([c for c in configs if c[0] == str(TYPED)]) >= 4
    assert len([c for c in configs if c[0] == str(CONFIGMAP)]) >= 3
    for schema_file, config_file in configs:
        proc = subprocess.run([check_jsonschema(), "--schemafile", schema_file, config_file],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{config_file}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize(("schema_file", "text", "complaint"), [
    (TYPED, "spec: {privateImage: [quay.io/acme/]}", "privateImage"),
    (TYPED, "spec: {mode: mutated}", "mutated"),
    (TYPED, "spec: {proxyAll: yes please}", "yes please"),
    (TYPED, "spec: {probeConcurrency: 500}", "500"),
    (CONFIGMAP, "data: {proxyAll: true}", "True"),  # kpt sends strings; YAML true is not one
    (CONFIGMAP, "data: {pullSecretName: Acme_Registry}", "Acme_Registry"),
])
def test_check_jsonschema_rejects_a_bad_config(tmp_path, schema_file, text, complaint):
    head = ("apiVersion: fn.replicated-proxy/v1alpha1\nkind: ReplicatedProxy\n"
            if schema_file == TYPED else "apiVersion: v1\nkind: ConfigMap\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(head + "metadata: {name: x}\n" + text + "\n")
    proc = subprocess.run([check_jsonschema(), "--schemafile", str(schema_file), str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout
    assert complaint in proc.stdout


# ---------------------------------------------------------------- never laxer than fn.config

def _fn_accepts(typed: bool, field: str, value) -> bool:
    doc = ({"apiVersion": config.TYPED_API_VERSION, "kind": config.TYPED_KIND,
            "spec": {field: value}} if typed else
           {"apiVersion": "v1", "kind": "ConfigMap", "data": {field: value}})
    try:
        config.load(doc)
    except Problem:
        return False
    return True


def _schema_accepts(typed: bool, field: str, value) -> bool:
    doc = ({"apiVersion": config.TYPED_API_VERSION, "kind": config.TYPED_KIND,
            "spec": {field: value}} if typed else
           {"apiVersion": "v1", "kind": "ConfigMap", "data": {field: value}})
    made = schema.replicated_proxy() if typed else schema.configmap()
    return jsonschema.Draft202012Validator(made).is_valid(doc)


# (field, value, typed form?): the function's verdict and the schema's must agree
SAMPLES = [
    ("mode", "validate", True), ("mode", "Validate", True), ("mode", 1, True),
    ("onProbeError", "error", False), ("onProbeError", "fail", False),
    ("proxyAll", True, True), ("proxyAll", "TRUE", True), ("proxyAll", "yes", True),
    ("proxyAll", "false", False), ("proxyAll", "1", False),
    ("probe", 1, True),
    ("maxInfoResults", 0, True), ("maxInfoResults", -1, True), ("maxInfoResults", "25", False),
    ("maxInfoResults", "2.5", False), ("maxInfoResults", True, True),
    ("probeConcurrency", 100, True), ("probeConcurrency", 101, True), ("probeConcurrency", 0, True),
    ("probeConcurrency", "100", False), ("probeConcurrency", "101", False),
    ("probeConcurrency", "007", False), ("probeConcurrency", "2.5", False),
    ("probeConcurrency", 2.5, True),
    ("probeTimeout", 0.5, True), ("probeTimeout", 0, True), ("probeTimeout", "0.0", False),
    ("probeTimeout", "1.5", False), ("probeTimeout", "5s", False), ("probeTimeout", False, True),
    ("probeCacheTTL", "7d", False), ("probeCacheTTL", "30m", True), ("probeCacheTTL", "1w", True),
    ("probeCacheTTL", "0d", False), ("probeCacheTTL", 3600, True),
    ("pullSecretName", "acme-registry", False), ("pullSecretName", "Acme", False),
    ("pullSecretName", "a" * 254, True), ("pullSecretName", "a.b-c", True),
    ("licenseConfigMap", "replicated-license", True), ("licenseConfigMap", "-x", True),
    ("proxyDomain", "proxy.example.com:8443", True), ("proxyDomain", "https://proxy", True),
    ("registryDomain", "registry.example.com", False), ("registryDomain", "a_b", False),
    ("namespaces", ["shop", "jobs"], True), ("namespaces", ["Shop"], True),
    ("namespaces", ["a" * 64], True), ("namespaces", "shop, jobs", True),
    ("insecureRegistries", ["127.0.0.1:5000", "[::1]:5000"], True),
    ("insecureRegistries", ["http://x"], True),
    ("privateImages", ["quay.io/acme/"], True), ("privateImages", [1], True),
    ("privateImages", {"a": 1}, True),
    ("license", {"kind": "License"}, True), ("license", 3, True),
    ("listImages", "images.txt", False), ("listImages", 3, True),
    ("licenseID", "exampleLicenseId0123456789", False),
]


@pytest.mark.parametrize(("field", "value", "typed"), SAMPLES)
def test_schema_and_function_agree(field, value, typed):
    fn_ok = _fn_accepts(typed, field, value)
    assert _schema_accepts(typed, field, value) == fn_ok, (
        f"{'typed' if typed else 'ConfigMap'} {field}={value!r}: the function "
        f"{'accepts' if fn_ok else 'rejects'} it, the schema does not agree")


def test_the_samples_cover_both_verdicts():
    verdicts = {_fn_accepts(t, f, v) for f, v, t in SAMPLES}
    assert verdicts == {True, False}


CHECKED = [name for name in schema.CONSTRAINTS if name != "appSlug"]  # appSlug: fn.license
_TEXT = st.text(alphabet="abcAZ019.-:_[]/ ", max_size=12) | st.sampled_from(
    ["validate", "mutate", "private", "public", "error", "100", "101", "0", "1.0", "[::1]:80"])


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(CHECKED), value=_TEXT, typed=st.booleans())
def test_a_value_the_schema_accepts_the_function_accepts(field, value, typed):
    if config.FIELDS[field][1] == "list":
        if not typed:
            return  # a comma separated string: its items are checked by the function only
        value = [value]
    if _schema_accepts(typed, field, value):
        assert _fn_accepts(typed, field, value), f"{field}={value!r}"
    else:
        item = value[0] if isinstance(value, list) else value
        if item == item.strip() and item:  # the function strips values, drops empty items
            assert not _fn_accepts(typed, field, value), f"{field}={value!r}"
