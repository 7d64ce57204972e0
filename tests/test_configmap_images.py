"""ConfigMaps that name the images a controller pulls (tests/data/configmap-images, sources
in its SOURCE.md), through the real kpt (``kpt fn eval --exec``): every value that is an
image of a private registry is a warning naming the ``imageFields`` entry that rewrites it;
``validate`` fails on them; with those entries, every one is proxied and ``validate``
passes. The images are found here by their own rule (a registry host and a tag or digest),
not by the function's."""

from __future__ import annotations

import re
import shutil

import yaml
from e2e_tools import REPO, fn_env, kpt, run

__all__ = ["fn_env", "kpt"]  # fixtures

DATA = REPO / "tests" / "data" / "configmap-images"
PRIVATE = ("docker.io/docker3290894/", "registry.k8s.io/", "quay.io/")
IMAGE = re.compile(r"[a-z0-9.-]+\.[a-z]+/[^\s:@]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?")


def _config(rows: list[str]) -> dict:
    data = {"licenseID": "unitTestLicense0000000001", "appSlug": "acme",
            "privateImages": ", ".join(PRIVATE)}
    if rows:
        data["imageFields"] = "\n".join(f"- {row}" for row in rows)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "replicated-proxy",
                         "annotations": {"config.kubernetes.io/local-config": "true"}},
            "data": data}


def _named(docs: list[dict]) -> dict[str, str]:
    """key -> value of each ConfigMap value that is, whole, a private image."""
    return {k: v for d in docs for k, v in (d.get("data") or {}).items()
            if IMAGE.fullmatch(v) and v.startswith(PRIVATE)}


def _docs(pkg) -> list[dict]:
    return [d for p in sorted(pkg.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text())
            if d and d.get("kind") == "ConfigMap"]


def test_configmap_images_are_warned_of_then_rewritten_by_the_rows_suggested(
        kpt, fn_env, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for path in DATA.glob("*.yaml"):
        shutil.copy(path, pkg)
    named = _named(_docs(pkg))
    assert len(named) == 8, named  # Knative's queue sidecar, Rook's seven CSI images
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_config([])))
    proc = run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
                str(config), "--results-dir", str(tmp_path / "results")], fn_env)
    listed = yaml.safe_load((tmp_path / "results" / "results.yaml").read_text())["items"]
    results = [r for step in listed for r in step.get("results", [])]
    warned = {r["field"]["path"]: r["message"] for r in results if "field" in r}
    assert set(warned) == {f"data.{k}" for k in named}, (warned, proc.stderr)
    rows = [re.search(r"imageFields: \[(\{.*\})\]", m)[1] for m in warned.values()]
    failed = run(["replicated-proxy-fn", "validate", "--config", str(config), str(pkg)],
                 fn_env, check=False)
    assert failed.returncode == 1 and failed.stdout.count("[error]") == len(named)

    config.write_text(yaml.safe_dump(_config(rows)))  # the entries the warnings gave
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(config)], fn_env)
    after = {k: v for d in _docs(pkg) for k, v in (d.get("data") or {}).items() if k in named}
    assert after == {k: f"proxy.replicated.com/proxy/acme/{v}" for k, v in named.items()}
    passed = run(["replicated-proxy-fn", "validate", "--config", str(config), str(pkg)],
                 fn_env, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
