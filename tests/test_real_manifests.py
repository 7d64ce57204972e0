"""Issue 16 on real third-party manifests (tests/data, sources in each SOURCE.md), through
the real kpt (``kpt fn eval --exec``) and the real kustomize 4.5.4 (exec transformer):
every private image proxied, every pull secret where the CRD takes it, and ``validate``
failing on the input and passing on the output.

The checks here do not use the function's tables: the image fields are found by name
(``image`` or ``*Image`` anywhere but metadata and status), and the pull-secret places are
written out per kind below, from the CRDs' documentation.

Strimzi's examples set no pulled image (the operator fills them in), so the Kafka example
is copied with a synthetic ``spec.kafka.image`` added (``_strimzi_with_image``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from e2e_tools import REPO, fn_env, kpt, kustomize, run

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

DATA = REPO / "tests" / "data"
LICENSE_ID = "unitTestLicense0000000001"
PROXY = "proxy.replicated.com/proxy/acme/"
SECRET = "acme-registry"
PRIVATE = ("quay.io/prometheus/", "quay.io/brancz/", "quay.io/prometheus-operator/",
           "registry.k8s.io/", "ghcr.io/", "docker.elastic.co/", "quay.io/strimzi/")
CONFIG = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "replicated-proxy",
                 "annotations": {"config.kubernetes.io/local-config": "true"}},
    "data": {"licenseID": LICENSE_ID, "appSlug": "acme", "privateImages": ", ".join(PRIVATE)},
}
SYNTHETIC_KAFKA_IMAGE = "quay.io/strimzi/kafka:1.2.0-kafka-4.1.0"
# kind -> where its pods' pull secrets go (paths; "[]" for every list entry)
PULL_SECRETS = {
    "Deployment": ["spec/template/spec/imagePullSecrets"],
    "DaemonSet": ["spec/template/spec/imagePullSecrets"],
    "StatefulSet": ["spec/template/spec/imagePullSecrets"],
    "Prometheus": ["spec/imagePullSecrets"],
    "Alertmanager": ["spec/imagePullSecrets"],
    "Kafka": ["spec/kafka/template/pod/imagePullSecrets"],
    "Agent": ["spec/deployment/podTemplate/spec/imagePullSecrets",
              "spec/statefulSet/podTemplate/spec/imagePullSecrets",
              "spec/daemonSet/podTemplate/spec/imagePullSecrets"],
}


def _strimzi_with_image(dest: Path) -> None:
    text = (DATA / "strimzi/1.2.0/examples/kafka/kafka-persistent.yaml").read_text()
    marker = "kind: Kafka\n"
    head, tail = text.split(marker, 1)
    tail = tail.replace("\n  kafka:\n", f"\n  kafka:\n    image: {SYNTHETIC_KAFKA_IMAGE}\n", 1)
    assert SYNTHETIC_KAFKA_IMAGE in tail
    dest.write_text(head + marker + tail)


def _package(root: Path, eck: str = "synthetic-monitoring.yaml") -> Path:
    """kube-prometheus manifests/ (without its ``*List`` files, which kpt refuses: a List
    has no metadata.name), the Tekton task, the Strimzi copy, one ECK recipe (the two
    recipes each define the same ClusterRole)."""
    pkg = root / "pkg"
    shutil.copytree(DATA / "kube-prometheus/manifests", pkg / "kube-prometheus")
    for path in (pkg / "kube-prometheus").glob("*.yaml"):
        if any(line.startswith("kind: ") and line.rstrip().endswith("List")
               for line in path.read_text().splitlines()):
            path.unlink()
    (pkg / "tekton").mkdir()
    shutil.copy(DATA / "tekton/catalog/task/git-clone/0.9/git-clone.yaml", pkg / "tekton")
    (pkg / "strimzi").mkdir()
    _strimzi_with_image(pkg / "strimzi" / "kafka-persistent-with-image.yaml")
    (pkg / "eck").mkdir()
    shutil.copy(DATA / "eck/config/recipes/elastic-agent" / eck, pkg / "eck")
    return pkg


def _docs(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        out += [d for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if d]
    return out


def _images(node: object, path: str = "") -> list[tuple[str, str]]:
    """(path, value) of every string under a key ``image`` or ``*Image``."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if not path and k in ("metadata", "status"):
                continue
            where = f"{path}.{k}" if path else str(k)
            if isinstance(v, str) and (k == "image" or str(k).endswith("Image")):
                found.append((where, v))
            else:
                found += _images(v, where)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _images(v, f"{path}[{i}]")
    return found


def _private(value: str) -> bool:
    return value.startswith(PRIVATE)


