"""Performance benchmark for the replicated-proxy KRM function.

One command::

    python bench/run.py [--sizes 100,1000,5000] [--runs N] [--fn "CMD"] [--quick]

It generates the inputs (bench/generate.py) under bench/out/, then measures, as the
median of several runs, each in its own subprocess:

1. the function: ``CMD < resourcelist.yaml > out`` (default CMD: ``python -m fn``,
   run from the repository root with PYTHONPATH set to it);
2. the parse-everything floor: PyYAML with libyaml, ``yaml.load(CSafeLoader)`` +
   ``yaml.dump(CSafeDumper)`` from stdin to stdout, same input;
3. ``kpt fn eval PKG --exec <fn wrapper>`` vs ``kpt fn eval PKG --exec <cat wrapper>``;
4. start-up on an empty ResourceList vs ``python -c pass``; peak RSS per size.

It prints a table and the targets with PASS/FAIL and writes bench/out/results.json.
Exit status: 0 when the report was produced (even when targets fail); 1 when the
function failed or its output is not a valid ResourceList; 2 on a harness problem.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/ is not a package)

FLOOR_CODE = (
    "import sys, yaml; d = yaml.load(sys.stdin, Loader=yaml.CSafeLoader); "
    "yaml.dump(d, sys.stdout, Dumper=yaml.CSafeDumper)"
)
# Python event iteration: libyaml's events as Python objects, each looked at once
EVENTS_CODE = (
    "import sys, yaml\n"
    "nxt = yaml._yaml.CParser(sys.stdin.buffer.read()).get_event\n"
    "end = yaml.events.StreamEndEvent\n"
    "while type(nxt()) is not end:\n    pass"
)
# C floor when no C compiler or libyaml headers: the extension's event loop in C
RAW_PARSE_CODE = "import sys, yaml; yaml._yaml.CParser(sys.stdin.buffer.read()).raw_parse()"
DEFAULT_SIZES = (100, 1000, 5000, 50000)
QUICK_SIZES = (100, 1000, 5000)

# Targets (from the issue).
T_FN_FLOOR = 1.0  # fn / libyaml floor at the largest size
T_STARTUP_MS = 60.0  # fn on an empty ResourceList
T_KPT_RATIO = 1.15  # kpt+fn / kpt+cat
T_RSS_RATIO = 3.0  # peak RSS / input bytes at the largest size
T_GROWTH_EXP = 1.15  # time ~ n^k between the two largest sizes; linear is k = 1
# Issue 14 (each a ratio in the same run)
T14_STARTUP = 2.5  # empty-list run / `python -c pass`, CPU and instructions
T14_RSS_ABOVE = 1.5  # peak RSS above the empty-list run / input bytes, at 5k and 50k
T14_IR_VS_BEFORE = 0.5  # fn instructions at 5k / the compared revision's
T14_KPT_CPU = 1.05  # kpt+fn / kpt+cat CPU at 1k and 5k
VALGRIND = shutil.which("valgrind")


class FunctionFailed(Exception):
    """The function under test failed or produced an invalid ResourceList."""


class HarnessError(Exception):
    """The benchmark itself could not run (kpt missing, floor failing, ...)."""


@dataclass
class Sample:
    wall: float  # seconds
    rss_kb: int | None  # peak RSS of the measured command (KiB), None if unknown
    cpu: float | None  # user + system CPU seconds of the command's process tree
    rc: int
    stderr: str


GNU_TIME = "/usr/bin/time"
# Fallback when GNU time is missing: a fresh, small Python process forks the command,
# times it and reports the peak RSS of its children. (The RSS of the benchmark process
# itself cannot be used: a child's ru_maxrss starts at its parent's RSS when forked.)
RSS_WRAPPER = """\
import os, resource, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status = os.waitpid(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    f.write(f"{wall} {ru.ru_maxrss} {ru.ru_utime} {ru.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def gnu_time_works() -> bool:
    if not os.access(GNU_TIME, os.X_OK):
        return False
    with tempfile.NamedTemporaryFile("r") as f:
        p = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", f.name, "true"], check=False, capture_output=True
        )
        return p.returncode == 0 and f.read().strip().isdigit()


USE_GNU_TIME = gnu_time_works()


def run_once(
    argv: list[str], stdin: Path | None, stdout: Path | None, env: dict[str, str], cwd: Path
) -> Sample:
    """Run argv once: its wall time and its peak RSS (that of its process tree's largest
    process), measured with GNU time, or else with a fresh Python wrapper."""
    with (
        open(stdin or os.devnull, "rb") as fin,
        open(stdout or os.devnull, "wb") as fout,
        tempfile.TemporaryFile() as ferr,
        tempfile.NamedTemporaryFile("r") as frss,
    ):
        if USE_GNU_TIME:
            full = [GNU_TIME, "-f", "%M %U %S", "-o", frss.name, *argv]
        else:
            full = [sys.executable, "-I", "-S", "-c", RSS_WRAPPER, frss.name, *argv]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        rc = subprocess.call(full, stdin=fin, stdout=fout, stderr=ferr, env=env, cwd=cwd)
        wall = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ferr.seek(0)
        err = ferr.read()[-4000:].decode(errors="replace")
        fields = frss.read().split()
    rss = None
    try:
        if USE_GNU_TIME:  # after "Command exited with non-zero status N", if it did
            rss = int(fields[-3])
        else:
            wall, rss = float(fields[0]), int(fields[1])
    except (IndexError, ValueError):
        pass
    # CPU from the kernel's accounting of the finished children (microseconds; GNU time's
    # %U/%S has only 10 ms steps): the command's tree, plus the small timing process
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return Sample(wall, rss, cpu, rc, err)


def instructions(argv: list[str], stdin: Path | None, env: dict[str, str], cwd: Path
                 ) -> int | None:
    """Instructions executed by argv and its children (callgrind; None without valgrind).
    Deterministic to a fraction of a percent, unlike time on a shared machine."""
    if VALGRIND is None:
        return None
    full = [VALGRIND, "--tool=callgrind", "--trace-children=yes",
            "--callgrind-out-file=/dev/null", *argv]
    with open(stdin or os.devnull, "rb") as fin:
        p = subprocess.run(full, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=env, cwd=cwd, check=False)
    counts = [int(line.rsplit(":", 1)[1].replace(",", ""))
              for line in p.stderr.decode(errors="replace").splitlines()
              if "Collected :" in line]
    if p.returncode != 0 or not counts:
        raise HarnessError(f"callgrind failed on {argv}: {p.stderr[-2000:]!r}")
    return sum(counts)


def build_c_floor(out: Path) -> Path | None:
    """bench/libyaml_floor.c built against libyaml, or None (no cc or no libyaml-dev)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    exe = out / "libyaml-floor"
    p = subprocess.run([cc, "-O2", "-o", str(exe), str(HERE / "libyaml_floor.c"), "-lyaml"],
                       capture_output=True, check=False)
    return exe if p.returncode == 0 else None


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b or math.isnan(b) else a / b


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def median_known(xs: list[float | None]) -> float:
    return median([x for x in xs if x is not None])


def peak_mb(kbs: list[int | None]) -> float:
    known = [k for k in kbs if k is not None]
    return max(known) / 1024 if known else math.nan


def sh(cmd: str) -> list[str]:
    return ["/bin/sh", "-c", cmd]


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def fn_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def check_resourcelist(path: Path, min_items: int) -> int:
    """Parse the function's output once; raise FunctionFailed unless it is a
    ResourceList with at least ``min_items`` items. Returns the item count."""
    try:
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as e:
        raise FunctionFailed(f"output {path} is not valid YAML: {e}") from e
    if not isinstance(doc, dict) or doc.get("kind") != "ResourceList":
        raise FunctionFailed(f"output {path} is not a ResourceList")
    items = doc.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise FunctionFailed(f"output {path}: items is not a list")
    if len(items) < min_items:
        raise FunctionFailed(f"output {path}: {len(items)} items, input had {min_items}")
    return len(items)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out: Path = args.out
        self.env = fn_env()
        self.fn_cmd: str = args.fn
        self.kpt: str | None = None if args.no_kpt else args.kpt
        self.work = self.out / "data"
        self.work.mkdir(parents=True, exist_ok=True)
        if any(c.isspace() for c in str(self.work)):
            raise HarnessError(f"kpt --exec cannot take a path with spaces: {self.work}")
        quoted_repo = shlex.quote(str(REPO))
        prelude = (
            f"cd {quoted_repo} || exit 1\n"
            f"PYTHONPATH={quoted_repo}${{PYTHONPATH:+:$PYTHONPATH}}\nexport PYTHONPATH\n"
        )
        self.fn_wrapper = write_script(
            self.work / "fn-wrapper.sh", prelude + f"exec /bin/sh -c {shlex.quote(self.fn_cmd)}\n"
        )
        self.cat_wrapper = write_script(self.work / "cat-wrapper.sh", "exec cat\n")
        floor_cmd = f"{shlex.quote(sys.executable)} -c {shlex.quote(FLOOR_CODE)}"
        self.floor_cmd = floor_cmd
        self.floor_wrapper = write_script(
            self.work / "floor-wrapper.sh", prelude + f"exec /bin/sh -c {shlex.quote(floor_cmd)}\n"
        )
        py = shlex.quote(sys.executable)
        c_floor = build_c_floor(self.out)
        self.c_floor_kind = (
            "libyaml C program" if c_floor else "CParser.raw_parse (no cc/libyaml-dev)")
        self.c_floor_cmd = (shlex.quote(str(c_floor)) if c_floor
                            else f"{py} -c {shlex.quote(RAW_PARSE_CODE)}")
        self.events_cmd = f"{py} -c {shlex.quote(EVENTS_CODE)}"
        self.compare: tuple[str, Path, dict[str, str]] | None = None
        if args.compare:
            self.compare = self.export_revision(args.compare)

    # -- helpers ----------------------------------------------------------------------

    def export_revision(self, rev: str) -> tuple[str, Path, dict[str, str]]:
        """fn/ of an earlier commit, to run the same --fn command on: (sha, dir, env)."""
        p = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            raise HarnessError(f"--compare: unknown revision {rev!r}: {p.stderr.strip()}")
        sha = p.stdout.strip()
        tree = self.out / f"compare-{sha}"
        if not (tree / "fn").is_dir():
            tree.mkdir(parents=True, exist_ok=True)
            paths = [p for p in ("fn", "setup.py", "pyproject.toml") if subprocess.run(
                ["git", "-C", str(REPO), "cat-file", "-e", f"{sha}:{p}"],
                capture_output=True, check=False).returncode == 0]
            archive = subprocess.run(["git", "-C", str(REPO), "archive", sha, *paths],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        if (tree / "fn" / "_yamlwalk.c").is_file() and not any(
                (tree / "fn").glob("_yamlwalk*.so")):
            # its own compiled reader: else Python would find this tree's (an installed
            # editable package maps fn._yamlwalk there), built from other sources
            built = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"],
                                   cwd=tree, capture_output=True, text=True, check=False)
            if built.returncode != 0:
                raise HarnessError(f"--compare: cannot build {sha}'s fn._yamlwalk:\n"
                                   f"{built.stderr[-2000:]}")
        import compileall

        compileall.compile_dir(str(tree / "fn"), quiet=1)
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(tree), os.environ.get("PYTHONPATH")) if p)
        return sha, tree, env

    def ir(self, cmd: str, stdin: Path | None, which: str = "this") -> int | None:
        """Instructions of a shell command (``which="before"``: in the compared tree)."""
        if which == "before":
            assert self.compare
            return instructions(sh(cmd), stdin, self.compare[2], self.compare[1])
        return instructions(sh(cmd), stdin, self.env, REPO)

    def cpu_of(self, cmd: str, stdin: Path | None) -> float | None:
        s = run_once(sh(cmd), stdin, None, self.env, REPO)
        if s.rc != 0:
            raise HarnessError(f"`{cmd}` exited {s.rc}:\n{s.stderr}")
        return s.cpu

    def log(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def fn(self, stdin: Path, stdout: Path | None) -> Sample:
        s = run_once(sh(self.fn_cmd), stdin, stdout, self.env, REPO)
        if s.rc != 0:
            raise FunctionFailed(f"`{self.fn_cmd}` exited {s.rc} on {stdin}:\n{s.stderr}")
        return s

    def floor(self, stdin: Path, stdout: Path | None) -> Sample:
        s = run_once(sh(self.floor_cmd), stdin, stdout, self.env, REPO)
        if s.rc != 0:
            raise HarnessError(f"libyaml floor exited {s.rc}:\n{s.stderr}")
        return s

    def kpt_eval(self, pkg: Path, fnconfig: Path, wrapper: Path) -> Sample:
        assert self.kpt
        argv = [
            self.kpt,
            "fn",
            "eval",
            str(pkg),
            "--exec",
            str(wrapper),
            "--fn-config",
            str(fnconfig),
            "-o",
            "stdout",
        ]
        s = run_once(argv, None, None, self.env, self.work)
        if s.rc != 0:
            what = "the function" if wrapper == self.fn_wrapper else wrapper.name
            err = f"kpt fn eval with {what} exited {s.rc}:\n{s.stderr}"
            raise FunctionFailed(err) if wrapper == self.fn_wrapper else HarnessError(err)
        return s

    def capture(self, d: Path, paths: dict) -> Path:
        """Run kpt once with the function, keeping what the function wrote; the wrapper
        that writes it again (reading its input first): a function costing no CPU whose
        output is the function's, to measure what kpt itself spends on that output."""
        saved = d / "kpt-fn-output.yaml"
        out = shlex.quote(str(saved))
        capture = write_script(d / "capture-wrapper.sh", f"{shlex.quote(str(self.fn_wrapper))}"
                               f" > {out} || exit 1\nexec cat {out}\n")
        self.kpt_eval(paths["pkg"], paths["fnconfig"], capture)
        if not saved.stat().st_size:
            raise HarnessError(f"kpt with {capture.name}: the function wrote nothing")
        return write_script(d / "replay-wrapper.sh",
                            f"cat > /dev/null\nexec cat {shlex.quote(str(saved))}\n")

    # -- measurements -----------------------------------------------------------------

    def startup(self, empty: Path) -> dict:
        n = self.args.startup_runs
        py = shlex.quote(sys.executable)
        out = self.work / "startup-output.yaml"
        self.fn(empty, out)  # warm-up (and .pyc compile), then check the output
        check_resourcelist(out, 0)
        run_once(sh(f"{py} -c pass"), None, None, self.env, REPO)
        others = {
            "python_pass": f"{py} -c pass",
            "python_S_pass": f"{py} -S -c pass",
            "python_import_yaml": f"{py} -c 'import yaml'",
        }
        fn_t: list[float] = []
        fn_rss: list[int | None] = []
        fn_cpu: list[float | None] = []
        before_cpu: list[float | None] = []
        times: dict[str, list[float]] = {k: [] for k in others}
        cpus: dict[str, list[float | None]] = {k: [] for k in others}
        for _ in range(n):
            s = self.fn(empty, out)
            fn_t.append(s.wall)
            fn_rss.append(s.rss_kb)
            fn_cpu.append(s.cpu)
            for k, cmd in others.items():
                o = run_once(sh(cmd), None, None, self.env, REPO)
                times[k].append(o.wall)
                cpus[k].append(o.cpu)
            if self.compare:
                b = run_once(sh(self.fn_cmd), empty, None, self.compare[2], self.compare[1])
                before_cpu.append(b.cpu)
        res = {"runs": n, "fn_ms": 1000 * median(fn_t), "fn_min_ms": 1000 * min(fn_t)}
        for k, ts in times.items():
            res[f"{k}_ms"] = 1000 * median(ts)
            res[f"{k}_cpu_ms"] = 1000 * median_known(cpus[k])
        res["fn_cpu_ms"] = 1000 * median_known(fn_cpu)
        res["fn_over_pass_cpu"] = res["fn_cpu_ms"] / res["python_pass_cpu_ms"]
        if before_cpu:
            res["before_fn_cpu_ms"] = 1000 * median_known(before_cpu)
        res["fn_rss_mb"] = peak_mb(fn_rss)
        res["fn_runs_ms"] = [1000 * t for t in fn_t]
        if VALGRIND:
            self.log("start-up: instructions (callgrind)")
            res["fn_ir"] = self.ir(self.fn_cmd, empty)
            res["python_pass_ir"] = self.ir(others["python_pass"], None)
            res["python_S_pass_ir"] = self.ir(others["python_S_pass"], None)
            res["fn_over_pass_ir"] = res["fn_ir"] / res["python_pass_ir"]
            if self.compare:
                res["before_fn_ir"] = self.ir(self.fn_cmd, empty, "before")
        return res

    def size(self, size: int, runs: int, with_kpt: bool) -> dict:
        d = self.work / str(size)
        gen = generate.generate(size, self.args.seed)
        paths = generate.write(gen, d)
        rl = paths["resourcelist"]
        nbytes = rl.stat().st_size
        fn_out = d / "fn-output.yaml"
        self.log(
            f"[{size}] {nbytes:,} bytes, {gen.items} items, {len(gen.files)} files; "
            f"{runs} run(s){' with kpt' if with_kpt else ''}"
        )
        fn_s, floor_s, kfn_s, kcat_s, kfloor_s = [], [], [], [], []
        cpu: dict[str, list[float | None]] = {
            "fn": [], "floor": [], "kpt_fn": [], "kpt_cat": [], "kpt_replay": [],
            "c_floor": [], "events": [],
            "before_fn": []}
        fn_rss, floor_rss = [], []
        out_items = None
        replay = self.capture(d, paths) if with_kpt else None
        for i in range(runs):
            s = self.fn(rl, fn_out)
            fn_s.append(s.wall)
            fn_rss.append(s.rss_kb)
            cpu["fn"].append(s.cpu)
            if i == 0:
                out_items = check_resourcelist(fn_out, gen.items)
            f = self.floor(rl, d / "floor-output.yaml")
            floor_s.append(f.wall)
            floor_rss.append(f.rss_kb)
            cpu["floor"].append(f.cpu)
            cpu["c_floor"].append(self.cpu_of(self.c_floor_cmd, rl))
            cpu["events"].append(self.cpu_of(self.events_cmd, rl))
            if self.compare:
                b = run_once(sh(self.fn_cmd), rl, None, self.compare[2], self.compare[1])
                if b.rc != 0:
                    raise HarnessError(f"the compared revision exited {b.rc}:\n{b.stderr}")
                cpu["before_fn"].append(b.cpu)
            if with_kpt:
                k = self.kpt_eval(paths["pkg"], paths["fnconfig"], self.fn_wrapper)
                kfn_s.append(k.wall)
                cpu["kpt_fn"].append(k.cpu)
                k = self.kpt_eval(paths["pkg"], paths["fnconfig"], self.cat_wrapper)
                kcat_s.append(k.wall)
                cpu["kpt_cat"].append(k.cpu)
                assert replay is not None
                k = self.kpt_eval(paths["pkg"], paths["fnconfig"], replay)
                cpu["kpt_replay"].append(k.cpu)
                if self.args.kpt_floor:
                    kfloor_s.append(
                        self.kpt_eval(paths["pkg"], paths["fnconfig"], self.floor_wrapper).wall
                    )
            msg = f"  run {i + 1}/{runs}: fn {s.wall:.3f}s floor {f.wall:.3f}s"
            if with_kpt:
                msg += f" kpt+fn {kfn_s[-1]:.2f}s kpt+cat {kcat_s[-1]:.2f}s"
                if kfloor_s:
                    msg += f" kpt+floor {kfloor_s[-1]:.2f}s"
            self.log(msg)
        r = {
            "size": size,
            "items": gen.items,
            "output_items": out_items,
            "files": len(gen.files),
            "bytes": nbytes,
            "runs": runs,
            "fn_s": median(fn_s),
            "floor_s": median(floor_s),
            "fn_runs_s": fn_s,
            "floor_runs_s": floor_s,
            "fn_rss_mb": peak_mb(fn_rss),
            "floor_rss_mb": peak_mb(floor_rss),
        }
        for key, xs in cpu.items():
            if xs:
                r[f"{key}_cpu_s"] = median_known(xs)
                r[f"{key}_cpu_runs_s"] = xs
        r["fn_over_floor"] = r["fn_s"] / r["floor_s"]
        r["fn_over_floor_cpu"] = r["fn_cpu_s"] / r["floor_cpu_s"]
        # (None where the floor took less than the clock's tick: tiny inputs)
        r["fn_over_c_floor_cpu"] = ratio(r["fn_cpu_s"], r["c_floor_cpu_s"])
        r["fn_over_events_cpu"] = ratio(r["fn_cpu_s"], r["events_cpu_s"])
        if "before_fn_cpu_s" in r:
            r["fn_over_before_cpu"] = ratio(r["fn_cpu_s"], r["before_fn_cpu_s"])
        if VALGRIND and size in self.args.ir_sizes:
            self.log(f"  instructions (callgrind, slow): fn, C floor"
                     f"{', events' if self.args.ir_events else ''}"
                     f"{', compared revision' if self.compare else ''}")
            r["fn_ir"] = self.ir(self.fn_cmd, rl)
            r["c_floor_ir"] = self.ir(self.c_floor_cmd, rl)
            r["fn_over_c_floor_ir"] = r["fn_ir"] / r["c_floor_ir"]
            if self.args.ir_events:
                r["events_ir"] = self.ir(self.events_cmd, rl)
                r["fn_over_events_ir"] = r["fn_ir"] / r["events_ir"]
            if self.compare:
                r["before_fn_ir"] = self.ir(self.fn_cmd, rl, "before")
                r["fn_over_before_ir"] = r["fn_ir"] / r["before_fn_ir"]
        r["rss_over_input"] = r["fn_rss_mb"] * 1024 * 1024 / nbytes
        if with_kpt:
            r.update(
                kpt_fn_s=median(kfn_s),
                kpt_cat_s=median(kcat_s),
                kpt_fn_runs_s=kfn_s,
                kpt_cat_runs_s=kcat_s,
            )
            r["kpt_ratio"] = r["kpt_fn_s"] / r["kpt_cat_s"]
            r["kpt_ratio_cpu"] = r["kpt_fn_cpu_s"] / r["kpt_cat_cpu_s"]
            # each run's own ratio (its kpt+fn and kpt+cat ran one after the other): their
            # spread says how far the medians' ratio can be trusted on this machine
            r["kpt_ratio_cpu_runs"] = [f / c for f, c in zip(
                r["kpt_fn_cpu_runs_s"], r["kpt_cat_cpu_runs_s"], strict=True) if f and c]
            if r.get("fn_cpu_s") is not None:  # the function's own CPU is part of kpt+fn's:
                # the ratio to expect were kpt to spend no more on it than on cat
                r["kpt_ratio_cpu_least"] = 1 + r["fn_cpu_s"] / r["kpt_cat_cpu_s"]
            if r.get("kpt_replay_cpu_s") is not None:  # kpt's own cost of the output
                r["kpt_replay_ratio_cpu"] = r["kpt_replay_cpu_s"] / r["kpt_cat_cpu_s"]
            if kfloor_s:
                r.update(kpt_floor_s=median(kfloor_s), kpt_floor_runs_s=kfloor_s)
                r["kpt_floor_ratio"] = r["kpt_floor_s"] / r["kpt_cat_s"]
        return r


# -- report ---------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def analyse(sizes: list[dict], start: dict) -> tuple[dict, list[dict]]:
    t0 = start["fn_ms"] / 1000
    base_rss = start["fn_rss_mb"]
    for r in sizes:
        r["us_per_resource"] = 1e6 * r["fn_s"] / r["size"]
        r["us_per_resource_above_startup"] = 1e6 * max(r["fn_s"] - t0, 0.0) / r["size"]
        r["floor_us_per_resource"] = 1e6 * r["floor_s"] / r["size"]
        r["rss_above_startup_over_input"] = (
            max(r["fn_rss_mb"] - base_rss, 0.0) * 1024 * 1024 / r["bytes"]
        )
    growth: dict = {"exponent": None}
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        ta, tb = a["fn_s"] - t0, b["fn_s"] - t0
        if ta > 0 and tb > 0 and b["size"] != a["size"]:
            growth = {
                "from": a["size"],
                "to": b["size"],
                "exponent": math.log(tb / ta) / math.log(b["size"] / a["size"]),
            }
    big = sizes[-1] if sizes else None
    kbig = next((r for r in reversed(sizes) if "kpt_ratio" in r), None)
    targets = [
        {
            "name": f"fn <= {T_FN_FLOOR}x libyaml floor at {big['size'] if big else '-'}",
            "value": big["fn_over_floor"] if big else None,
            "limit": T_FN_FLOOR,
        },
        {
            "name": "linear growth (time ~ n^k, k over the two largest sizes)",
            "value": growth["exponent"],
            "limit": T_GROWTH_EXP,
        },
        {"name": "empty-list start-up (ms)", "value": start["fn_ms"], "limit": T_STARTUP_MS},
        {
            "name": f"kpt+fn <= {T_KPT_RATIO}x kpt+cat at {kbig['size'] if kbig else '-'}",
            "value": kbig["kpt_ratio"] if kbig else None,
            "limit": T_KPT_RATIO,
        },
        {
            "name": f"peak RSS <= {T_RSS_RATIO}x input at {big['size'] if big else '-'}",
            "value": big["rss_over_input"] if big else None,
            "limit": T_RSS_RATIO,
        },
    ]
    for t in targets:
        t["pass"] = None if t["value"] is None else t["value"] <= t["limit"]
    # The same ratios at the smaller sizes, for information.
    for t, key, ref in (
        (targets[0], "fn_over_floor", big),
        (targets[3], "kpt_ratio", kbig),
        (targets[4], "rss_over_input", big),
    ):
        others = [f"{r['size']}: {r[key]:.2f}" for r in sizes if key in r and r is not ref]
        if others:
            t["smaller_sizes"] = ", ".join(others)
    return growth, targets


def issue14_targets(sizes: list[dict], start: dict) -> list[dict]:
    """Issue 14's targets, each a ratio in the same run; a target whose sizes were not
    run has no value ("n/a"). Each row also shows the ratio at the sizes that were."""

    def at(key: str, wanted: tuple[int, ...]) -> tuple[float | None, str]:
        rows = [r for r in sizes if key in r and r.get(key) is not None]
        hit = [r for r in rows if r["size"] in wanted]
        worst = max((r[key] for r in hit), default=None)
        return worst, ", ".join(f"{r['size']}: {r[key]:.2f}" for r in rows)

    ts = [
        {"name": "start-up CPU / `python -c pass` (empty list)",
         "value": start.get("fn_over_pass_cpu"), "limit": T14_STARTUP},
        {"name": "start-up instructions / `python -c pass`",
         "value": start.get("fn_over_pass_ir"), "limit": T14_STARTUP},
    ]
    for name, key, wanted, limit in (
        ("peak RSS above the empty-list run / input, worst of 5k, 50k",
         "rss_above_startup_over_input", (5000, 50000), T14_RSS_ABOVE),
        ("fn instructions at 5k / the revision before", "fn_over_before_ir", (5000,),
         T14_IR_VS_BEFORE),
        ("kpt+fn / kpt+cat CPU, worst of 1k, 5k", "kpt_ratio_cpu", (1000, 5000), T14_KPT_CPU),
    ):
        value, all_sizes = at(key, wanted)
        ts.append({"name": name, "value": value, "limit": limit, "smaller_sizes": all_sizes})
    for t in ts:
        t["pass"] = None if t["value"] is None else t["value"] <= t["limit"]
    return ts


def apply_baseline(path: Path, sizes: list[dict], start: dict) -> str:
    """Ratios against an earlier results.json (``--baseline``) where --compare gave none:
    instructions (machine-independent enough), and CPU (only if the machine is the same)."""
    old = json.loads(path.read_text())
    by_size = {r["size"]: r for r in old.get("sizes", [])}
    for r in sizes:
        o = by_size.get(r["size"], {})
        if "fn_over_before_ir" not in r and o.get("fn_ir") and r.get("fn_ir"):
            r["before_fn_ir"] = o["fn_ir"]
            r["fn_over_before_ir"] = r["fn_ir"] / o["fn_ir"]
        if "fn_over_before_cpu" not in r and o.get("fn_cpu_s") and r.get("fn_cpu_s"):
            r["before_fn_cpu_s"] = o["fn_cpu_s"]
            r["fn_over_before_cpu"] = r["fn_cpu_s"] / o["fn_cpu_s"]
    ostart = old.get("startup", {})
    if "before_fn_ir" not in start and ostart.get("fn_ir"):
        start["before_fn_ir"] = ostart["fn_ir"]
    if "before_fn_cpu_ms" not in start and ostart.get("fn_cpu_ms"):
        start["before_fn_cpu_ms"] = ostart["fn_cpu_ms"]
    return f"baseline {path} ({old.get('meta', {}).get('date', '?')})"


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def print_report(
    meta: dict, sizes: list[dict], start: dict, growth: dict, targets: list[dict],
    targets14: list[dict] | None = None,
) -> None:
    print()
    print(f"fn: {meta['fn']}")
    print(
        f"python {meta['python']}, PyYAML {meta['pyyaml']} (libyaml {meta['libyaml']}), "
        f"kpt {meta['kpt_version'] or 'not used'}, {meta['cpus']} CPUs, load average "
        f"{meta['loadavg_start'][0]:.2f} at start, {meta['loadavg_end'][0]:.2f} at end; "
        f"peak RSS by {meta['rss_method']}"
    )
    if meta["loadavg_start"][0] > 0.5 * (meta["cpus"] or 1):
        print(
            "note: the machine was busy when the run started; timings are noisy "
            "(every run is in results.json)"
        )
    if meta["dont_write_bytecode"]:
        print(
            "note: PYTHONDONTWRITEBYTECODE is set: modules without an up-to-date .pyc are "
            "compiled again in every run (start-up)"
        )
    print()
    cols = [
        "size",
        "bytes",
        "fn s",
        "floor s",
        "fn/floor",
        "kpt+fn s",
        "kpt+cat s",
        "ratio",
        "RSS MB",
        "RSS/in",
        "floorRSS",
        "us/res",
        "us/res-0",
        "floor us/res",
    ]
    has_kfloor = any("kpt_floor_s" in r for r in sizes)
    if has_kfloor:
        cols[7:7] = ["kpt+floor s", "ratio"]
    rows = []
    for r in sizes:
        row = [
            str(r["size"]),
            f"{r['bytes']:,}",
            fmt(r["fn_s"], ".3f"),
            fmt(r["floor_s"], ".3f"),
            fmt(r["fn_over_floor"], ".2f"),
            fmt(r.get("kpt_fn_s"), ".2f"),
            fmt(r.get("kpt_cat_s"), ".2f"),
            fmt(r.get("kpt_ratio"), ".2f"),
            fmt(r["fn_rss_mb"], ".1f"),
            fmt(r["rss_over_input"], ".2f"),
            fmt(r["floor_rss_mb"], ".1f"),
            fmt(r["us_per_resource"], ".0f"),
            fmt(r["us_per_resource_above_startup"], ".0f"),
            fmt(r["floor_us_per_resource"], ".0f"),
        ]
        if has_kfloor:
            row[7:7] = [fmt(r.get("kpt_floor_s"), ".2f"), fmt(r.get("kpt_floor_ratio"), ".2f")]
        rows.append(row)
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    print()
    print("  fn s / floor s: median wall time of the function / of libyaml load+dump, same input")
    print("  ratio: kpt fn eval with the function / with `exec cat`, same package")
    print("  RSS MB: peak RSS of the function; RSS/in: that / input bytes; floorRSS: libyaml's")
    print("  us/res: fn time per resource; us/res-0: same after subtracting empty-list start-up")
    print()
    print(
        "CPU time (user+sys of the process tree, median; steadier than wall time on a "
        "busy machine):"
    )
    for r in sizes:
        line = (
            f"  {r['size']}: fn {fmt(r.get('fn_cpu_s'), '.3f')} s, floor "
            f"{fmt(r.get('floor_cpu_s'), '.3f')} s, fn/floor "
            f"{fmt(r.get('fn_over_floor_cpu'), '.2f')}"
        )
        if "kpt_ratio_cpu" in r:
            line += (
                f"; kpt+fn {r['kpt_fn_cpu_s']:.2f} s, kpt+cat {r['kpt_cat_cpu_s']:.2f} s, "
                f"ratio {r['kpt_ratio_cpu']:.2f}"
            )
            runs = r.get("kpt_ratio_cpu_runs") or []
            if len(runs) > 1:
                line += f" (each run: {min(runs):.2f} to {max(runs):.2f})"
            if "kpt_ratio_cpu_least" in r:
                line += f" (1 + fn/kpt+cat: {r['kpt_ratio_cpu_least']:.3f})"
            if "kpt_replay_ratio_cpu" in r:
                line += (f"; kpt+replay {r['kpt_replay_cpu_s']:.2f} s, kpt+replay/kpt+cat "
                         f"{r['kpt_replay_ratio_cpu']:.3f}")
        print(line)
    print()
    print(
        f"start-up ({start['runs']} runs, median): fn on empty ResourceList "
        f"{start['fn_ms']:.1f} ms (min {start['fn_min_ms']:.1f}); "
        f"python -c pass {start['python_pass_ms']:.1f} ms, "
        f"python -S -c pass {start['python_S_pass_ms']:.1f} ms, "
        f"python -c 'import yaml' {start['python_import_yaml_ms']:.1f} ms; "
        f"fn RSS {start['fn_rss_mb']:.1f} MB"
    )
    if growth.get("exponent") is not None:
        print(
            f"growth: fn time above start-up ~ n^{growth['exponent']:.2f} from "
            f"{growth['from']} to {growth['to']} resources (1.00 = linear)"
        )
    for r in sizes:
        extra = r["rss_above_startup_over_input"]
        print(
            f"memory at {r['size']}: fn peak {r['fn_rss_mb']:.1f} MB = "
            f"{r['rss_over_input']:.2f}x input ({extra:.2f}x above the empty-list RSS), "
            f"floor {r['floor_rss_mb']:.1f} MB"
        )
    print_floors(meta, sizes, start)
    print()
    print("targets:")
    for t in targets:
        val = fmt(t["value"], ".2f")
        more = f"; at {t['smaller_sizes']}" if t.get("smaller_sizes") else ""
        print(f"  [{verdict(t['pass'])}] {t['name']}: {val} (limit {t['limit']}){more}")
    if targets14:
        print("targets (issue 14):")
        for t in targets14:
            val = fmt(t["value"], ".2f")
            more = f"; at {t['smaller_sizes']}" if t.get("smaller_sizes") else ""
            print(f"  [{verdict(t['pass'])}] {t['name']}: {val} (limit {t['limit']}){more}")


def mega(v: float | None) -> str:
    return "-" if v is None else f"{v / 1e6:,.1f}M"


def print_floors(meta: dict, sizes: list[dict], start: dict) -> None:
    """Start-up, the distance to libyaml's floors, and the revision before (issue 14)."""
    print()
    line = (f"start-up CPU: fn {fmt(start.get('fn_cpu_ms'), '.1f')} ms, python -c pass "
            f"{fmt(start.get('python_pass_cpu_ms'), '.1f')} ms, python -S -c pass "
            f"{fmt(start.get('python_S_pass_cpu_ms'), '.1f')} ms: fn/pass "
            f"{fmt(start.get('fn_over_pass_cpu'), '.2f')}")
    if start.get("before_fn_cpu_ms"):
        line += f"; {meta.get('before', 'before')}: fn {start['before_fn_cpu_ms']:.1f} ms"
    print(line)
    if "fn_ir" in start:
        line = (f"start-up instructions: fn {mega(start['fn_ir'])}, python -c pass "
                f"{mega(start['python_pass_ir'])}, python -S -c pass "
                f"{mega(start['python_S_pass_ir'])}: fn/pass {start['fn_over_pass_ir']:.2f}")
        if start.get("before_fn_ir"):
            line += (f"; before: fn {mega(start['before_fn_ir'])} "
                     f"(now/before {start['fn_ir'] / start['before_fn_ir']:.2f})")
        print(line)
    print(f"floors (CPU of whole processes, median; C floor: {meta.get('c_floor', '?')}; "
          "events: PyYAML's CParser events iterated in Python):")
    for r in sizes:
        line = (f"  {r['size']}: fn {fmt(r.get('fn_cpu_s'), '.3f')} s, C floor "
                f"{fmt(r.get('c_floor_cpu_s'), '.3f')} s, events "
                f"{fmt(r.get('events_cpu_s'), '.3f')} s; fn/C "
                f"{fmt(r.get('fn_over_c_floor_cpu'), '.1f')}, fn/events "
                f"{fmt(r.get('fn_over_events_cpu'), '.2f')}")
        if r.get("before_fn_cpu_s"):
            line += (f"; before {r['before_fn_cpu_s']:.3f} s, now/before "
                     f"{fmt(r.get('fn_over_before_cpu'), '.2f')}")
        print(line)
        if "fn_ir" in r:
            line = (f"     instructions: fn {mega(r['fn_ir'])}, C floor {mega(r['c_floor_ir'])}"
                    f" (fn/C {r['fn_over_c_floor_ir']:.1f})")
            if "events_ir" in r:
                line += f", events {mega(r['events_ir'])} (fn/events {r['fn_over_events_ir']:.2f})"
            if "before_fn_ir" in r:
                line += (f", before {mega(r['before_fn_ir'])} "
                         f"(now/before {r['fn_over_before_ir']:.2f})")
            print(line)


def tool_version(argv: list[str]) -> str | None:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (p.stdout or p.stderr).strip().splitlines()[0] if p.returncode == 0 else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark the replicated-proxy KRM function (see bench/README.md)."
    )
    ap.add_argument(
        "--sizes", default=None, help="comma-separated resource counts (default 100,1000,5000)"
    )
    ap.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs per size (default: 5, or 3 above 1000 resources; --quick: 1)",
    )
    ap.add_argument(
        "--fn",
        default=None,
        help="shell command of the function, reading stdin, writing stdout "
        "(default: python -m fn from the repo root)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="under 2 minutes: sizes up to 5000, 1 run per size, 10 start-up runs",
    )
    ap.add_argument("--kpt", default=shutil.which("kpt") or "/usr/bin/kpt")
    ap.add_argument("--no-kpt", action="store_true", help="skip the kpt comparison")
    ap.add_argument(
        "--kpt-sizes",
        default=None,
        help="comma-separated sizes to run kpt on (default: those <= 5000)",
    )
    ap.add_argument(
        "--kpt-floor",
        action="store_true",
        help="also time kpt with the libyaml load+dump as the function",
    )
    ap.add_argument("--startup-runs", type=int, default=None, help="default 20 (--quick: 10)")
    ap.add_argument(
        "--compare", metavar="REV", default=None,
        help="also run fn/ of git revision REV (e.g. HEAD~1), alternating, and report "
        "now/before in CPU and instructions")
    ap.add_argument(
        "--baseline", type=Path, default=None,
        help="an earlier results.json: now/before where --compare gave none")
    ap.add_argument(
        "--ir-sizes", default=None,
        help="sizes to count instructions at with callgrind (slow: ~80 s at 5000). Default: "
        "5000 (--quick: none, or 1000 with --compare); 'none' for none")
    ap.add_argument("--ir-events", action="store_true",
                    help="also count the Python event iteration's instructions")
    ap.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE / "out",
        help="where inputs, outputs and results.json go (default bench/out)",
    )
    args = ap.parse_args(argv)
    args.sizes = (
        sorted({int(s) for s in args.sizes.split(",")}) if args.sizes
        else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    )
    if not args.sizes or min(args.sizes) < 1:
        ap.error("--sizes takes positive integers")
    if args.fn is None:
        args.fn = f"{shlex.quote(sys.executable)} -m fn"
        # measure the function as pip installs it: with its byte-code compiled (this
        # machine sets PYTHONDONTWRITEBYTECODE, so a checkout would recompile every run)
        import compileall

        compileall.compile_dir(str(REPO / "fn"), quiet=1)
    if args.ir_sizes is None:
        args.ir_sizes = ({1000} if args.compare else set()) if args.quick else {5000}
    elif args.ir_sizes == "none":
        args.ir_sizes = set()
    else:
        args.ir_sizes = {int(s) for s in args.ir_sizes.split(",")}
    if args.startup_runs is None:
        args.startup_runs = 10 if args.quick else 20
    if args.kpt_sizes:
        args.kpt_sizes = {int(s) for s in args.kpt_sizes.split(",")}
    else:
        args.kpt_sizes = {s for s in args.sizes if s <= 5000}
    args.out = args.out.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    if not args.no_kpt and not (shutil.which(args.kpt) or Path(args.kpt).is_file()):
        print(f"kpt not found at {args.kpt}: skipping the kpt comparison", file=sys.stderr)
        args.no_kpt = True
    meta = {
        "fn": args.fn,
        "python": platform.python_version(),
        "pyyaml": yaml.__version__,
        "libyaml": yaml.__with_libyaml__,
        "kpt_version": None if args.no_kpt else tool_version([args.kpt, "version"]),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "seed": args.seed,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick,
        "rss_method": "GNU time %M" if USE_GNU_TIME else "fresh Python wrapper (>= ~8 MB)",
        "loadavg_start": os.getloadavg(),
        "dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "valgrind": VALGRIND,
    }
    if not yaml.__with_libyaml__:
        print("PyYAML has no libyaml: the floor cannot be measured", file=sys.stderr)
        return 2
    results: dict = {"meta": meta}
    try:
        bench = Bench(args)
        meta["c_floor"] = bench.c_floor_kind
        if bench.compare:
            meta["before"] = f"revision {bench.compare[0]}"
        empty = bench.work / "empty-resourcelist.yaml"
        empty.write_text(generate.generate(1, args.seed).empty_resourcelist)
        bench.log(f"start-up: {args.startup_runs} runs of the fn on an empty ResourceList")
        start = bench.startup(empty)
        sizes = []
        for size in args.sizes:
            runs = args.runs or (
                1 if args.quick or size > 5000 else (5 if size <= 1000 else 3))
            with_kpt = not args.no_kpt and size in args.kpt_sizes
            sizes.append(bench.size(size, runs, with_kpt))
    except FunctionFailed as e:
        print(f"\nFUNCTION FAILED: {e}", file=sys.stderr)
        return 1
    except HarnessError as e:
        print(f"\nBENCHMARK ERROR: {e}", file=sys.stderr)
        return 2
    growth, targets = analyse(sizes, start)
    if args.baseline:
        meta.setdefault("before", apply_baseline(args.baseline, sizes, start))
    targets14 = issue14_targets(sizes, start)
    meta["wall_s"] = time.perf_counter() - began
    meta["loadavg_end"] = os.getloadavg()
    results.update(startup=start, sizes=sizes, growth=growth, targets=targets,
                   targets_issue14=targets14)
    print_report(meta, sizes, start, growth, targets, targets14)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out / 'results.json'} (total {meta['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
