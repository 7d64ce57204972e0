"""A large input held packed (fn.packedtext: over 1 MiB, LZ4 blocks) through the real
clients: the real-manifests package of test_real_manifests (kube-prometheus, Tekton,
Strimzi, ECK) with a 1.2 MB ASCII ConfigMap (Grafana-style dashboards) beside it, which
makes what kpt and kustomize hand the function larger than 1 MiB. Every private image
is proxied, and the function's output is byte for byte the one it gives when the same
input is held as a str."""

from __future__ import annotations

import subprocess
import sys

import yaml
from e2e_tools import REPO, fn_env, kpt, kustomize, run
from test_real_manifests import CONFIG, LICENSE_ID, _docs, _input_has_private_images, _package
from test_real_manifests import check_output as proxied

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

PANELS = "".join(f'    {{"id": {i}, "title": "panel {i}", "expr": "rate(http_requests_total'
                 f'{{job=\\"api-{i}\\"}}[5m])"}},\n' for i in range(12000))
DASHBOARDS = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards\n"
              "  namespace: monitoring\ndata:\n  api.json: |\n    [\n" + PANELS + "    {}]\n")


def _large_package(root):
    pkg = _package(root)
    (pkg / "dashboards.yaml").write_text(DASHBOARDS)
    assert len(DASHBOARDS) > (1 << 20)  # (the ResourceList: more, so it is held packed)
    return pkg


def _config(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    return config


def test_kpt_proxies_every_image_of_a_large_package(kpt, fn_env, tmp_path):
    pkg = _large_package(tmp_path)
    before = _input_has_private_images(pkg)
    proc = run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
                str(_config(tmp_path))], fn_env)
    assert LICENSE_ID not in proc.stdout + proc.stderr
    docs = _docs(sorted(pkg.rglob("*.yaml")))
    assert proxied(docs)["proxied"] == before >= 15
    kept = next(d for d in docs if d["metadata"]["name"] == "dashboards")
    assert kept == yaml.safe_load(DASHBOARDS)  # (the large value, as it was)


def test_packed_and_unpacked_runs_write_the_same_bytes(kpt, fn_env, tmp_path):
    pkg = _large_package(tmp_path)
    source = run([kpt, "fn", "source", str(pkg), "--fn-config", str(_config(tmp_path))],
                 fn_env).stdout  # (the ResourceList kpt hands a function)
    assert len(source) > (1 << 20)
    outs = []
    for pack_from in (1 << 20, 1 << 40):  # packed; held as a str
        code = (f"import runpy, fn.packedtext; fn.packedtext.PACK_FROM = {pack_from}; "
                "runpy.run_module('fn', run_name='__main__', alter_sys=True)")
        done = subprocess.run([sys.executable, "-c", code], input=source.encode(), cwd=REPO,
                              env={**fn_env, "PYTHONPATH": str(REPO)}, capture_output=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert b"proxy.replicated.com/proxy/acme/quay.io/prometheus/" in outs[0]


def test_kustomize_builds_a_large_package_through_the_function(kustomize, fn_env, tmp_path):
    pkg = _large_package(tmp_path)
    files = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*.yaml"))
    before = _input_has_private_images(pkg)
    transformer = dict(CONFIG, metadata={"name": "replicated-proxy", "annotations": {
        "config.kubernetes.io/function": "exec:\n  path: replicated-proxy-fn\n"}})
    (pkg / "replicated-proxy.yaml").write_text(yaml.safe_dump(transformer))
    (pkg / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": files, "transformers": ["replicated-proxy.yaml"]}))
    built = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(pkg)],
                fn_env)
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert proxied(docs)["proxied"] == before
