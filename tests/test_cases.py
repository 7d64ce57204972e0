"""Golden cases: every folder under tests/cases/ is one behaviour, run by this one driver.

The function runs as a process (``helpers.run_fn``: ``python -m fn ARGS``, PYTHONPATH the
repo, no REPLICATED_PROXY_FN_DEBUG) with the case folder as working directory, so the cases
know nothing of the package's insides. The folder format is in tests/cases/README.md.
Every case is run a second time with the pure-Python reader (fn._yamlwalk not loaded):
the same output and exit code.

``UPDATE_GOLDEN=1 python3 -m pytest tests/test_cases.py`` (re)writes the expected files
(all but ``.expected/config.yaml``, which says what to run and is written by hand).
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import helpers
import pytest
import yaml

CASES = Path(__file__).resolve().parent / "cases"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CONFIG_KEYS = {"args", "exitCode", "env", "idempotent", "stdin"}
# a licenseID value in any input file: YAML (plain or quoted) or JSON
LICENSE_ID = re.compile(r"""licenseID["']?\s*:\s*["']?([^\s"',}\]\\]+)""")


@dataclass(frozen=True)
class Case:
    folder: Path
    args: tuple[str, ...] = ()
    exit_code: int = 0
    env: dict[str, str] = field(default_factory=dict)
    idempotent: bool | None = None  # None: the default for the mode and exit code
    stdin: bool = True

    @property
    def mode(self) -> str:
        """krm (ResourceList in and out), stream (--config), or report (validate, explain)."""
        if self.args and self.args[0] in ("validate", "explain"):
            return "report"
        if any(a == "--config" or a.startswith("--config=") for a in self.args):
            return "stream"
        return "krm"

    @property
    def rerun(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.mode in ("krm", "stream") and self.exit_code == 0

    def stdin_bytes(self) -> bytes:
        path = self.folder / "input.yaml"
        return path.read_bytes() if self.stdin and path.is_file() else b""

    def run(self, stdin: bytes) -> helpers.Completed:
        return helpers.run_fn(stdin, *self.args, env=self.env or None, cwd=self.folder)


def load(folder: Path) -> Case:
    path = folder / ".expected" / "config.yaml"
    data = yaml.safe_load(path.read_text()) if path.is_file() else None
    data = data or {}
    assert isinstance(data, dict), f"{path}: not a mapping"
    unknown = set(data) - CONFIG_KEYS
    assert not unknown, f"{path}: unknown keys {sorted(unknown)} (known: {sorted(CONFIG_KEYS)})"
    args = data.get("args") or []
    env = data.get("env") or {}
    assert isinstance(args, list) and all(isinstance(a, str) for a in args), f"{path}: args"
    assert isinstance(env, dict) and all(isinstance(v, str) for v in env.values()), \
        f"{path}: env values must be strings"
    return Case(folder, tuple(args), int(data.get("exitCode", 0)), dict(env),
                data.get("idempotent"), bool(data.get("stdin", True)))


def case_folders() -> list[Path]:
    return sorted(p for p in CASES.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")))


def results_yaml(stdout: str) -> str:
    """The ``results`` of a KRM-mode output, as block YAML (``null`` when there are none)."""
    try:
        doc = helpers.load_yaml(stdout, any_tag=True)
    except yaml.YAMLError:
        doc = None
    results = doc.get("results") if isinstance(doc, dict) else None
    return yaml.safe_dump(results, sort_keys=False, allow_unicode=True, width=4096)


def unregistered_license_ids(folder: Path) -> set[str]:
    """licenseID values in the case's input files that the secrecy check does not know."""
    found: set[str] = set()
    for path in folder.rglob("*"):
        if path.is_file() and ".expected" not in path.relative_to(folder).parts:
            found |= set(LICENSE_ID.findall(path.read_text(errors="replace")))
    return found - set(helpers.TEST_LICENSE_IDS)


def _diff(name: str, expected: str, actual: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(keepends=True),
                                 actual.splitlines(keepends=True),
                                 f"expected/{name}", f"actual/{name}")
    return "".join(lines) or f"{name}: differs only in line endings or a final newline\n"


def check_golden(case: Case, actual: dict[str, str]) -> list[str]:
    """Compare (or, with UPDATE_GOLDEN=1, write) the expected files; the problems found."""
    expected_dir = case.folder / ".expected"
    problems = []
    for name, text in actual.items():
        path = expected_dir / name
        if UPDATE:
            expected_dir.mkdir(exist_ok=True)
            path.write_bytes(text.encode())
            continue
        if not path.is_file():
            problems.append(f"missing .expected/{name} (UPDATE_GOLDEN=1 writes it)")
            continue
        expected = path.read_bytes().decode()
        if expected != text:
            problems.append(_diff(name, expected, text))
    stale = expected_dir / "results.yaml"
    if "results.yaml" not in actual and stale.exists():
        if UPDATE:
            stale.unlink()
        else:
            problems.append(".expected/results.yaml exists, but only KRM-mode cases have one")
    return problems


