"""End to end: the examples through the real kpt and kustomize, checked against the
expected outputs in examples/*/.expected/ and re-run to prove idempotency."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml
from e2e_tools import EXAMPLES, REPO, expect, fn_env, git_diff, git_snapshot, kpt, kustomize, run

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

LICENSE_ID = "exampleLicenseId0123456789"
FN = [sys.executable, "-m", "fn"]


def load_all(text: str) -> list:
    return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]


def images(docs: list) -> list[str]:
    """Every image of every PodSpec, in document order (the product's observable effect)."""
    out = []
    for d in docs:
        text = yaml.safe_dump(d)
        out += [line.split("image: ", 1)[1] for line in text.splitlines() if "image: " in line]
    return out


def test_quickstart(fn_env):
    src = EXAMPLES / "quickstart/resourcelist.yaml"
    first = run(FN, fn_env, cwd=REPO, stdin=src.read_text())
    expect(EXAMPLES / "quickstart/.expected/output.yaml", first.stdout)
    out = yaml.load(first.stdout, Loader=yaml.CSafeLoader)
    assert [c["image"] for c in out["items"][0]["spec"]["template"]["spec"]["containers"]] == [
        "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2", "nginx:1.25"]
    assert first.stderr == ""  # a KRM function speaks through results
    again = run(FN, fn_env, cwd=REPO, stdin=first.stdout)
    assert yaml.load(again.stdout, Loader=yaml.CSafeLoader)["items"] == out["items"]
    assert again.stdout.startswith(first.stdout.split("results:")[0])  # items byte-identical


def test_stream_example(fn_env):
    cmd = [*FN, "--config", "examples/stream/config.yaml"]
    src = (EXAMPLES / "stream/manifests.yaml").read_text()
    first = run(cmd, fn_env, cwd=REPO, stdin=src)
    expect(EXAMPLES / "stream/.expected/output.yaml", first.stdout)
    docs = load_all(first.stdout)
    assert [d["kind"] for d in docs][-2:] == ["Secret", "Secret"]
    assert run(cmd, fn_env, cwd=REPO, stdin=first.stdout).stdout == first.stdout
    assert run(cmd, fn_env, cwd=REPO, stdin=src).stdout == first.stdout  # deterministic


def kustomize_transform(kustomize: str, env: dict[str, str], folder: Path, resources: str,
                        config: str) -> str:
    """``kustomize build`` of ``resources`` with the function as its exec transformer
    (``config``: the transformer's file), in a new ``folder``: the output."""
    folder.mkdir()
    (folder / "resources.yaml").write_text(resources)
    (folder / "replicated-proxy.yaml").write_text(config)
    (folder / "kustomization.yaml").write_text(
        "resources:\n- resources.yaml\ntransformers:\n- replicated-proxy.yaml\n")
    return run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(folder)],
               env).stdout


def test_kustomize_exec_transformer(kustomize, fn_env, tmp_path):
    cmd = [kustomize, "build", "--enable-alpha-plugins", "--enable-exec",
           str(EXAMPLES / "kustomize-exec")]
    first = run(cmd, fn_env)
    expect(EXAMPLES / "kustomize-exec/.expected/output.yaml", first.stdout)
    docs = load_all(first.stdout)
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Secret") == 2 and "ConfigMap" in kinds
    assert not any(d["metadata"]["name"] == "replicated-license" for d in docs), \
        "the license ConfigMap is local-config: kustomize must drop it"
    assert "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2" in images(docs)
    assert run(cmd, fn_env).stdout == first.stdout

    # idempotent: kustomize again over its own output, with the same transformer
    config = yaml.safe_load((EXAMPLES / "kustomize-exec/replicated-proxy.yaml").read_text())
    config["spec"] = {"licenseID": LICENSE_ID, "appSlug": "acme",
                      "privateImages": config["spec"]["privateImages"]}
    assert kustomize_transform(kustomize, fn_env, tmp_path / "again", first.stdout,
                               yaml.safe_dump(config)) == first.stdout


