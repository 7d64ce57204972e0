"""The function's behaviour on ResourceLists, in process (fn.pipeline)."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from fn import krm

LICENSE_ID = "unitTestLicense0000000001"
CM = {"licenseID": LICENSE_ID, "appSlug": "app", "privateImages": "quay.io, ghcr.io/acme/"}


def deployment(*images: str, name: str = "web", namespace: str | None = "prod",
               pull_secrets: str = "") -> str:
    containers = "\n".join(f"        - name: c{i}\n          image: {img}"
                           for i, img in enumerate(images))
    ns = f"\n    namespace: {namespace}" if namespace else ""
    return f"""- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: {name}{ns}
  spec:
    template:
      spec:
        containers:
{containers}{pull_secrets}
"""


def resource_list(items: str, data: dict | None = None, config: dict | None = None) -> str:
    fc = config or {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "function-input"}, "data": data or CM}
    return ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
            + yaml.safe_dump({"functionConfig": fc}, sort_keys=False))


def run(items: str, data: dict | None = None, config: dict | None = None,
        code: int = 0) -> tuple[dict, list[dict]]:
    r = krm.resource_list(resource_list(items, data, config))
    out = yaml.safe_load(r.stdout)
    assert r.code == code, out.get("results")
    return out, out.get("results", [])


def containers(item: dict) -> list[str]:
    return [c["image"] for c in item["spec"]["template"]["spec"]["containers"]]


def test_rewrite_keeps_tag_digest_and_spelling():
    digest = "sha256:" + "ab" * 32
    out, _ = run(deployment("quay.io/acme/api", "quay.io/acme/api:1.2",
                            f"quay.io/acme/api@{digest}", f"quay.io/acme/api:1.2@{digest}",
                            "ghcr.io/acme/x:1", "nginx:1.25"))
    p = "proxy.replicated.com/proxy/app/"
    assert containers(out["items"][0]) == [
        p + "quay.io/acme/api", p + "quay.io/acme/api:1.2", p + f"quay.io/acme/api@{digest}",
        p + f"quay.io/acme/api:1.2@{digest}", p + "ghcr.io/acme/x:1", "nginx:1.25"]


def test_docker_hub_shorthand_and_ports():
    data = {**CM, "privateImages": "docker.io/acme/*, registry.example.com:5000"}
    out, _ = run(deployment("acme/api:1", "registry.example.com:5000/team/app:3", "acme2/api",
                            "registry.example.com/team/app"), data)
    p = "proxy.replicated.com/proxy/app/"
    assert containers(out["items"][0]) == [
        p + "acme/api:1", p + "registry.example.com:5000/team/app:3", "acme2/api",
        "registry.example.com/team/app"]


def test_public_wins_and_proxy_all():
    data = {**CM, "proxyAll": "true", "publicImages": "docker.io/library/"}
    out, _ = run(deployment("nginx", "quay.io/x/y:1", "gcr.io/distroless/static"), data)
    p = "proxy.replicated.com/proxy/app/"
    assert containers(out["items"][0]) == [
        "nginx", p + "quay.io/x/y:1", p + "gcr.io/distroless/static"]


def test_proxy_and_registry_hosts_are_left_and_get_the_secret():
    out, _ = run(deployment("proxy.replicated.com/proxy/app/quay.io/a/b:1",
                            "registry.replicated.com/app/tool:1"))
    item = out["items"][0]
    assert containers(item) == ["proxy.replicated.com/proxy/app/quay.io/a/b:1",
                                "registry.replicated.com/app/tool:1"]
    assert item["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "app-registry"}]


def test_custom_registry_domain_swaps_replicated_registry_host():
    data = {**CM, "registryDomain": "registry.acme.com", "proxyDomain": "proxy.acme.com"}
    out, _ = run(deployment("registry.replicated.com/app/tool:1", "quay.io/a/b:2"), data)
    assert containers(out["items"][0]) == ["registry.acme.com/app/tool:1",
                                           "proxy.acme.com/proxy/app/quay.io/a/b:2"]
    secret = out["items"][-1]
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert sorted(auths) == ["proxy.acme.com", "registry.acme.com"]


def test_staging_license_endpoint_switches_hosts():
    lic = yaml.safe_dump({"apiVersion": "kots.io/v1beta1", "kind": "License", "spec": {
        "licenseID": LICENSE_ID, "appSlug": "app", "endpoint": "https://staging.replicated.app"}})
    out, _ = run(deployment("quay.io/a/b:1"), {"license.yaml": lic, "privateImages": "quay.io"})
    assert containers(out["items"][0]) == [
        "proxy.staging.replicated.com/proxy/app/quay.io/a/b:1"]
    auths = json.loads(base64.b64decode(out["items"][-1]["data"][".dockerconfigjson"]))["auths"]
    assert sorted(auths) == ["proxy.staging.replicated.com", "registry.staging.replicated.com"]


def test_secret_is_exactly_what_kots_writes():
    out, _ = run(deployment("quay.io/a/b:1"))
    secret = out["items"][-1]
    assert secret["kind"] == "Secret" and secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"]["name"] == "app-registry"
    assert secret["metadata"]["namespace"] == "prod"
    raw = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
    auth = base64.b64encode(f"LICENSE_ID:{LICENSE_ID}".encode()).decode()
    entry = f'{{"auth":"{auth}"}}'
    assert raw == ('{"auths":{"proxy.replicated.com":' + entry
                   + ',"registry.replicated.com":' + entry + "}}")
    assert secret["metadata"]["annotations"]["internal.config.kubernetes.io/path"] == \
        "prod/secret_app-registry.yaml"


def test_pull_secrets_appended_once_keeping_existing():
    existing = "\n        imagePullSecrets:\n        - name: mine\n        - name: app-registry"
    out, _ = run(deployment("quay.io/a/b:1", pull_secrets=existing)
                 + deployment("nginx", name="other", pull_secrets="\n        imagePullSecrets:"
                              "\n        - name: mine"))
    first, second = out["items"][:2]
    assert first["spec"]["template"]["spec"]["imagePullSecrets"] == [
        {"name": "mine"}, {"name": "app-registry"}]
    assert second["spec"]["template"]["spec"]["imagePullSecrets"] == [
        {"name": "mine"}, {"name": "app-registry"}]


@pytest.mark.parametrize("field", ["imagePullSecrets:", "imagePullSecrets: []",
                                   "imagePullSecrets: null", "imagePullSecrets: [{name: x}]"])
def test_pull_secrets_null_empty_and_flow(field):
    out, _ = run(deployment("nginx", pull_secrets="\n        " + field))
    names = [s["name"] for s in out["items"][0]["spec"]["template"]["spec"]["imagePullSecrets"]]
    assert names == (["x", "app-registry"] if "x" in field else ["app-registry"])


def test_every_image_field_and_embedded_pod_templates():
    items = """- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: prod}
  spec:
    initContainers: [{name: i, image: quay.io/a/init:1}]
    containers: [{name: c, image: nginx}]
    ephemeralContainers: [{name: e, image: quay.io/a/debug:1}]
    volumes:
    - name: v
      image: {reference: quay.io/a/model:1}
