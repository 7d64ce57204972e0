"""fn.externalsecret: the ExternalSecret fits the operator's real CRD, and its template,
run by Go's real text/template the way the operator runs it (tests/go/esotemplate),
renders byte for byte the ``.dockerconfigjson`` that ``generate`` writes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import crdschema
import goharness
import helpers
import jsonschema
import pytest

from fn import externalsecret
from fn.license import Proxy
from fn.problems import Problem
from fn.redacted import Redacted
from fn.targets import ProxyTarget

CRD = Path(__file__).parent / "data/external-secrets/external-secrets.io_externalsecrets.yaml"
STORE = {"name": "vault", "kind": "ClusterSecretStore"}


def _generated(license_id: str, proxy_domain: str, registry_domain: str) -> bytes:
    """``generate``'s ``.dockerconfigjson``, decoded (the Secret's data holds its base64)."""
    proxy = Proxy(license_id=Redacted(license_id), app_slug="acme", proxy_domain=proxy_domain,
                  registry_domain=registry_domain, replicated_registry=registry_domain,
                  pull_secret_name="acme-registry")
    return base64.b64decode(ProxyTarget(proxy).pull_secret.payload)  # what generate writes


def render(obj: dict, store_values: dict[str, str]) -> bytes:
    """What the operator puts in the Secret for ``.dockerconfigjson``: the template run with
    the ExternalSecret's secret keys bound to the store's values."""
    template = obj["spec"]["target"]["template"]
    assert template["engineVersion"] == "v2"
    return goharness.run("esotemplate", {"key": ".dockerconfigjson",
                                         "template": template["data"][".dockerconfigjson"],
                                         "data": store_values})


def test_the_served_version_is_the_one_we_write():
    api_version, _ = crdschema.validator(CRD)
    assert api_version == externalsecret.API_VERSION == "external-secrets.io/v1"


@pytest.mark.parametrize("proxy_domain, registry_domain", [
    ("proxy.replicated.com", "registry.replicated.com"),
    ("proxy.staging.replicated.com", "registry.staging.replicated.com"),
    ("zz-proxy.example.com", "images.example.com:5000"),   # registry sorts first
    ("proxy.replicated.com", "proxy.replicated.com"),       # one host
])
@pytest.mark.parametrize("license_id", [
    helpers.TEST_LICENSE_IDS[0],
    "2AbCdEfGhIjKlMnOpQrStUvWxYz",
    'odd"id%s\\with{{braces}}',   # quotes, printf verbs, backslash, delimiters: all data
    "ünïcödé-id",
])
def test_rendered_template_is_generates_dockerconfigjson(proxy_domain, registry_domain,
                                                         license_id):
    obj = externalsecret.manifest("acme-registry", "apps", STORE, "replicated/acme",
                                  "licenseID", [proxy_domain, registry_domain], "acme")
    rendered = render(obj, {externalsecret.LICENSE_KEY: license_id})
    assert rendered == _generated(license_id, proxy_domain, registry_domain)


def test_host_order_does_not_matter():
    one = externalsecret.dockerconfigjson_template(["b.example.com", "a.example.com"])
    assert one == externalsecret.dockerconfigjson_template(["a.example.com", "b.example.com"])
    assert one.index('"a.example.com"') < one.index('"b.example.com"')


def test_the_template_fails_without_the_license_key():
    """missingkey=error, as in the operator: a store entry under another key is an error,
    not an empty password."""
    obj = externalsecret.manifest("r", "apps", STORE, "k", None, ["proxy.replicated.com"])
    with pytest.raises(goharness.GoFailed, match="licenseID"):
        render(obj, {"other": "x"})


@pytest.mark.parametrize("kwargs", [
    {},
    {"namespace": None},
    {"remote_property": None},
    {"secret_store_ref": {"name": "vault"}},
    {"secret_store_ref": {"name": "aws", "kind": "SecretStore"}},
    {"app_slug": ""},
    {"annotations": {"config.kubernetes.io/path": "apps/externalsecret_acme-registry.yaml",
                     "kots.io/app-slug": "acme"}},
])
def test_manifest_matches_the_crd(kwargs):
    args = {"name": "acme-registry", "namespace": "apps", "secret_store_ref": STORE,
            "remote_key": "replicated/acme", "remote_property": "licenseID",
            "hosts": ["proxy.replicated.com", "registry.replicated.com"], "app_slug": "acme",
            "annotations": None, **kwargs}
    obj = externalsecret.manifest(**args)
    crdschema.validator(CRD)[1].validate(json.loads(json.dumps(obj)))
    spec = obj["spec"]
    assert spec["target"]["name"] == obj["metadata"]["name"] == "acme-registry"
    assert spec["target"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
    assert spec["target"]["template"]["mergePolicy"] == "Replace"  # only .dockerconfigjson
    assert set(spec["target"]["template"]["data"]) == {".dockerconfigjson"}
    assert spec["secretStoreRef"]["kind"] == (args["secret_store_ref"].get("kind")
                                              or "SecretStore")
    ref = spec["data"][0]["remoteRef"]
    assert ref["key"] == "replicated/acme"
    assert ref.get("property") == args["remote_property"]
    assert ("namespace" in obj["metadata"]) == bool(args["namespace"])
    if args["app_slug"]:
        assert spec["target"]["template"]["metadata"]["labels"] == {"kots.io/app-slug": "acme"}


def test_the_crd_check_catches_a_misplaced_field():
    obj = externalsecret.manifest("r", "apps", STORE, "k", None, ["proxy.replicated.com"])
    obj["spec"]["target"]["type"] = "kubernetes.io/dockerconfigjson"   # belongs in template
    with pytest.raises(jsonschema.ValidationError):
        crdschema.validator(CRD)[1].validate(obj)


@pytest.mark.parametrize("store, key, hosts, message", [
    ({"name": ""}, "k", ["proxy.replicated.com"], "needs a name"),
    ({"name": "v", "kind": "Vault"}, "k", ["proxy.replicated.com"], "is not one of"),
    (STORE, "", ["proxy.replicated.com"], "remote key"),
    (STORE, "k", [], "at least one"),
    (STORE, "k", ['evil"}}{{ .licenseID }}'], "not a host"),
    (STORE, "k", ["https://proxy.replicated.com"], "not a host"),
])
def test_bad_configuration_is_a_one_line_error(store, key, hosts, message):
    with pytest.raises(externalsecret.ExternalSecretError, match=message) as err:
        externalsecret.manifest("r", "apps", store, key, None, hosts)
    assert isinstance(err.value, Problem) and "\n" not in str(err.value)
