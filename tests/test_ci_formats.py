"""validate's CI formats, read back by real tools: SARIF 2.1.0 validated against the
OASIS schema (tests/data/sarif) and loaded by sarif-tools (PyPI); GitHub workflow
commands parsed as the runner reads them; file, line and column in every format."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
from helpers import REPO, run_fn
from sarif import loader

CASE = REPO / "tests/cases/validate-failures-as-text"
SCHEMA = json.loads((REPO / "tests/data/sarif/sarif-schema-2.1.0.json").read_text())
COMMAND = re.compile(r"::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)")


def validate(tmp_path: Path, fmt: str):
    for name in ("config.yaml", "input.yaml"):
        shutil.copy(CASE / name, tmp_path / name)
    return run_fn("", "validate", "--config", "config.yaml", "input.yaml", "--format", fmt,
                  cwd=tmp_path)


def test_sarif_is_valid_and_read_back_with_locations(tmp_path):
    r = validate(tmp_path, "sarif")
    assert r.code == 1
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (tmp_path / "out.sarif").write_text(r.stdout)
    read = loader.load_sarif_file(str(tmp_path / "out.sarif"))
    assert read.get_result_count() == 3  # the three problems, not the summary
    records = read.get_records()
    located = sorted((rec["Location"], int(rec["Line"])) for rec in records
                     if rec["Location"] != "-")
    assert located == [("input.yaml", 12), ("input.yaml", 29)], records
    rules = {res["ruleId"] for res in log["runs"][0]["results"]}
    assert rules == {"image-not-on-target", "pull-secret-missing", "pull-secret-object"}
    lines = (tmp_path / "input.yaml").read_text().splitlines()
    first = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert lines[first["startLine"] - 1][first["startColumn"] - 1:].startswith("quay.io/acme")


def test_github_commands_carry_file_line_and_column(tmp_path):
    r = validate(tmp_path, "github")
    assert r.code == 1
    commands = [COMMAND.fullmatch(line) for line in r.stdout.splitlines()]
    assert all(commands) and len(commands) == 3, r.stdout
    props = [dict(p.split("=", 1) for p in c["props"].split(",")) for c in commands]
    assert [(p.get("file"), p.get("line"), p.get("col")) for p in props] == [
        ("input.yaml", "12", "16"), ("input.yaml", "29", "11"), (None, None, None)]
    assert "\n" not in commands[0]["message"] and "%0A" not in commands[0]["message"]


def test_json_and_plain_lines_have_line_numbers(tmp_path):
    data = json.loads(validate(tmp_path, "json").stdout)
    lines = sorted(d["file"]["line"] for d in data if "line" in d.get("file", {}))
    assert lines == [12, 29]
    plain = validate(tmp_path, "text").stdout.splitlines()
    assert plain[0].startswith("[error] input.yaml:12:16 | Deployment/shop/api")


def test_github_escapes_what_would_break_a_command(tmp_path):
    """A resource name with a newline, '%' and ':' cannot end or forge a command."""
    text = (CASE / "input.yaml").read_text().replace("name: api", 'name: "a%b:c\\n::x"', 1)
    (tmp_path / "input.yaml").write_text(text)
    shutil.copy(CASE / "config.yaml", tmp_path / "config.yaml")
    r = run_fn("", "validate", "--config", "config.yaml", "input.yaml", "--format", "github",
               cwd=tmp_path)
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and all(COMMAND.fullmatch(line) for line in lines), r.stdout


def test_terminal_table_fits_the_terminal(tmp_path):
    """On a terminal (a real pty, via util-linux ``script``) every row fits COLUMNS."""
    import os
    import subprocess
    import sys

    for name in ("config.yaml", "input.yaml"):
        shutil.copy(CASE / name, tmp_path / name)
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    cmd = f"{sys.executable} -m fn validate --config config.yaml input.yaml 2>/dev/null"
    proc = subprocess.run(["script", "-qc", cmd, "/dev/null"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    rows = [line.rstrip("\r") for line in proc.stdout.splitlines()]
    table = rows[:4]
    assert table[0].split() == ["FILE", "RESOURCE", "IMAGE", "PROBLEM"]
    assert all(len(row) <= 80 for row in table), table
    assert "input.yaml:12:16" in table[1]