- apiVersion: keda.sh/v1alpha1
  kind: ScaledJob
  metadata: {name: s, namespace: prod}
  spec:
    jobTargetRef:
      template:
        spec:
          containers:
          - name: w
            image: quay.io/a/worker:2
- apiVersion: serving.knative.dev/v1
  kind: Service
  metadata: {name: k, namespace: prod}
  spec:
    template:
      spec:
        containers:
        - image: ghcr.io/acme/fn:1
"""
    out, results = run(items)
    pod, scaled, knative = out["items"][:3]
    p = "proxy.replicated.com/proxy/app/"
    assert pod["spec"]["initContainers"][0]["image"] == p + "quay.io/a/init:1"
    assert pod["spec"]["ephemeralContainers"][0]["image"] == p + "quay.io/a/debug:1"
    assert pod["spec"]["volumes"][0]["image"]["reference"] == p + "quay.io/a/model:1"
    assert pod["spec"]["imagePullSecrets"] == [{"name": "app-registry"}]
    job_spec = scaled["spec"]["jobTargetRef"]["template"]["spec"]
    assert job_spec["containers"][0]["image"] == p + "quay.io/a/worker:2"
    assert job_spec["imagePullSecrets"] == [{"name": "app-registry"}]
    assert knative["spec"]["template"]["spec"]["containers"][0]["image"] == p + "ghcr.io/acme/fn:1"
    paths = {r["field"]["path"] for r in results if "field" in r}
    assert {"spec.volumes[0].image.reference", "spec.ephemeralContainers[0].image",
            "spec.jobTargetRef.template.spec.containers[0].image"} <= paths


def test_one_secret_per_namespace_plus_extra_namespaces():
    data = {**CM, "namespaces": "extra, prod"}
    out, _ = run(deployment("nginx") + deployment("nginx", name="n", namespace=None), data)
    secrets = [i for i in out["items"] if i["kind"] == "Secret"]
    assert [s["metadata"].get("namespace") for s in secrets] == [None, "extra", "prod"]


def test_rerun_updates_its_secret_and_drops_stale_ones():
    first, _ = run(deployment("nginx") + deployment("nginx", name="b", namespace="gone"))
    items = yaml.safe_dump([first["items"][0], *first["items"][2:]])
    out, results = run(items, {**CM, "licenseID": "unitTestLicense0000000002"})
    secrets = [i for i in out["items"] if i["kind"] == "Secret"]
    assert [s["metadata"]["namespace"] for s in secrets] == ["prod"]
    raw = base64.b64decode(secrets[0]["data"][".dockerconfigjson"]).decode()
    assert base64.b64encode(b"LICENSE_ID:unitTestLicense0000000002").decode() in raw
    assert "1 Secrets added" not in results[-1]["message"]


def test_users_own_secret_identical_is_fine_different_is_an_error():
    first, _ = run(deployment("nginx"))
    secret = dict(first["items"][-1])
    secret["metadata"] = {"name": "app-registry", "namespace": "prod"}  # the user's own
    items = deployment("nginx") + yaml.safe_dump([secret])
    out, _ = run(items)
    assert [i["kind"] for i in out["items"]] == ["Deployment", "Secret"]
    secret["data"] = {".dockerconfigjson": base64.b64encode(b'{"auths":{}}').decode()}
    out, results = run(deployment("nginx") + yaml.safe_dump([secret]), code=1)
    assert "already exists" in results[0]["message"]
    assert out["items"][0]["spec"]["template"]["spec"].get("imagePullSecrets") is None


def test_license_configmap_is_consumed_as_local_config():
    lic = yaml.safe_dump({"apiVersion": "kots.io/v1beta1", "kind": "License",
                          "spec": {"licenseID": LICENSE_ID, "appSlug": "app"}})
    items = deployment("quay.io/a:1") + yaml.safe_dump([{
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lic", "namespace": "prod"},
        "data": {"license.yaml": lic}}])
    out, _ = run(items, {"licenseConfigMap": "lic", "privateImages": "quay.io"})
    cm = out["items"][1]
    assert cm["metadata"]["annotations"] == {"config.kubernetes.io/local-config": "true"}
    assert containers(out["items"][0]) == ["proxy.replicated.com/proxy/app/quay.io/a:1"]
    _, results = run(deployment("nginx"), {"licenseConfigMap": "nope"}, code=1)
    assert "no ConfigMap 'nope'" in results[0]["message"]


def test_kptfile_and_local_config_items_are_left_alone():
    items = """- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata: {name: pkg}
