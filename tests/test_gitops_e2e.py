"""secretMode (issue 13) through the real tools: for each form, a copy of
examples/kpt-package through ``kpt fn render --allow-exec`` twice (the second render changes
nothing: ``git diff`` is empty), and the same workloads through standalone kustomize 4.5.4 as
an exec transformer. With existing, externalSecret and sealed, nothing in the rendered
package or the build output holds the license ID or base64 of ``LICENSE_ID:<id>`` (the
license ID reaches the function only through the environment: ``licenseIDEnv``); the sealed
values open, with the controller's algorithm and the test key, to ``generate``'s payload.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import crdschema
import helpers
import pytest
import yaml
from e2e_tools import EXAMPLES, fn_env, git_diff, git_snapshot, kpt, kustomize, run
from sealedsecrets import TEST_CERT, controller_key, unseal_manifest

from fn import secret

__all__ = ["fn_env", "kpt", "kustomize"]  # fixtures

LICENSE_ID = helpers.TEST_LICENSE_IDS[0]
ESO_CRD = Path(__file__).parent / "data/external-secrets/external-secrets.io_externalsecrets.yaml"
ENCODED = secret.dockerconfigjson(  # what generate writes in .dockerconfigjson
    ("proxy.replicated.com", "registry.replicated.com"), "LICENSE_ID", LICENSE_ID)
PAYLOAD = base64.b64decode(ENCODED)
# form -> the config it needs (besides appSlug, privateImages, licenseIDEnv)
FORMS = {
    "generate": {},
    "existing": {"secretMode": "existing"},
    "externalSecret": {"secretMode": "externalSecret", "externalSecretStore": "replicated",
                       "externalSecretKey": "acme/license-id"},
    "sealed": {"secretMode": "sealed", "sealedSecretCert": "controller.crt"},
}
# form -> the kind of object it writes, and how many (two namespaces: shop, jobs)
WRITES = {"generate": "Secret", "existing": None, "externalSecret": "ExternalSecret",
          "sealed": "SealedSecret"}
KINDS = ("Secret", "ExternalSecret", "SealedSecret")


def spec(form: str) -> dict:
    return {"appSlug": "acme", "licenseIDEnv": "REPLICATED_LICENSE_ID",
            "privateImages": ["quay.io/acme/", "ghcr.io/acme/"], **FORMS[form]}


def package(tmp_path: Path, form: str) -> Path:
    """examples/kpt-package without the license (the ID comes from the environment),
    mutating and validating with the form's config."""
    pkg = tmp_path / f"pkg-{form}"
    shutil.copytree(EXAMPLES / "kpt-package", pkg, ignore=shutil.ignore_patterns(".expected"))
    (pkg / "license.yaml").unlink()
    shutil.copy(TEST_CERT, pkg / "controller.crt")
    config = yaml.safe_load((pkg / "replicated-proxy.yaml").read_text())
    config["spec"] = spec(form)
    (pkg / "replicated-proxy.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    kptfile = yaml.safe_load((pkg / "Kptfile").read_text())
    checks = {k: v for k, v in spec(form).items() if k not in ("licenseIDEnv", "sealedSecretCert")}
    kptfile["pipeline"]["validators"][0]["configMap"] = {
        "mode": "validate", **{k: ", ".join(v) if isinstance(v, list) else v
                               for k, v in checks.items()}}
    (pkg / "Kptfile").write_text(yaml.safe_dump(kptfile, sort_keys=False))
    return pkg


def rendered(pkg: Path) -> str:
    return "".join(f"--- {f.relative_to(pkg)}\n{f.read_text()}" for f in sorted(pkg.rglob("*"))
                   if f.is_file() and ".git" not in f.relative_to(pkg).parts)


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def check_objects(form: str, docs: list[dict]) -> None:
    """The form's objects, one per namespace; the sealed ones open to generate's payload."""
    kind = WRITES[form]
    for other in KINDS:
        found = [d for d in docs if d.get("kind") == other]
        if other != kind:
            assert not found, f"{form} wrote a {other}"
            continue
        assert sorted(d["metadata"]["namespace"] for d in found) == ["jobs", "shop"]
        for d in found:
            if other == "SealedSecret":
                assert unseal_manifest(controller_key(), d) == {".dockerconfigjson": PAYLOAD}
            if other == "ExternalSecret":
                crdschema.validator(ESO_CRD)[1].validate(d)


def check_secrecy(form: str, text: str) -> None:
    """grep for the ID, base64 of LICENSE_ID:<id>, and the encoded .dockerconfigjson."""
    found = helpers.leaks(text) + (["the encoded .dockerconfigjson"] if ENCODED in text else [])
    if form == "generate":
        assert found, "the grep must find generate's Secret (else it proves nothing)"
    else:
        assert not found, f"{form}: the output holds {found}"


@pytest.mark.parametrize("form", list(FORMS))
def test_kpt_render_twice(form, kpt, fn_env, tmp_path):
    pkg = package(tmp_path, form)
    env = {**fn_env, "REPLICATED_LICENSE_ID": LICENSE_ID}
    git_snapshot(pkg, env)
    first = run([kpt, "fn", "render", ".", "--allow-exec"], env, cwd=pkg)
    helpers.record(f"kpt render {form}", "stderr", first.stderr)
    assert git_diff(pkg, env), "the first render changes the package"
    run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "render"],
        env, cwd=pkg)
    run([kpt, "fn", "render", ".", "--allow-exec"], env, cwd=pkg)
    assert git_diff(pkg, env) == "", "the second render must change nothing"
    text = rendered(pkg)
    check_objects(form, [d for f in sorted(pkg.rglob("*.yaml")) for d in objects(f.read_text())])
    check_secrecy(form, text)
    paths = sorted(str(f.relative_to(pkg)) for f in pkg.rglob("*.yaml") if "_" in f.name)
    kind = WRITES[form]
    assert paths == ([f"{ns}/{kind.lower()}_acme-registry.yaml" for ns in ("jobs", "shop")]
                     if kind else [])


@pytest.mark.parametrize("form", list(FORMS))
def test_kustomize_exec_transformer(form, kustomize, fn_env, tmp_path):
    base = tmp_path / "app"
    base.mkdir()
    shutil.copy(EXAMPLES / "kpt-package/workloads.yaml", base)
    (base / "kustomization.yaml").write_text("resources:\n- workloads.yaml\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    config = {k: v for k, v in spec(form).items() if k != "sealedSecretCert"}
    if form == "sealed":  # kustomize runs exec functions elsewhere: the PEM as a value
        config["sealedSecretCertPEM"] = TEST_CERT.read_text()
    (overlay / "replicated-proxy.yaml").write_text(yaml.safe_dump({
        "apiVersion": "fn.replicated-proxy/v1alpha1", "kind": "ReplicatedProxy",
        "metadata": {"name": "replicated-proxy", "annotations": {
            "config.kubernetes.io/function": "exec:\n  path: replicated-proxy-fn\n"}},
        "spec": config}, sort_keys=False))
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../app\ntransformers:\n- replicated-proxy.yaml\n")
    env = {**fn_env, "REPLICATED_LICENSE_ID": LICENSE_ID}
    out = run([kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(overlay)], env)
    helpers.record(f"kustomize build {form}", "stderr", out.stderr)
    docs = objects(out.stdout)
    check_objects(form, docs)
    check_secrecy(form, out.stdout)
    pods = [d for d in docs if d["kind"] == "Pod"]
    assert pods[0]["spec"]["imagePullSecrets"][-1] == {"name": "acme-registry"}