def copy_package(tmp_path: Path, env: dict[str, str]) -> Path:
    pkg = tmp_path / "acme-app"
    shutil.copytree(EXAMPLES / "kpt-package", pkg, ignore=shutil.ignore_patterns(".expected"))
    git_snapshot(pkg, env)
    return pkg


def test_kpt_render(kpt, fn_env, tmp_path):
    pkg = copy_package(tmp_path, fn_env)
    results = tmp_path / "results"
    run([kpt, "fn", "render", str(pkg), "--allow-exec", "--results-dir", str(results)], fn_env)
    diff = git_diff(pkg, fn_env)
    expect(EXAMPLES / "kpt-package/.expected/diff.patch", diff)
    assert "+        image: proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2 # private" \
        " image" in diff, "the rewrite keeps the line's comment"
    assert (pkg / "shop/secret_acme-registry.yaml").exists()
    assert (pkg / "jobs/secret_acme-registry.yaml").exists()
    report = yaml.safe_load((results / "results.yaml").read_text())
    mutator, validator = report["items"]
    assert validator["exitCode"] == 0
    paths = [r["field"]["path"] for r in mutator["results"] if "field" in r]
    assert "spec.volumes[0].image.reference" in paths  # the Pod's image volume
    # idempotent: rendering the rendered package changes nothing
    run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "r1"], fn_env,
        cwd=pkg)
    run([kpt, "fn", "render", str(pkg), "--allow-exec"], fn_env)
    assert git_diff(pkg, fn_env) == ""


def test_kpt_validator_rejects_unproxied_package(kpt, fn_env, tmp_path):
    pkg = copy_package(tmp_path, fn_env)
    kptfile = (pkg / "Kptfile").read_text()
    start, end = kptfile.index("  mutators:"), kptfile.index("  validators:")
    (pkg / "Kptfile").write_text(kptfile[:start] + kptfile[end:])
    results = tmp_path / "results"
    proc = run([kpt, "fn", "render", str(pkg), "--allow-exec", "--results-dir", str(results)],
               fn_env, check=False)
    assert proc.returncode != 0
    report = yaml.safe_load((results / "results.yaml").read_text())
    errors = [r for r in report["items"][0]["results"] if r["severity"] == "error"]
    messages = {r["message"].split(" (")[0] for r in errors}
    assert messages >= {"private image not pulled through the proxy",
                        "PodSpec lacks the pull secret acme-registry",
                        "no Secret acme-registry in namespace shop"}
    assert git_diff(pkg, fn_env).count("\n+") == 0 or "Kptfile" in git_diff(pkg, fn_env)


def test_kpt_eval_key_value_config(kpt, fn_env, tmp_path):
    pkg = copy_package(tmp_path, fn_env)
    proc = run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "-o", "stdout",
                "--", f"licenseID={LICENSE_ID}", "appSlug=acme",
                "privateImages=quay.io/acme/,ghcr.io/acme/"], fn_env)
    expect(EXAMPLES / "kpt-package/.expected/eval-key-value.yaml", proc.stdout)
    docs = yaml.load(proc.stdout, Loader=yaml.CSafeLoader)["items"]  # kpt wraps -o stdout
    secrets = [d for d in docs if d["kind"] == "Secret"]
    assert {s["metadata"]["namespace"] for s in secrets} == {"shop", "jobs"}
    assert images(docs).count("nginx:1.25") == 1


def test_kpt_eval_fn_config_matches_render(kpt, fn_env, tmp_path):
    pkg = copy_package(tmp_path, fn_env)
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(pkg / "replicated-proxy.yaml")], fn_env)
    evaluated = git_diff(pkg, fn_env)
    assert evaluated == (EXAMPLES / "kpt-package/.expected/diff.patch").read_text()


