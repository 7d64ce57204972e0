"""examples/kustomize-component: a kustomize Component bringing the transformer and a license
generator marked local-config, run with real standalone kustomize 4.5.4.

The point of the Component: the license ConfigMap never reaches the output, whether the exec
transformer runs (--enable-exec) or is silently skipped (no --enable-exec)."""

from __future__ import annotations

import shutil

import yaml
from e2e_tools import EXAMPLES, expect, fn_env, kustomize, run

__all__ = ["fn_env", "kustomize"]
EXAMPLE = EXAMPLES / "kustomize-component"
OVERLAY = EXAMPLE / "overlay"
ID = "exampleLicenseId0123456789"


def _docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def _images(docs: list[dict]) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    found.extend(c["image"] for c in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(docs)
    return sorted(found)


def test_with_exec_images_are_proxied_and_the_license_is_not_output(kustomize, fn_env):
    out = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(OVERLAY)],
              fn_env).stdout
    expect(EXAMPLE / ".expected/output.yaml", out)
    docs = _docs(out)
    assert sorted(d["kind"] for d in docs) == ["CronJob", "Deployment", "Secret"]
    assert _images(docs) == [
        "nginx:1.25",
        "proxy.replicated.com/proxy/acme/ghcr.io/acme/migrate:1.4.2",
        "proxy.replicated.com/proxy/acme/ghcr.io/acme/report:2.0.0",
        "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2",
    ]
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert (secret["metadata"]["name"], secret["type"]) == (
        "acme-registry", "kubernetes.io/dockerconfigjson")
    assert ID not in out and "kind: License" not in out


def test_without_exec_the_license_is_still_not_output(kustomize, fn_env):
    proc = run([kustomize, "build", "--enable-alpha-plugins", str(OVERLAY)], fn_env)
    docs = _docs(proc.stdout)
    # the transformer was skipped (silently, as kustomize does) ...
    assert sorted(d["kind"] for d in docs) == ["CronJob", "Deployment"]
    assert "quay.io/acme/api:1.4.2" in _images(docs)
    # ... and the license stayed out all the same
    assert ID not in proc.stdout and ID not in proc.stderr and "License" not in proc.stdout


def test_the_local_config_annotation_is_what_keeps_the_license_out(kustomize, fn_env, tmp_path):
    """Control: the same Component without the generator's annotation leaks the license when
    the transformer is skipped (so the test above tests the annotation, not luck)."""
    copy = tmp_path / "kustomize-component"
    shutil.copytree(EXAMPLE, copy)
    component = copy / "replicated-proxy/kustomization.yaml"
    text = component.read_text()
    annotation = "    annotations:\n      config.kubernetes.io/local-config: \"true\"\n"
    assert annotation in text
    component.write_text(text.replace(annotation, ""))
    out = run([kustomize, "build", "--enable-alpha-plugins", str(copy / "overlay")],
              fn_env).stdout
    leaked = [d for d in _docs(out) if d["kind"] == "ConfigMap"]
    assert [d["metadata"]["name"] for d in leaked] == ["replicated-license"]
    assert ID in leaked[0]["data"]["license.yaml"]
