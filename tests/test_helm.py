"""The Helm post-renderer contract, exactly as Helm uses it (Helm itself is not installable
here): Helm runs the executable with the --post-renderer-args, writes the rendered
manifests (`helm template` output, "# Source:" headers and all) to its stdin, takes its
whole stdout as the new manifests, and fails the release on a non-zero exit."""

from __future__ import annotations

import subprocess

import yaml
from e2e_tools import EXAMPLES, REPO, expect, fn_env

__all__ = ["fn_env"]
RENDERED = (EXAMPLES / "helm/rendered.yaml").read_text()


def post_render(env: dict, *args: str, stdin: str = RENDERED) -> subprocess.CompletedProcess:
    # what Helm's exec post-renderer does: the command by name (PATH), its args, a pipe
    return subprocess.run(["replicated-proxy-fn", *args], input=stdin.encode(),
                          capture_output=True, env=env, cwd=REPO, timeout=60)


def test_post_renderer_stream_in_stream_out(fn_env):
    proc = post_render(fn_env, "--config", "examples/helm/proxy.yaml")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    expect(EXAMPLES / "helm/.expected/post-rendered.yaml", out)
    docs = list(yaml.safe_load_all(out))
    assert all(isinstance(d, dict) and d.get("kind") for d in docs), "only manifests on stdout"
    assert [d["kind"] for d in docs] == ["Service", "Deployment", "Secret"]
    images = [c["image"] for c in docs[1]["spec"]["template"]["spec"]["containers"]]
    assert images == ["proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2", "nginx:1.25"]
    assert "# Source: acme/templates/deployment.yaml" in out, "Helm's comments are kept"
    assert b"exampleLicenseId0123456789" not in proc.stderr
    # Helm may post-render its own output again (upgrade --reuse-values): a fixed point
    assert post_render(fn_env, "--config", "examples/helm/proxy.yaml",
                       stdin=out).stdout.decode() == out


def test_post_renderer_failure_is_an_exit_code_and_no_output(fn_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {appSlug: acme}\n")
    proc = post_render(fn_env, "--config", str(bad))
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and b"no license ID" in proc.stderr
    proc = post_render(fn_env, "--config", "examples/helm/proxy.yaml", stdin="a: [\n")
    assert proc.returncode == 1 and proc.stdout == b""


def test_chart_templates_render_to_the_example_stream():
    """rendered.yaml is what `helm template shop chart` gives (checked by substituting the
    chart's values into its templates the way Helm does for these simple expressions)."""
    values = yaml.safe_load((EXAMPLES / "helm/chart/values.yaml").read_text())
    subs = {"{{ .Release.Name }}": "shop", "{{ .Values.image.api }}": values["image"]["api"],
            "{{ .Values.image.proxy }}": values["image"]["proxy"]}
    parts = []
    for name in ("service.yaml", "deployment.yaml"):
        text = (EXAMPLES / "helm/chart/templates" / name).read_text()
        for k, v in subs.items():
            text = text.replace(k, v)
        parts.append(f"---\n# Source: acme/templates/{name}\n{text}")
    assert "".join(parts) == RENDERED