def test_kpt_source_fn_sink_keeps_the_last_items_trailing_comment(kpt, fn_env, tmp_path):
    """``kpt fn source | fn | kpt fn sink``: the comment that ends the last file stays in
    that file; the new Secret goes after it, into a file of its own."""
    pkg, out = tmp_path / "pkg", tmp_path / "out"
    pkg.mkdir()
    (pkg / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n"
        "        image: quay.io/acme/api:1\n# [END my-app]\n")
    config = tmp_path / "fn-config.yaml"
    config.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                      f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n"
                      "  privateImages: quay.io/acme/\n")
    source = run([kpt, "fn", "source", str(pkg), "--fn-config", str(config)], fn_env)
    changed = run(["replicated-proxy-fn"], fn_env, stdin=source.stdout)
    run([kpt, "fn", "sink", str(out)], fn_env, stdin=changed.stdout)
    app = (out / "app.yaml").read_text()
    assert "# [END my-app]" in app and "proxy.replicated.com/proxy/acme/" in app
    assert "[END my-app]" not in (out / "shop/secret_acme-registry.yaml").read_text()


def test_kustomize_takes_default_and_no_namespace_as_one(kustomize, fn_env, tmp_path):
    """Workloads in namespace default beside workloads without one: kustomize counts both
    as default, so two Secrets would be "generated duplicate resource"; one is written."""
    pods = "".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{n}\n{ns}"
        "spec:\n  containers:\n  - name: a\n    image: quay.io/acme/api:1\n"
        for n, ns in enumerate(["  namespace: default\n", ""]))
    config = yaml.safe_load((EXAMPLES / "kustomize-exec/replicated-proxy.yaml").read_text())
    config["spec"] = {"licenseID": LICENSE_ID, "appSlug": "acme",
                      "privateImages": ["quay.io/acme/"]}
    docs = load_all(kustomize_transform(kustomize, fn_env, tmp_path / "kz", pods,
                                        yaml.safe_dump(config)))
    assert [d["kind"] for d in docs].count("Secret") == 1
    assert all(c["image"].startswith("proxy.replicated.com/proxy/acme/")
               for d in docs if d["kind"] == "Pod" for c in d["spec"]["containers"])


FIELD_SPEC_RESOURCES = """\
apiVersion: serving.knative.dev/v1alpha1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  runLatest:
    configuration:
      revisionTemplate: {spec: {container: {image: quay.io/acme/legacy:1}}}
---
apiVersion: example.com/v1
kind: Fleet
metadata:
  name: fleet
  namespace: shop
  annotations: {sidecar.example.com/image: quay.io/acme/sidecar:2}
spec:
  groups:
  - - {name: a, image: quay.io/acme/a:1}
  template: {spec: {containers: [{name: main, image: quay.io/acme/main:3}]}}
"""
FIELD_SPEC_CONFIG = f"""\
apiVersion: fn.replicated-proxy/v1alpha1
kind: ReplicatedProxy
metadata:
  name: replicated-proxy
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: replicated-proxy-fn
spec:
  licenseID: {LICENSE_ID}
  appSlug: acme
  privateImages: [quay.io/acme/]
  imageFields:
  - kind: Service
    path: spec/runLatest/configuration/revisionTemplate/spec/container/image
  - {{group: example.com, kind: Fleet, path: spec/groups/image}}
  - {{kind: Fleet, path: metadata/annotations/sidecar.example.com\\/image}}
"""
FIELD_SPEC_IMAGES = ["legacy:1", "sidecar:2", "a:1", "main:3"]


