"""Images the function reports rather than rewrites, through the real clients: a kpt
package run by ``kpt fn eval --exec`` gets a result for each (Helm values without a tag,
Argo CD and Flux image overrides, a Crossplane package, an OpenShift DockerImage
reference, an Argo resource manifest, a cluster-scoped template), the Docker Hub name in a
``*_IMAGE`` env variable and a manifest carried by a Crossplane ``Object`` are rewritten,
the latter with its Secret in the carried manifest's namespace; ``validate`` fails on
the output for each reported one. kustomize 4.5.4 drops a transformer's results (the
README says so): ``kustomize build`` passes, and ``validate`` on what it built fails."""

from __future__ import annotations

from pathlib import Path

import yaml
from e2e_tools import fn_env, kpt, kustomize, run

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "replicated-proxy"},
          "data": {"licenseID": "unitTestLicense0000000001", "appSlug": "acme",
                   "privateImages": "quay.io/acme/, ghcr.io/acme/, docker.io/acme/"}}
PROXY = "proxy.replicated.com/proxy/acme/"

RESOURCES = {
    "helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: api, namespace: shop}
spec:
  chart: {spec: {chart: api, sourceRef: {kind: HelmRepository, name: acme}}}
  values:
    image: {repository: quay.io/acme/api, pullPolicy: IfNotPresent, tag: ""}
""",
    "argocd.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  source:
    repoURL: https://github.com/acme/deploy.git
    kustomize:
      images: [web=quay.io/acme/web:2.1.0]
""",
    "flux.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shop, namespace: flux-system}
spec:
  path: ./deploy
  sourceRef: {kind: GitRepository, name: shop}
  images: [{name: quay.io/acme/jobs, newTag: 2.1.0}]
""",
    "crossplane.yaml": """\
apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata: {name: provider-acme}
spec: {package: "ghcr.io/acme/provider-acme:v0.3.1"}
""",
    "imagestream.yaml": """\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: api, namespace: shop}
spec:
  tags:
  - name: "1.4.2"
    from: {kind: DockerImage, name: "quay.io/acme/stream:1.4.2"}
""",
    "workflow.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: nightly, namespace: shop}
spec:
  templates:
  - name: run-job
    resource:
      action: create
      manifest: |
        apiVersion: batch/v1
        kind: Job
        metadata: {generateName: report-}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: report, image: "quay.io/acme/report:1.0"}]
""",
    "clusterworkflow.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: acme-report}
spec:
  templates:
  - name: main
    container: {image: "quay.io/acme/cluster-report:2.0"}
""",
    "operator.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: operator, namespace: shop}
spec:
  selector: {matchLabels: {app: operator}}
  template:
    metadata: {labels: {app: operator}}
    spec:
      containers:
      - name: operator
        image: docker.io/acme/operator:1.2.0
        env:
        - {name: WORKER_IMAGE, value: "acme/worker:1.2.0"}
""",
    "object.yaml": """\
apiVersion: kubernetes.m.crossplane.io/v1alpha1
kind: Object
metadata: {name: api-deploy, namespace: crossplane-system}
spec:
  forProvider:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: carried, namespace: prod}
      spec:
        selector: {matchLabels: {app: carried}}
        template:
          metadata: {labels: {app: carried}}
          spec:
            containers: [{name: api, image: "quay.io/acme/carried:1.4.2"}]
""",
}
# what the results and validate name, one per reported image (field paths as results give)
REPORTED = ["spec.values.image", "spec.source.kustomize.images[0]", "spec.images[0]",
            "spec.package", "spec.tags[0].from.name", "spec.templates[0].resource.manifest",
            "ClusterWorkflowTemplate is cluster-scoped"]


def _package(root: Path) -> Path:
    pkg = root / "pkg"
    pkg.mkdir()
    for name, text in RESOURCES.items():
        (pkg / name).write_text(text)
    return pkg


def _config(root: Path) -> Path:
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    return config


def _docs(pkg: Path) -> list[dict]:
    return [d for f in sorted(pkg.rglob("*.yaml")) for d in yaml.safe_load_all(f.read_text())
            if d]


def test_kpt_reports_what_it_cannot_rewrite_and_rewrites_the_rest(kpt, fn_env, tmp_path):
    pkg, config, results = _package(tmp_path), _config(tmp_path), tmp_path / "results"
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(config), "--results-dir", str(results)], fn_env)
    said = (results / "results.yaml").read_text()
    for expected in REPORTED:
        assert expected in said, expected
    assert said.count("severity: warning") == len(REPORTED), said
    out = "\n".join((pkg / name).read_text() for name in RESOURCES)
    assert f'value: "{PROXY}acme/worker:1.2.0"' in out  # (its style kept)
    assert f'image: "{PROXY}quay.io/acme/carried:1.4.2"' in out
    assert "repository: quay.io/acme/api" in out  # (reported, left as is)
    secrets = {(d["metadata"].get("namespace")) for d in _docs(pkg) if d["kind"] == "Secret"}
    assert "prod" in secrets and "crossplane-system" not in secrets, secrets

    failed = run(["replicated-proxy-fn", "validate", "--config", str(config), str(pkg)],
                 fn_env, check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    for expected in REPORTED:
        assert expected in failed.stdout, expected


def test_kustomize_passes_in_silence_and_validate_on_its_output_fails(kustomize, fn_env,
                                                                      tmp_path):
    pkg = _package(tmp_path)
    transformer = dict(CONFIG, metadata={"name": "replicated-proxy", "annotations": {
        "config.kubernetes.io/function": "exec:\n  path: replicated-proxy-fn\n"}})
    (pkg / "replicated-proxy.yaml").write_text(yaml.safe_dump(transformer))
    (pkg / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": sorted(RESOURCES), "transformers": ["replicated-proxy.yaml"]}))
    built = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(pkg)],
                fn_env)
    assert "private image" not in built.stderr  # (kustomize drops the results)
    assert f"{PROXY}acme/worker:1.2.0" in built.stdout
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(built.stdout)
    failed = run(["replicated-proxy-fn", "validate", "--config", str(_config(tmp_path)),
                  str(rendered)], fn_env, check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    for expected in REPORTED:
        assert expected in failed.stdout, expected
