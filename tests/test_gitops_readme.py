"""README "GitOps": every command in the section runs verbatim (bash, in a copy of the
repository's examples/, with the function on PATH and license-id.txt holding a test ID),
the rendered packages hold no license ID, and each config shown is the example's spec.

(Until tests/test_readme.py runs every README command, this test covers the GitOps ones.)
"""

from __future__ import annotations

import re
import shutil
import subprocess

import helpers
import yaml
from e2e_tools import REPO, fn_env, kpt

__all__ = ["fn_env", "kpt"]  # fixtures

LICENSE_ID = helpers.TEST_LICENSE_IDS[0]


def section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("## GitOps")
    return text[start:text.index("\n## ", start + 1)]


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section(), re.S)


def commands() -> list[str]:
    return [line for block in blocks("sh") for line in block.splitlines() if line.strip()]


def test_the_yaml_shown_is_each_examples_spec():
    shown = blocks("yaml")
    assert len(shown) == 3
    for block in shown:
        path = re.match(r"# (\S+) \(spec\)", block).group(1)
        spec = yaml.safe_load((REPO / path).read_text())["spec"]
        assert yaml.safe_load(block) == spec, path


def test_every_command_runs_verbatim(kpt, fn_env, tmp_path):
    shutil.copytree(REPO / "examples" / "gitops", tmp_path / "examples" / "gitops")
    (tmp_path / "license-id.txt").write_text(LICENSE_ID)  # no trailing newline
    env = {**fn_env, "KPT": kpt}
    assert len(commands()) == 4
    for _ in range(2):  # twice: the second run changes nothing
        before = {f: f.read_text() for f in tmp_path.rglob("*.yaml")}
        for command in commands():
            proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
            helpers.record(f"README: {command}", "stderr", proc.stderr)
            helpers.record(f"README: {command}", "stdout", proc.stdout)
            assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    after = {f: f.read_text() for f in tmp_path.rglob("*.yaml")}
    assert after == before, "a second render changed the packages"
    gitops = tmp_path / "examples" / "gitops"
    made = sorted(str(f.relative_to(gitops)) for f in gitops.rglob("*_*.yaml"))
    assert made == ["external-secret/shop/externalsecret_acme-registry.yaml",
                    "sealed/shop/sealedsecret_acme-registry.yaml"]
    for f in gitops.rglob("*"):
        if f.is_file():
            assert not helpers.leaks(f.read_text()), f
