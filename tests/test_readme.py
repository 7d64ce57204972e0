"""The README's commands, pasted one by one into a fresh clone, work.

Every shell command of README.md's ```sh blocks is either run here verbatim, in README
order, on a fresh `git clone` of this checkout (with `.expected/` present, as a new user
has it), or listed in NOT_HERE with the reason it cannot run on this machine. A command
that is in neither fails the test, so a new README command gets noticed; so does a stale
entry. (The clone is of HEAD: commit before running.)

The function is on PATH as in tests/e2e_tools.fn_env, standalone kustomize 4.5.4 as
`kustomize`; the quick start's `pip install .` runs in a fresh venv (no system packages)
whose bin/ comes first on PATH for that command only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import helpers
import pytest
from e2e_tools import EXAMPLES, REPO, fn_env, kustomize

__all__ = ["fn_env", "kustomize"]
README = REPO / "README.md"
ID = "exampleLicenseId0123456789"

# command (whitespace collapsed) -> why it does not run here
GITOPS = "run verbatim, twice, on a fresh copy by tests/test_gitops_readme.py"
NOT_HERE: dict[str, str] = {
    ".ci/run # run the tests": "runs the whole suite, this test included",
    "kpt fn render examples/gitops/existing --allow-exec": GITOPS,
    "kpt fn render examples/gitops/external-secret --allow-exec": GITOPS,
    'REPLICATED_LICENSE_ID="$(cat license-id.txt)" kpt fn render examples/gitops/sealed '
    "--allow-exec": GITOPS,
    "replicated-proxy-fn validate --config examples/gitops/sealed/replicated-proxy.yaml "
    "examples/gitops/sealed": GITOPS,
    'while read -r src dst; do skopeo copy --preserve-digests "docker://$src" '
    '"docker://${dst%@*}" done < images.txt':
        "copies images between remote registries (no network here but package registries)",
    "helm install shop examples/helm/chart --post-renderer replicated-proxy-fn "
    "--post-renderer-args --config --post-renderer-args examples/helm/proxy.yaml":
        "no Helm binary is installable here (tests/test_helm.py, test_helm_plugin.py make "
        "Helm's call)",
    "helm plugin install ./helm-plugin": "no Helm binary is installable here",
    "docker build -t replicated-proxy-fn:0.1.0 . # or: podman build / buildah bud":
        "no docker daemon, no base image pull (tests/container/image-test.sh builds it)",
    "docker tag replicated-proxy-fn:0.1.0 ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0":
        "no docker daemon",
    "docker push ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0": "remote registry",
    "skopeo inspect --format '{{.Digest}}' "
    "docker://ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0": "remote registry",
    "kpt fn eval DIR --image ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0 "
    "--fn-config replicated-proxy.yaml": "DIR is a placeholder; pulls a remote image",
    "kpt fn eval DIR --image ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0 -- "
    "licenseID=exampleLicenseId0123456789 appSlug=acme privateImages=quay.io/acme/,ghcr.io/acme/":
        "DIR is a placeholder; pulls a remote image",
    "KPT_FN_RUNTIME=podman kpt fn render DIR # docker by default; podman and nerdctl work too":
        "DIR is a placeholder; pulls a remote image",
    "kustomize build --enable-alpha-plugins DIR # no --enable-exec needed for containers":
        "DIR is a placeholder; pulls a remote image",
    "kubectl kustomize --enable-alpha-plugins DIR # kubectl's kustomize runs container functions":
        "DIR is a placeholder; no kubectl; pulls a remote image",
    "helm template ... | docker run --rm -i -v \"$PWD:/cfg:ro\" "
    "ghcr.io/replicated-proxy-fn/replicated-proxy-fn:0.1.0 --config /cfg/replicated-proxy.yaml":
        "no Helm, no docker daemon",
}


def _norm(command: str) -> str:
    return " ".join(command.replace("\\\n", " ").split())


def readme_commands(text: str) -> list[str]:
    """The commands of every ```sh block: continuation lines joined; a compound command
    (while ... done) kept whole (complete when `bash -n` accepts it); comment lines skipped."""
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        pending = ""
        for line in block.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line + "\n"
            if line.endswith("\\"):
                continue
            if subprocess.run(["bash", "-n", "-c", pending], capture_output=True).returncode:
                continue  # not complete yet
            commands.append(pending.rstrip("\n"))
            pending = ""
        assert not pending, f"unfinished command in README: {pending!r}"
    return commands


# ------------------------------------------------------------------ what each run must show

Check = Callable[[subprocess.CompletedProcess, Path], None]


def _same_as(expected: str) -> Check:
    def check(proc, clone):
        assert proc.stdout == (clone / expected).read_text(), f"output differs from {expected}"
    return check


def _quickstart(proc, clone):
    assert "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2" in proc.stdout
    assert "proxy.replicated.com/proxy/acme/ghcr.io/acme/report" in proc.stdout
    # pip's own lines come first on stdout, then the function's output
    assert proc.stdout.endswith((clone / "examples/quickstart/.expected/output.yaml").read_text())


def _rendered(proc, clone):
    workloads = (clone / "examples/kpt-package/workloads.yaml").read_text()
    assert "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2" in workloads
    assert list((clone / "examples/kpt-package").glob("*/secret_acme-registry.yaml"))


def _evaluated(proc, clone):
    assert "proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2" in (
        clone / "examples/kpt-package/workloads.yaml").read_text()


def _component(proc, clone):
    assert proc.stdout == (
        clone / "examples/kustomize-component/.expected/output.yaml").read_text()
    assert "replicated-license" not in proc.stdout


def _explained(proc, clone):
    assert "\n| | Image |" in proc.stdout and "quay.io/acme/api:1.4.2" in proc.stdout


def _schemas_unchanged(proc, clone):
    status = subprocess.run(["git", "status", "--porcelain", "schemas"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    assert status == "", f"python -m fn.schema changed the checked-in schemas:\n{status}"


def _valid(proc, clone):
    assert "ok -- validation done" in proc.stdout


# command (whitespace collapsed) -> (expected exit code, check of the run)
def _sarif(proc, clone) -> None:
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "manifests.yaml") for r in log["runs"][0]["results"] if "locations" in r)


RUN_HERE: dict[str, tuple[int, Check]] = {
    "pip install . && replicated-proxy-fn < examples/quickstart/resourcelist.yaml "
    "# run it on the example": (0, _quickstart),
    "kustomize build --enable-alpha-plugins --enable-exec examples/kustomize-exec":
        (0, _same_as("examples/kustomize-exec/.expected/output.yaml")),
    "kustomize build --enable-alpha-plugins --enable-exec examples/kustomize-component/overlay":
        (0, _component),
    "kpt fn render examples/kpt-package --allow-exec": (0, _rendered),
    "kpt fn eval examples/kpt-package --exec replicated-proxy-fn -- "
    "licenseID=exampleLicenseId0123456789 appSlug=acme privateImages=quay.io/acme/,ghcr.io/acme/":
        (0, _evaluated),
    "replicated-proxy-fn --config examples/stream/config.yaml < examples/stream/manifests.yaml":
        (0, _same_as("examples/stream/.expected/output.yaml")),
    "replicated-proxy-fn validate --config examples/stream/config.yaml "
    "examples/stream/.expected/output.yaml": (0, lambda proc, clone: None),
    "replicated-proxy-fn validate --config examples/stream/config.yaml "
    "examples/stream/manifests.yaml # exits 1": (1, lambda proc, clone: None),
    "replicated-proxy-fn validate --config examples/stream/config.yaml --format sarif "
    "examples/stream/manifests.yaml # exits 1": (1, _sarif),
    "replicated-proxy-fn explain --config examples/stream/config.yaml --format markdown "
    "examples/stream/manifests.yaml": (0, _explained),
    "python3 -m fn.schema # regenerates schemas/": (0, _schemas_unchanged),
    "check-jsonschema --schemafile schemas/replicatedproxy.json "
    "examples/kpt-package/replicated-proxy.yaml": (0, _valid),
    "check-jsonschema --schemafile schemas/configmap.json examples/stream/config.yaml":
        (0, _valid),
}


def test_every_readme_command_is_run_or_excused():
    commands = [_norm(c) for c in readme_commands(README.read_text())]
    unknown = [c for c in commands if c not in RUN_HERE and c not in NOT_HERE]
    assert not unknown, "README commands neither run nor listed in NOT_HERE:\n" + "\n".join(
        unknown)
    stale = [c for c in (*RUN_HERE, *NOT_HERE) if c not in commands]
    assert not stale, "listed but not in the README:\n" + "\n".join(stale)
    assert not set(RUN_HERE) & set(NOT_HERE)
    assert all(reason.strip() for reason in NOT_HERE.values())


def test_no_placeholder_can_be_mistaken_for_a_value():
    text = README.read_text()
    assert "<you>" not in text and "licenseID=..." not in text
    for path in ("metadata.yaml", "Dockerfile"):
        assert "<you>" not in (REPO / path).read_text(), path


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("fresh") / "replicated-proxy-fn"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    assert (dest / "examples/kpt-package/.expected").is_dir(), "a clone has .expected/"
    return dest


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path


def test_readme_commands_work_on_a_fresh_clone(clone, venv, fn_env, kustomize):
    kz_dir = clone.parent / "kustomize-bin"
    kz_dir.mkdir(exist_ok=True)
    (kz_dir / "kustomize").unlink(missing_ok=True)
    (kz_dir / "kustomize").symlink_to(kustomize)
    base = {**fn_env, "PATH": f"{kz_dir}{os.pathsep}{fn_env['PATH']}",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    ran = []
    for command in readme_commands(README.read_text()):
        key = _norm(command)
        if key in NOT_HERE:
            continue
        code, check = RUN_HERE[key]
        env = dict(base)
        if command.startswith("pip install"):
            env["PATH"] = f"{venv / 'bin'}{os.pathsep}{base['PATH']}"
            env["VIRTUAL_ENV"] = str(venv)
        proc = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True,
                              text=True, timeout=600)
        helpers.record(f"README: {key}", "stderr", proc.stderr)
        if " validate " in key or " explain " in key:
            helpers.record(f"README: {key}", "stdout", proc.stdout)
        assert proc.returncode == code, (
            f"{command}\nexited {proc.returncode}, not {code}\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}")
        check(proc, clone)
        assert ID not in proc.stderr
        ran.append(key)
    assert ran == [k for k in RUN_HERE if k in ran] and set(ran) == set(RUN_HERE)


def test_pip_install_brings_httpx_so_probe_works(clone, venv, tmp_path):
    """After the quick start's `pip install .` (no extra), `probe: "true"` runs: httpx came
    with the package (a refused connection on 127.0.0.1, https on port 443, gives a
    warning, not an import error)."""
    fn = venv / "bin/replicated-proxy-fn"
    if not fn.exists():  # the README test installs it; alone, install it the same way
        subprocess.run([venv / "bin/pip", "install", "-q", "."], cwd=clone, check=True,
                       capture_output=True, timeout=600)
    config = tmp_path / "probe.yaml"
    config.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                      f"  licenseID: {ID}\n  appSlug: acme\n  probe: \"true\"\n"
                      "  probeTimeout: \"2\"\n")
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                "  - {name: c, image: 127.0.0.1/acme/api:1}\n")
    proc = subprocess.run([fn, "--config", str(config)], input=manifest, capture_output=True,
                          text=True, timeout=120, env={"PATH": os.environ["PATH"]})
    helpers.record("README: probe after pip install .", "stderr", proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert "ModuleNotFoundError" not in proc.stderr and "internal error" not in proc.stderr
    assert "probe failed" in proc.stderr  # the probe ran, and could not connect
    assert "proxy.replicated.com/proxy/acme/127.0.0.1/acme/api:1" in proc.stdout
    assert (EXAMPLES / "quickstart").is_dir()


def test_pip_install_builds_the_compiled_reader(clone, venv):
    """The quick start's `pip install .` builds fn._yamlwalk here (.ci/run installs gcc and
    the headers), and the installed function reads with it."""
    python = venv / "bin/python"
    if not (venv / "bin/replicated-proxy-fn").exists():
        subprocess.run([venv / "bin/pip", "install", "-q", "."], cwd=clone, check=True,
                       capture_output=True, timeout=600)
    proc = subprocess.run([python, "-I", "-c", "from fn import yamlread, _yamlwalk\n"
                           "print(yamlread.COMPILED is _yamlwalk.walk, _yamlwalk.__file__)"],
                          capture_output=True, text=True, timeout=60, cwd="/")
    assert proc.returncode == 0, proc.stderr
    used, where = proc.stdout.split()
    assert used == "True" and str(venv) in where, proc.stdout


def test_kpt_renders_the_repository_root_on_a_fresh_clone(tmp_path, fn_env):
    """The root is a kpt package (examples/kpt-package and the GitOps examples its
    subpackages): `kpt fn render .` works on a fresh clone and changes nothing but the
    subpackages it renders (the sealed example takes the license ID from the environment,
    as the README shows)."""
    dest = tmp_path / "replicated-proxy-fn"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    env = {**fn_env, "REPLICATED_LICENSE_ID": ID}
    proc = subprocess.run(["kpt", "fn", "render", ".", "--allow-exec"], cwd=dest, env=env,
                          capture_output=True, text=True, timeout=300)
    helpers.record("kpt fn render . (root)", "stderr", proc.stderr)
    assert proc.returncode == 0, proc.stderr
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=dest, capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert changed and all(line[3:].startswith(("examples/kpt-package/", "examples/gitops/"))
                           and ".expected" not in line for line in changed), changed


def test_every_example_with_expected_output_has_a_krmignore():
    for expected in EXAMPLES.rglob(".expected"):
        ignore = expected.parent / ".krmignore"
        assert ignore.exists(), f"{ignore} is missing: kpt would read {expected}"
        assert ".expected" in ignore.read_text().split()