def test_kustomize_style_image_fields_through_kustomize_and_kpt(kustomize, kpt, fn_env,
                                                                tmp_path):
    """imageFields written as a kustomize configurations: file writes them (no group, no
    [] before a list, "\\/" in a key), on Knative's legacy Service and a custom resource
    whose pod template the search still finds: every image goes through the proxy, with
    kustomize's exec transformer and with kpt fn eval."""
    proxied = [f"proxy.replicated.com/proxy/acme/quay.io/acme/{i}" for i in FIELD_SPEC_IMAGES]
    built = kustomize_transform(kustomize, fn_env, tmp_path / "kz", FIELD_SPEC_RESOURCES,
                                FIELD_SPEC_CONFIG)
    assert all(p in built for p in proxied), built
    assert "image: quay.io" not in built and ": quay.io/acme/" not in built, built

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "resources.yaml").write_text(FIELD_SPEC_RESOURCES)
    (pkg / "fn-config.yaml").write_text(FIELD_SPEC_CONFIG)
    out = run([kpt, "fn", "eval", str(pkg / "resources.yaml"), "--exec",
               "replicated-proxy-fn", "--fn-config", str(pkg / "fn-config.yaml"), "-o",
               "stdout"], fn_env).stdout
    docs = yaml.load(out, Loader=yaml.CSafeLoader)["items"]
    text = yaml.safe_dump(docs)
    assert all(p in text for p in proxied), text
    fleet = next(d for d in docs if d["kind"] == "Fleet")
    assert fleet["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "acme-registry"}]


UNSEEN_RESOURCES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: api
        image: &img quay.io/acme/api:1
      nodeSelector:
        built-from: *img
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: pi, namespace: shop}
spec: {type: Scala, mode: cluster, image: quay.io/acme/spark:4.0.4}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: db, namespace: shop}
spec: {instances: 1, imageName: quay.io/acme/postgresql:18}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-deployment, namespace: shop}
data: {queue-sidecar-image: quay.io/acme/queue:1.14.0}
"""
UNSEEN_FIELDS = {("SparkApplication", "spec.image"), ("Cluster", "spec.imageName"),
                 ("ConfigMap", "data.queue-sidecar-image")}


def test_aliases_and_unseen_images_through_kustomize_and_kpt(kustomize, kpt, fn_env,
                                                             tmp_path):
    """This stop's fixes through the real clients: an alias of a rewritten image in a field
    the function does not read keeps its value; a custom resource in a *.k8s.io group that
    is not Kubernetes' own, an imageName field and a ConfigMap value naming a private image
    are warnings (kpt's results), and validate fails on what kustomize built."""
    config = FIELD_SPEC_CONFIG.split("  imageFields:")[0]
    kz = tmp_path / "kz"
    built = kustomize_transform(kustomize, fn_env, kz, UNSEEN_RESOURCES, config)
    docs = {d["kind"]: d for d in yaml.safe_load_all(built)}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "proxy.replicated.com/proxy/acme/quay.io/acme/api:1"
    assert pod["nodeSelector"] == {"built-from": "quay.io/acme/api:1"}, built
    checked = run(["replicated-proxy-fn", "validate", "--config",
                   str(kz / "replicated-proxy.yaml"), "-"], fn_env, stdin=built, check=False)
    assert checked.returncode == 1, checked.stdout
    assert all(path in checked.stdout for _, path in UNSEEN_FIELDS), checked.stdout

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "resources.yaml").write_text(UNSEEN_RESOURCES)
    (tmp_path / "fn-config.yaml").write_text(config)
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(tmp_path / "fn-config.yaml"), "--results-dir", str(tmp_path / "results")], fn_env)
    out = (pkg / "resources.yaml").read_text()
    assert "built-from: *img" not in out and '"quay.io/acme/api:1"' in out, out
    listed = yaml.safe_load((tmp_path / "results" / "results.yaml").read_text())["items"]
    warned = {(r["resourceRef"]["kind"], r["field"]["path"]) for step in listed
              for r in step.get("results", []) if r.get("severity") == "warning"}
    assert warned >= UNSEEN_FIELDS, warned


def test_merge_key_pull_secrets_through_kpt(kpt, fn_env, tmp_path):
    """kpt passes anchors and "<<" merge keys to the function as written: a pod spec whose
    imagePullSecrets a merge key brings from an anchor kept beside it gets a list of its
    own, the merged entry kept (a correct run ended in an internal error before)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n"
        "x-defaults: &defaults\n  imagePullSecrets:\n  - name: mysecret\nspec:\n"
        "  <<: *defaults\n  containers:\n  - name: a\n    image: quay.io/acme/api:1\n")
    config = tmp_path / "fn-config.yaml"
    config.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                      f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n"
                      "  privateImages: quay.io/acme/\n")
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(config)], fn_env)
    pod = yaml.safe_load((pkg / "pod.yaml").read_text())
    assert pod["spec"]["imagePullSecrets"] == [{"name": "mysecret"},
                                               {"name": "acme-registry"}]
    assert pod["spec"]["containers"][0]["image"] == (
        "proxy.replicated.com/proxy/acme/quay.io/acme/api:1")
    assert pod["x-defaults"]["imagePullSecrets"] == [{"name": "mysecret"}]