- apiVersion: v1
  kind: Pod
  metadata:
    name: local
    annotations: {config.kubernetes.io/local-config: "true"}
  spec:
    containers: [{name: c, image: quay.io/a:1}]
"""
    out, _ = run(items)
    assert out["items"][1]["spec"]["containers"][0]["image"] == "quay.io/a:1"
    assert len(out["items"]) == 2  # no PodSpec got the secret: no Secret


def test_invalid_reference_is_a_warning_and_left_as_is():
    out, results = run(deployment("quay.io/Acme/API:1", "not a ref"))
    assert containers(out["items"][0]) == ["quay.io/Acme/API:1", "not a ref"]
    warnings = [r for r in results if r["severity"] == "warning"]
    assert [w["field"]["path"] for w in warnings] == [
        "spec.template.spec.containers[0].image", "spec.template.spec.containers[1].image"]
    assert "lowercase" in warnings[0]["message"]


def test_info_results_are_capped_but_every_image_is_rewritten():
    items = "".join(deployment("quay.io/a/b:1", name=f"d{i}") for i in range(12))
    out, results = run(items, {**CM, "maxInfoResults": "5"})
    assert all(containers(i) == ["proxy.replicated.com/proxy/app/quay.io/a/b:1"]
               for i in out["items"][:12])
    assert len([r for r in results if "field" in r]) == 5
    assert any(r["message"].startswith("7 more image references") for r in results)


def test_json_resource_list_works():
    text = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                       "items": [{"apiVersion": "v1", "kind": "Pod",
                                  "metadata": {"name": "p", "namespace": "ns"},
                                  "spec": {"containers": [{"name": "c", "image": "quay.io/a:1"}]}}],
                       "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": "f"}, "data": CM}}, indent=1)
    r = krm.resource_list(text)
    assert r.code == 0
    out = yaml.safe_load(r.stdout)
    assert out["items"][0]["spec"]["containers"][0]["image"] == \
        "proxy.replicated.com/proxy/app/quay.io/a:1"
    assert out["items"][1]["kind"] == "Secret"
    assert krm.resource_list(r.stdout).stdout.split('"results"')[0] == \
        r.stdout.split('"results"')[0]


def test_typed_config_and_its_errors():
    typed = {"apiVersion": "fn.replicated-proxy/v1alpha1", "kind": "ReplicatedProxy",
             "metadata": {"name": "x"},
             "spec": {"license": {"apiVersion": "kots.io/v1beta1", "kind": "License",
                                  "spec": {"licenseID": LICENSE_ID, "appSlug": "app"}},
                      "privateImages": ["quay.io"], "proxyAll": False, "namespaces": ["a"]}}
    out, _ = run(deployment("quay.io/a:1"), config=typed)
    assert containers(out["items"][0]) == ["proxy.replicated.com/proxy/app/quay.io/a:1"]
    for bad, message in [({"privateImage": "x"}, "unknown field spec.privateImage"),
                         ({"proxyAll": "maybe"}, "spec.proxyAll must be true or false"),
                         ({"namespaces": "Bad_NS"}, "not a valid namespace name"),
                         ({"appSlug": "Bad Slug"}, "invalid appSlug")]:
        cfg = {**typed, "spec": {**typed["spec"], **bad}}
        out, results = run(deployment("quay.io/a:1"), config=cfg, code=1)
        assert message in results[0]["message"]
        assert containers(out["items"][0]) == ["quay.io/a:1"], "failure echoes the input"


def test_validate_mode_reports_and_changes_nothing():
    data = {**CM, "mode": "validate"}
    text = resource_list(deployment("quay.io/a:1", "nginx"), data)
    r = krm.resource_list(text)
    assert r.code == 1
    assert r.stdout.startswith(text.split("functionConfig:")[0])
    errors = [x.message for x in r.results if x.severity == "error"]
    assert errors[:3] == [
        "private image not pulled through the proxy (matches privateImages 'quay.io')",
        "PodSpec lacks the pull secret app-registry", "no Secret app-registry in namespace prod"]
    fixed = krm.resource_list(resource_list(deployment("quay.io/a:1", "nginx"), CM)).stdout
    items = yaml.safe_load(fixed)["items"]
    again = krm.resource_list(resource_list(yaml.safe_dump(items), data))
    assert again.code == 0, [x.message for x in again.results]
