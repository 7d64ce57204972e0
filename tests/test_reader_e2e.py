"""Non-ASCII input through the real clients. The compiled reader hands libyaml such text
as UTF-8 a window (64 KB) at a time (ASCII text goes in place, whole): ``kpt fn eval
--exec`` and ``kustomize build`` on a package of Argo Workflows' own cron-workflow example
(an emoji in its args), a ConfigMap of 270 KB of non-ASCII text and, after it, a
Deployment. Every private image is rewritten, every PodSpec gets the pull secret, and
what the function does not edit comes out of it character for character (kpt then
writes the files again in its own style)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from e2e_tools import fn_env, kpt, kustomize, run

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

DATA = Path(__file__).resolve().parent / "data"
CRON = DATA / "argo-workflows/examples/cron-workflow.yaml"
CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "replicated-proxy"},
          "data": {"licenseID": "unitTestLicense0000000001", "appSlug": "acme",
                   "privateImages": "quay.io/acme/, docker.io/library/busybox"}}
PROXY = "proxy.replicated.com/proxy/acme/"
NOTES = "".join(f"  line-{i}: \"Grüße — 東京 🕓 {i}\"\n" for i in range(6000))  # ~270 KB
RESOURCES = {
    "notes.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n{NOTES}",
    "api.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations: {description: "Café — the API 🕓"}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "quay.io/acme/api:1.4.2"}]
"""}


def _package(root: Path) -> Path:
    pkg = root / "pkg"
    pkg.mkdir()
    shutil.copy(CRON, pkg / "cron-workflow.yaml")
    for name, text in RESOURCES.items():
        (pkg / name).write_text(text, encoding="utf-8")
    assert len(NOTES.encode()) > 3 * 64 * 1024  # (several windows before the Deployment)
    return pkg


def _check(docs: list[dict]) -> None:
    by_kind = {d["kind"]: d for d in docs}
    cron = by_kind["CronWorkflow"]["spec"]["workflowSpec"]["templates"][0]["container"]
    assert cron["image"] == f"{PROXY}busybox"  # (as written: a Docker Hub short name)
    assert cron["args"] == ["🕓 hello world. Scheduled on: {{workflow.scheduledTime}}"]
    api = by_kind["Deployment"]["spec"]["template"]["spec"]
    assert api["containers"][0]["image"] == f"{PROXY}quay.io/acme/api:1.4.2"
    assert api["imagePullSecrets"] == [{"name": "acme-registry"}]
    assert by_kind["Deployment"]["metadata"]["annotations"]["description"] == (
        "Café — the API 🕓")
    assert by_kind["ConfigMap"]["data"]["line-5999"] == "Grüße — 東京 🕓 5999"
    assert by_kind["Secret"]["type"] == "kubernetes.io/dockerconfigjson"


def test_kpt_rewrites_non_ascii_input_and_keeps_its_text(kpt, fn_env, tmp_path):
    pkg = _package(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(config)], fn_env)
    _check([d for f in sorted(pkg.rglob("*.yaml"))
            for d in yaml.safe_load_all(f.read_text(encoding="utf-8")) if d])
    # (kpt writes the files again itself: it escapes the emoji in double quotes, "\U0001F553")


def test_the_function_keeps_what_it_does_not_edit_character_for_character(fn_env):
    entries = [CRON.read_text(encoding="utf-8"), *RESOURCES.values()]
    items = "".join("- " + text.rstrip("\n").replace("\n", "\n  ") + "\n" for text in entries)
    config = "".join(f"\n  {line}" for line in yaml.safe_dump(CONFIG).splitlines())
    stdin = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
             + "functionConfig:" + config + "\n")
    out = run(["replicated-proxy-fn"], fn_env, stdin=stdin).stdout
    assert NOTES.replace("\n", "\n  ").rstrip() in out  # (indented as an entry of items)
    assert '"🕓 hello world. Scheduled on: {{workflow.scheduledTime}}"' in out
    assert 'description: "Café — the API 🕓"' in out
    _check([d for d in yaml.safe_load(out)["items"]])


def test_kustomize_builds_non_ascii_input_through_the_function(kustomize, fn_env, tmp_path):
    pkg = _package(tmp_path)
    transformer = dict(CONFIG, metadata={"name": "replicated-proxy", "annotations": {
        "config.kubernetes.io/function": "exec:\n  path: replicated-proxy-fn\n"}})
    (pkg / "replicated-proxy.yaml").write_text(yaml.safe_dump(transformer))
    (pkg / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": ["cron-workflow.yaml", *RESOURCES], "transformers":
         ["replicated-proxy.yaml"]}))
    built = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(pkg)],
                fn_env)
    _check([d for d in yaml.safe_load_all(built.stdout) if d])
