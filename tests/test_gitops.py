"""secretMode (issue 13), through the function as a process: what each form writes, that
the sealed value opens to exactly ``generate``'s payload (with the controller's algorithm
and the fixed test key), that ExternalSecrets fit the operator's CRD and their template
renders ``generate``'s payload (Go's text/template), and that no form but ``generate`` puts
the license ID, or its base64 auth, anywhere in the output.

The golden cases (tests/cases/secret-mode-*, validate-secret-mode-*, compat-*) hold the
deterministic behaviour; a fresh seal is random, so it is checked here by decrypting.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import crdschema
import goharness
import helpers
import pytest
import yaml
from sealedsecrets import TEST_CERT, controller_key, unseal_manifest

LICENSE_ID = helpers.TEST_LICENSE_IDS[0]
ENV = {"REPLICATED_LICENSE_ID": LICENSE_ID}
ESO_CRD = Path(__file__).parent / "data/external-secrets/external-secrets.io_externalsecrets.yaml"
SEALED_CRD = Path(__file__).parent / "data/sealed-secrets/bitnami.com_sealedsecrets.yaml"

WORKLOADS = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": ns},
     "spec": {"template": {"spec": {"containers": [
         {"name": "api", "image": "quay.io/acme/api:1.4.2"}]}}}}
    for ns in ("shop", "jobs")
]


def config(**data: str) -> dict:
    base = {"appSlug": "acme", "privateImages": "quay.io/acme/"}
    return helpers.config_map(**{**base, **data})


def run(function_config: dict, items: list | None = None, env: dict | None = None) -> dict:
    out = helpers.run_fn(helpers.resource_list(items or WORKLOADS, function_config), env=env)
    assert out.code == 0, out.stderr
    return yaml.safe_load(out.stdout)


def kinds(doc: dict, kind: str) -> list[dict]:
    return [i for i in doc["items"] if i["kind"] == kind]


def generated_payload(**extra: str) -> bytes:
    """What generate writes, decoded: the plaintext every other form must reproduce."""
    doc = run(config(licenseID=LICENSE_ID, **extra))
    return base64.b64decode(kinds(doc, "Secret")[0]["data"][".dockerconfigjson"])


def without_config(doc: dict) -> str:
    """The output with the functionConfig left out (it is the user's input)."""
    return yaml.safe_dump({k: v for k, v in doc.items() if k != "functionConfig"})


def test_sealed_opens_to_exactly_what_generate_writes():
    doc = run(config(secretMode="sealed", licenseIDEnv="REPLICATED_LICENSE_ID",
                     sealedSecretCert=str(TEST_CERT),
                     compatSecretNames="kotsadm-replicated-registry"), env=ENV)
    sealed = kinds(doc, "SealedSecret")
    assert sorted((s["metadata"]["namespace"], s["metadata"]["name"]) for s in sealed) == [
        ("jobs", "acme-registry"), ("jobs", "kotsadm-replicated-registry"),
        ("shop", "acme-registry"), ("shop", "kotsadm-replicated-registry")]
    assert not kinds(doc, "Secret")
    payload = generated_payload()
    key = controller_key()
    _, schema = crdschema.validator(SEALED_CRD)
    for s in sealed:
        schema.validate(s)
        assert unseal_manifest(key, s) == {".dockerconfigjson": payload}
    for d in kinds(doc, "Deployment"):
        assert d["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "acme-registry"}]
    assert not helpers.leaks(yaml.safe_dump(doc))


def test_sealed_certificate_as_a_value_and_a_moved_value_does_not_open():
    doc = run(config(secretMode="sealed", licenseIDEnv="REPLICATED_LICENSE_ID",
                     sealedSecretCertPEM=TEST_CERT.read_text()), env=ENV)
    s = kinds(doc, "SealedSecret")[0]
    s["metadata"]["namespace"] = "elsewhere"  # e.g. kustomize's namespace: after sealing
    with pytest.raises(ValueError):
        unseal_manifest(controller_key(), s)


def test_sealed_in_local_registry_mode_seals_the_registry_login():
    env = {"REG_USER": "robot", "REG_PASS": "s3cret"}
    local = {"localRegistry": "registry.internal:5000/acme", "pullSecretName": "internal",
             "localRegistryUsernameEnv": "REG_USER", "localRegistryPasswordEnv": "REG_PASS"}
    plain = run(config(**local), env=env)
    payload = base64.b64decode(kinds(plain, "Secret")[0]["data"][".dockerconfigjson"])
    doc = run(config(secretMode="sealed", sealedSecretCert=str(TEST_CERT), **local), env=env)
    assert not kinds(doc, "Secret")
    for s in kinds(doc, "SealedSecret"):
        assert unseal_manifest(controller_key(), s) == {".dockerconfigjson": payload}


def render_template(es: dict, store: dict[str, str]) -> bytes:
    template = es["spec"]["target"]["template"]["data"][".dockerconfigjson"]
    return goharness.run("esotemplate", {"key": ".dockerconfigjson", "template": template,
                                         "data": store})


def test_external_secret_renders_generates_payload_and_fits_the_crd():
    doc = run(config(secretMode="externalSecret", externalSecretStore="replicated",
                     externalSecretKey="acme/license-id"))
    found = kinds(doc, "ExternalSecret")
    assert [e["metadata"]["namespace"] for e in found] == ["jobs", "shop"]
    _, schema = crdschema.validator(ESO_CRD)
    payload = generated_payload()
    for es in found:
        schema.validate(es)
        assert es["spec"]["secretStoreRef"] == {"name": "replicated", "kind": "ClusterSecretStore"}
        assert render_template(es, {"licenseID": LICENSE_ID}) == payload
    assert not helpers.leaks(without_config(doc))


def test_external_secret_in_local_registry_mode_renders_the_login():
    local = {"localRegistry": "registry.internal:5000/acme", "pullSecretName": "internal"}
    env = {"REG_USER": "robot", "REG_PASS": "s3cret"}
    plain = run(config(**local, localRegistryUsernameEnv="REG_USER",
                       localRegistryPasswordEnv="REG_PASS"), env=env)
    payload = base64.b64decode(kinds(plain, "Secret")[0]["data"][".dockerconfigjson"])
    doc = run(config(secretMode="externalSecret", externalSecretStore="vault",
                     externalSecretKey="registry/internal", **local))
    es = kinds(doc, "ExternalSecret")[0]
    crdschema.validator(ESO_CRD)[1].validate(es)
    assert [d["remoteRef"] for d in es["spec"]["data"]] == [
        {"key": "registry/internal", "property": "username"},
        {"key": "registry/internal", "property": "password"}]
    assert render_template(es, {"username": "robot", "password": "s3cret"}) == payload


def test_existing_writes_nothing_and_needs_no_license_id():
    doc = run(config(secretMode="existing", compatSecretNames="kotsadm-replicated-registry"))
    assert {i["kind"] for i in doc["items"]} == {"Deployment"}
    for d in doc["items"]:
        assert d["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "acme-registry"}]


@pytest.mark.parametrize("mode", ["existing", "externalSecret"])
def test_a_license_id_given_anyway_does_not_reach_the_objects(mode):
    doc = run(config(secretMode=mode, licenseID=LICENSE_ID, externalSecretStore="s",
                     externalSecretKey="k"))
    assert not helpers.leaks(without_config(doc))


def test_switching_forms_drops_our_objects_of_the_old_form():
    first = run(config(secretMode="externalSecret", externalSecretStore="s",
                       externalSecretKey="k"))
    again = run(config(secretMode="sealed", licenseIDEnv="REPLICATED_LICENSE_ID",
                       sealedSecretCert=str(TEST_CERT)), first["items"], env=ENV)
    assert {i["kind"] for i in again["items"]} == {"Deployment", "SealedSecret"}
    back = run(config(licenseID=LICENSE_ID), again["items"])
    assert {i["kind"] for i in back["items"]} == {"Deployment", "Secret"}


def test_sealed_without_cryptography_names_the_extra():
    """cryptography is optional: without it, sealed mode says what to install."""
    code = ("import sys; sys.modules['cryptography'] = None; from fn.cli import main; "
            "sys.exit(main([]))")
    text = helpers.resource_list(WORKLOADS, config(
        secretMode="sealed", licenseIDEnv="REPLICATED_LICENSE_ID",
        sealedSecretCert=str(TEST_CERT)))
    import os
    import subprocess
    proc = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True,
                          text=True, cwd=helpers.REPO,
                          env={**os.environ, **ENV, "PYTHONPATH": str(helpers.REPO)})
    helpers.record("sealed without cryptography", "stderr", proc.stderr)
    assert proc.returncode == 1
    assert "pip install 'replicated-proxy-fn[sealed]'" in proc.stderr