def _at(node: object, parts: list[str]) -> list[object]:
    if not parts:
        return [node]
    if not isinstance(node, dict):
        return []
    key, rest = parts[0], parts[1:]
    child = node.get(key.removesuffix("[]"))
    if key.endswith("[]"):
        return [x for entry in (child or []) for x in _at(entry, rest)]
    return [] if child is None else _at(child, rest)


def check_output(docs: list[dict]) -> dict[str, int]:
    """Every private image proxied; the pull secret wherever a resource has images."""
    counts: dict = {"proxied": 0, "with_secret": 0, "kinds": set()}
    for doc in docs:
        images = _images(doc)
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        assert not [(p, v) for p, v in images if _private(v)], f"{name}: private image left"
        counts["proxied"] += sum(v.startswith(PROXY) for _, v in images)
        if not any(v.startswith(PROXY) for _, v in images) or doc["kind"] not in PULL_SECRETS:
            continue
        lists = [x for p in PULL_SECRETS[doc["kind"]] for x in _at(doc, p.split("/"))]
        assert lists, f"{name}: no pull-secret list"
        for entries in lists:
            assert {"name": SECRET} in entries, f"{name}: {entries}"
        counts["with_secret"] += 1
        counts["kinds"].add(doc["kind"])
    secrets = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == SECRET]
    assert secrets, "no pull Secret generated"
    return counts


def _input_has_private_images(pkg: Path) -> int:
    return sum(_private(v) for d in _docs(sorted(pkg.rglob("*.yaml"))) for _, v in _images(d))


def test_kpt_eval_exec_on_real_manifests(kpt, fn_env, tmp_path):
    pkg = _package(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    before = _input_has_private_images(pkg)
    assert before >= 15
    proc = run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
                str(config)], fn_env)
    assert LICENSE_ID not in proc.stdout + proc.stderr
    counts = check_output(_docs(sorted(pkg.rglob("*.yaml"))))
    assert counts["proxied"] == before
    assert counts["kinds"] == {"Prometheus", "Alertmanager", "Kafka", "Agent", "Deployment",
                               "DaemonSet"}
    text = (pkg / "strimzi/kafka-persistent-with-image.yaml").read_text()
    assert PROXY + SYNTHETIC_KAFKA_IMAGE in text


def _validate(paths: list[str], fn_env, stdin: str | None = None):
    return run(["replicated-proxy-fn", "validate", "--config", paths[0], *paths[1:]], fn_env,
               stdin=stdin, check=False)


def test_validate_fails_on_input_and_passes_on_kpt_output(kpt, fn_env, tmp_path):
    pkg = _package(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    failed = _validate([str(config), str(pkg)], fn_env)
    assert failed.returncode == 1
    for expected in ("Prometheus/monitoring/k8s spec.image", "Kafka/", "Agent/",
                     "PodSpec lacks the pull secret",
                     # the operator pulls the reloader it names in its args
                     "containers[0].args[1] | quay.io/prometheus-operator/prometheus-config-"):
        assert expected in failed.stdout, expected
    run([kpt, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "--fn-config",
         str(config)], fn_env)
    passed = _validate([str(config), str(pkg)], fn_env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert " 0 problems" in passed.stdout
    operator = (pkg / "kube-prometheus/prometheusOperator-deployment.yaml").read_text()
    assert f"--prometheus-config-reloader={PROXY}quay.io/prometheus-operator/" in operator


@pytest.mark.parametrize("part", ["kube-prometheus", "rest"])
def test_kustomize_exec_transformer_on_real_manifests(kustomize, fn_env, tmp_path, part):
    pkg = _package(tmp_path, "ksm-sharding.yaml")  # Agent statefulSet.podTemplate images
    files = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*.yaml"))
    files = [f for f in files if f.startswith("kube-prometheus/") == (part == "kube-prometheus")]
    transformer = dict(CONFIG)
    transformer["metadata"] = {"name": "replicated-proxy", "annotations": {
        "config.kubernetes.io/function": "exec:\n  path: replicated-proxy-fn\n"}}
    (pkg / "replicated-proxy.yaml").write_text(yaml.safe_dump(transformer))
    (pkg / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": files, "transformers": ["replicated-proxy.yaml"]}))
    built = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(pkg)],
                fn_env)
    assert LICENSE_ID not in built.stderr
    docs = [d for d in yaml.load_all(built.stdout, Loader=yaml.CSafeLoader) if d]
    counts = check_output(docs)
    assert counts["proxied"] > 0 and counts["with_secret"] > 0
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    passed = _validate([str(config), "-"], fn_env, stdin=built.stdout)
    assert passed.returncode == 0, passed.stdout