@pytest.mark.parametrize("folder", case_folders(), ids=lambda p: p.name)
def test_case(folder: Path):
    case = load(folder)
    unknown = unregistered_license_ids(folder)
    assert not unknown, (f"license IDs {sorted(unknown)} are not in helpers.TEST_LICENSE_IDS: "
                         "register them so the secrecy check looks for them")
    stdin = case.stdin_bytes()
    done = case.run(stdin)
    actual = {"output.yaml": done.stdout, "stderr.txt": done.stderr}
    if case.mode == "krm":
        actual["results.yaml"] = results_yaml(done.stdout)
    problems = check_golden(case, actual)
    if done.code != case.exit_code:
        problems.insert(0, f"exit code {done.code}, expected {case.exit_code}; stderr:\n"
                        + done.stderr)
    if case.rerun and done.code == 0:
        problems += idempotency_problems(case, done.stdout)
    if problems:
        pytest.fail(f"{folder.name}:\n" + "\n".join(problems), pytrace=False)


# fn.yamlread without fn._yamlwalk (not built: no compiler, or no libyaml headers)
PYTHON_READER = ("import sys, runpy; sys.modules['fn._yamlwalk'] = None; "
                 "runpy.run_module('fn', run_name='__main__', alter_sys=True)")


# every input held packed (fn.packedtext) where it can be, as one over PACK_FROM is; says
# on stderr how many inputs were
PACKED = ("import atexit, runpy, sys, fn.packedtext as p; p.PACK_FROM = 0; made = []; "
          "read_on = p.read_on; p.read_on = lambda *a: made.append(read_on(*a)) or made[-1]; "
          "atexit.register(lambda: print('packed:', sum(not isinstance(m, (str, bytes)) "
          "for m in made), file=sys.stderr)); "
          "runpy.run_module('fn', run_name='__main__', alter_sys=True)")


@pytest.mark.parametrize("folder", case_folders(), ids=lambda p: p.name)
def test_case_with_the_python_reader(folder: Path):
    """Where the compiled reader is not built, the pure-Python one gives every case the
    same output and exit code."""
    same_as_expected(folder, PYTHON_READER)


def test_every_case_packed():
    """Inputs held packed (as large ones are) give every case the same output and exit
    code (the cases run 4 at a time: each is a process)."""
    with ThreadPoolExecutor(4) as pool:
        stderrs = list(pool.map(lambda f: _try(same_as_expected, f, PACKED), case_folders()))
    failed = [e for e in stderrs if e.startswith("FAILED")]
    assert not failed, "\n".join(failed)
    packed = [e for e in stderrs if re.search(r"^packed: [1-9]", e, re.M)]
    assert len(packed) > 150, f"only {len(packed)} cases read a packed input"


def _try(check, folder: Path, runner: str) -> str:
    try:
        return check(folder, runner)
    except AssertionError as exc:
        return f"FAILED {folder.name}: {str(exc)[:2000]}"


def same_as_expected(folder: Path, runner: str) -> str:
    """The case run by ``runner``: its output and exit code as expected; its stderr."""
    case = load(folder)
    expected = folder / ".expected" / "output.yaml"
    env = {**os.environ, "PYTHONPATH": str(helpers.REPO), **case.env}
    env.pop("REPLICATED_PROXY_FN_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", runner, *case.args],
                          input=case.stdin_bytes(), cwd=folder, env=env, capture_output=True,
                          timeout=60)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == case.exit_code, stderr
    assert done.stdout == expected.read_bytes(), f"{folder.name}: output differs"
    assert not helpers.leaks(stderr), "a license ID in stderr"
    return stderr


def idempotency_problems(case: Case, stdout: str) -> list[str]:
    """Run again on the output: stream mode must give the same bytes; KRM mode, with the
    results cut (what kpt hands the function on a re-run), the same items."""
    source = helpers.without_results(stdout) if case.mode == "krm" else stdout
    again = case.run(source.encode())
    if again.code != 0:
        return [f"re-run on the output: exit code {again.code}; stderr:\n{again.stderr}"]
    output = helpers.without_results(again.stdout) if case.mode == "krm" else again.stdout
    if output != source:
        return ["re-run on the output changed it (not idempotent):\n"
                + _diff("output.yaml (first run)", source, output)]
    return []


def test_every_case_folder_is_runnable():
    """A folder with neither a config nor an input is a mistake, not an empty case."""
    empty = [p.name for p in case_folders() if not (p / ".expected" / "config.yaml").is_file()
             and not (p / "input.yaml").is_file()]
    assert not empty, f"case folders with neither .expected/config.yaml nor input.yaml: {empty}"
