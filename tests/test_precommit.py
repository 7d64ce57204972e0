""".pre-commit-hooks.yaml, driven by the real pre-commit: `pre-commit try-repo` on staged
files, and real `git commit` attempts through an installed hook, one that passes and one
that is refused (an unproxied private image).

pre-commit installs the hook repository from git: a fresh clone of this checkout's HEAD
(commit your changes to the hook before running this)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from e2e_tools import EXAMPLES, REPO, fn_env

__all__ = ["fn_env"]
HOOK = "replicated-proxy-validate"
PRIVATE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - {name: worker, image: quay.io/acme/worker:1.0}
"""


def git(cwd: Path, *args: str, env: dict[str, str], check: bool = True):
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, check=check, timeout=600)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    if shutil.which("pre-commit") is None:
        pytest.fail("pre-commit is not installed: run .ci/run")
    home = tmp_path_factory.mktemp("pre-commit-home")
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(PRE_COMMIT_HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1")
    e.pop("REPLICATED_PROXY_FN_DEBUG", None)
    return e


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[Path, str]:
    dest = tmp_path_factory.mktemp("hook") / "replicated-proxy-fn"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True, env=env)
    head = git(dest, "rev-parse", "HEAD", env=env).stdout.strip()
    return dest, head


def user_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A repository with its config and rendered manifests (Secret included), staged."""
    repo = tmp_path / "deploy-repo"
    (repo / "rendered").mkdir(parents=True)
    git(repo, "init", "-q", env=env)
    shutil.copy(EXAMPLES / "stream/config.yaml", repo / "replicated-proxy.yaml")
    shutil.copy(EXAMPLES / "stream/.expected/output.yaml", repo / "rendered/app.yaml")
    git(repo, "add", "-A", env=env)
    return repo


def try_repo(repo: Path, hook_repo: Path, env) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pre-commit", "try-repo", str(hook_repo), HOOK], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


def test_try_repo_passes_then_fails_on_an_unproxied_private_image(tmp_path, env, hook_repo):
    repo = user_repo(tmp_path, env)
    proc = try_repo(repo, hook_repo[0], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replicated-proxy-fn validate" in proc.stdout and "Passed" in proc.stdout
    (repo / "rendered/worker.yaml").write_text(PRIVATE)
    git(repo, "add", "-A", env=env)
    proc = try_repo(repo, hook_repo[0], env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout and "quay.io/acme/worker:1.0" in proc.stdout
    assert "exampleLicenseId0123456789" not in proc.stdout + proc.stderr


def test_commit_attempts_through_the_installed_hook(tmp_path, env, hook_repo):
    path, rev = hook_repo
    repo = user_repo(tmp_path, env)
    (repo / "proxy").mkdir()
    git(repo, "mv", "replicated-proxy.yaml", "proxy/config.yaml", env=env)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {path}\n  rev: {rev}\n  hooks:\n  - id: {HOOK}\n"
        "    args: [--config, proxy/config.yaml]\n    files: ^rendered/\n")
    git(repo, "add", "-A", env=env)
    subprocess.run(["pre-commit", "install"], cwd=repo, env=env, check=True,
                   capture_output=True)
    ok = git(repo, "commit", "-qm", "rendered manifests", env=env, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (repo / "rendered/worker.yaml").write_text(PRIVATE)
    git(repo, "add", "-A", env=env)
    refused = git(repo, "commit", "-qm", "a worker", env=env, check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "quay.io/acme/worker:1.0" in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"
