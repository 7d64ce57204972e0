"""action.yml, the composite GitHub Action: linted by the real actionlint (which reads the
local action through `uses: ./` and checks the inputs a workflow passes) and by
check-jsonschema's built-in GitHub schemas; its shell steps run with bash the way a runner
runs them (inputs substituted, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from e2e_tools import REPO, fn_env

__all__ = ["fn_env"]
ACTION = REPO / "action.yml"
WORKFLOW = REPO / "tests/github/uses-action.yml"
UPLOAD = '          upload-sarif: "true"\n'


def need(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run .ci/run")
    return path


def lint(tmp_path: Path, workflow_text: str) -> subprocess.CompletedProcess[str]:
    """actionlint in a repository holding the action at its root and the workflow."""
    repo = tmp_path / "repo"
    (repo / ".github/workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copy(ACTION, repo / "action.yml")
    (repo / ".github/workflows/uses-action.yml").write_text(workflow_text)
    return subprocess.run([need("actionlint"), "-no-color"], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def test_actionlint_accepts_a_workflow_using_the_action(tmp_path):
    proc = lint(tmp_path, WORKFLOW.read_text())
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("change", "complaint"), [
    ((UPLOAD, UPLOAD + "          sarif: x\n"),
     'input "sarif" is not defined in action "replicated-proxy-fn validate"'),
    (("          config: examples/stream/config.yaml\n", ""),
     'missing input "config" which is required by action "replicated-proxy-fn validate"'),
])
def test_actionlint_reads_the_action_inputs(tmp_path, change, complaint):
    text = WORKFLOW.read_text()
    assert change[0] in text
    proc = lint(tmp_path, text.replace(*change))
    assert proc.returncode == 1 and complaint in proc.stdout, proc.stdout


@pytest.mark.parametrize(("schema", "path"), [("vendor.github-actions", ACTION),
                                              ("vendor.github-workflows", WORKFLOW)])
def test_builtin_github_schemas(schema, path, tmp_path):
    check = need("check-jsonschema")
    proc = subprocess.run([check, "--builtin-schema", schema, str(path)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / path.name
    broken.write_text(path.read_text().replace("runs:", "runz:").replace("jobs:", "jobz:"))
    proc = subprocess.run([check, "--builtin-schema", schema, str(broken)], capture_output=True,
                          text=True)
    assert proc.returncode == 1, "the schema check can fail"


def _run_steps(inputs: dict[str, str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Run the action's shell steps after the install step as a runner does: expressions
    substituted, `if: always()` honoured, step outputs read back. Returns the last step's
    exit code and the job summary."""
    action = yaml.safe_load(ACTION.read_text())
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values = {**defaults, **inputs}
    outputs: dict[str, dict[str, str]] = {}
    summary = tmp_path / "summary.md"
    code = 0
    for step in action["runs"]["steps"][1:]:
        if step.get("uses"):
            assert "inputs.upload-sarif == 'true'" in step["if"]
            continue
        if code != 0 and "always()" not in step.get("if", ""):
            continue

        def sub(text: str) -> str:
            def one(m: re.Match) -> str:
                expr = m.group(1).strip()
                if expr.startswith("inputs."):
                    return values[expr.removeprefix("inputs.")]
                _, step_id, _, name = expr.split(".")
                return outputs.get(step_id, {}).get(name, "")
            return re.sub(r"\$\{\{(.*?)\}\}", one, text)

        out_file = tmp_path / f"out-{step.get('id', 'x')}"
        out_file.write_text("")
        step_env = {**env, **{k: sub(v) for k, v in step.get("env", {}).items()},
                    "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary)}
        assert "${{" not in step["run"], "inputs reach scripts through env only"
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=REPO,
                              env=step_env, capture_output=True, text=True, timeout=120)
        code = proc.returncode
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1)
                                       for line in out_file.read_text().splitlines())
    return code, summary.read_text() if summary.exists() else ""


def test_the_action_steps_pass_and_fail_as_validate_does(fn_env, tmp_path):
    ok_inputs = {"config": "examples/stream/config.yaml", "format": "text",
                 "paths": "examples/stream/.expected/output.yaml"}
    code, summary = _run_steps(ok_inputs, fn_env, tmp_path)
    assert code == 0
    assert "| " in summary and "quay.io/acme/api" in summary, "explain's markdown table"
    bad = {**ok_inputs, "paths": "examples/stream/manifests.yaml examples/stream/config.yaml"}
    (tmp_path / "bad").mkdir()
    code, summary = _run_steps(bad, fn_env, tmp_path / "bad")
    assert code == 1, "unproxied private images fail the job"
    assert "quay.io/acme/api" in summary, "the summary is written on failure too"


def test_the_action_writes_sarif_and_github_annotations(fn_env, tmp_path):
    """format: sarif writes a SARIF log with located results; format: github fails the job
    on the same input (its ::error lines go to the log, where the runner reads them)."""
    sarif = tmp_path / "out.sarif"
    bad = {"config": "examples/stream/config.yaml", "format": "sarif",
           "sarif-file": str(sarif), "paths": "examples/stream/manifests.yaml"}
    code, _ = _run_steps(bad, fn_env, tmp_path)
    assert code == 1
    log = json.loads(sarif.read_text())
    results = log["runs"][0]["results"]
    assert results and all("locations" in r for r in results if r["ruleId"] != "pull-secret-object")
    (tmp_path / "gh").mkdir()
    code, _ = _run_steps({**bad, "format": "github"}, fn_env, tmp_path / "gh")
    assert code == 1
