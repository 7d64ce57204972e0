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
DEFAULT_SIZES = (100, 1000, 5000)

# Targets (from the issue).
T_FN_FLOOR = 1.0  # fn / libyaml floor at the largest size
T_STARTUP_MS = 60.0  # fn on an empty ResourceList
T_KPT_RATIO = 1.15  # kpt+fn / kpt+cat
T_RSS_RATIO = 3.0  # peak RSS / input bytes at the largest size
T_GROWTH_EXP = 1.15  # time ~ n^k between the two largest sizes; linear is k = 1


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
        t0 = time.perf_counter()
        rc = subprocess.call(full, stdin=fin, stdout=fout, stderr=ferr, env=env, cwd=cwd)
        wall = time.perf_counter() - t0
        ferr.seek(0)
        err = ferr.read()[-4000:].decode(errors="replace")
        fields = frss.read().split()
    rss, cpu = None, None
    try:
        if USE_GNU_TIME:  # after "Command exited with non-zero status N", if it did
            rss, cpu = int(fields[-3]), float(fields[-2]) + float(fields[-1])
        else:
            wall, rss = float(fields[0]), int(fields[1])
            cpu = float(fields[2]) + float(fields[3])
    except (IndexError, ValueError):
        pass
    return Sample(wall, rss, cpu, rc, err)


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

    # -- helpers ----------------------------------------------------------------------

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
        times: dict[str, list[float]] = {k: [] for k in others}
        for _ in range(n):
            s = self.fn(empty, out)
            fn_t.append(s.wall)
            fn_rss.append(s.rss_kb)
            for k, cmd in others.items():
                times[k].append(run_once(sh(cmd), None, None, self.env, REPO).wall)
        res = {"runs": n, "fn_ms": 1000 * median(fn_t), "fn_min_ms": 1000 * min(fn_t)}
        for k, ts in times.items():
            res[f"{k}_ms"] = 1000 * median(ts)
        res["fn_rss_mb"] = peak_mb(fn_rss)
        res["fn_runs_ms"] = [1000 * t for t in fn_t]
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
        cpu: dict[str, list[float | None]] = {"fn": [], "floor": [], "kpt_fn": [], "kpt_cat": []}
        fn_rss, floor_rss = [], []
        out_items = None
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
            if with_kpt:
                k = self.kpt_eval(paths["pkg"], paths["fnconfig"], self.fn_wrapper)
                kfn_s.append(k.wall)
                cpu["kpt_fn"].append(k.cpu)
                k = self.kpt_eval(paths["pkg"], paths["fnconfig"], self.cat_wrapper)
                kcat_s.append(k.wall)
                cpu["kpt_cat"].append(k.cpu)
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


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def print_report(
    meta: dict, sizes: list[dict], start: dict, growth: dict, targets: list[dict]
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
    print()
    print("targets:")
    for t in targets:
        val = fmt(t["value"], ".2f")
        more = f"; at {t['smaller_sizes']}" if t.get("smaller_sizes") else ""
        print(f"  [{verdict(t['pass'])}] {t['name']}: {val} (limit {t['limit']}){more}")


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
        help="about a minute: 1 run per size, kpt only up to 1000 resources, 10 start-up runs",
    )
    ap.add_argument("--kpt", default=shutil.which("kpt") or "/usr/bin/kpt")
    ap.add_argument("--no-kpt", action="store_true", help="skip the kpt comparison")
    ap.add_argument(
        "--kpt-sizes",
        default=None,
        help="comma-separated sizes to run kpt on (default: all; --quick: <=1000)",
    )
    ap.add_argument(
        "--kpt-floor",
        action="store_true",
        help="also time kpt with the libyaml load+dump as the function",
    )
    ap.add_argument("--startup-runs", type=int, default=None, help="default 20 (--quick: 10)")
    ap.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE / "out",
        help="where inputs, outputs and results.json go (default bench/out)",
    )
    args = ap.parse_args(argv)
    args.sizes = (
        sorted({int(s) for s in args.sizes.split(",")}) if args.sizes else list(DEFAULT_SIZES)
    )
    if not args.sizes or min(args.sizes) < 1:
        ap.error("--sizes takes positive integers")
    if args.fn is None:
        args.fn = f"{shlex.quote(sys.executable)} -m fn"
        # measure the function as pip installs it: with its byte-code compiled (this
        # machine sets PYTHONDONTWRITEBYTECODE, so a checkout would recompile every run)
        import compileall

        compileall.compile_dir(str(REPO / "fn"), quiet=1)
    if args.startup_runs is None:
        args.startup_runs = 10 if args.quick else 20
    if args.kpt_sizes:
        args.kpt_sizes = {int(s) for s in args.kpt_sizes.split(",")}
    else:
        args.kpt_sizes = {s for s in args.sizes if s <= 1000} if args.quick else set(args.sizes)
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
    }
    if not yaml.__with_libyaml__:
        print("PyYAML has no libyaml: the floor cannot be measured", file=sys.stderr)
        return 2
    results: dict = {"meta": meta}
    try:
        bench = Bench(args)
        empty = bench.work / "empty-resourcelist.yaml"
        empty.write_text(generate.generate(1, args.seed).empty_resourcelist)
        bench.log(f"start-up: {args.startup_runs} runs of the fn on an empty ResourceList")
        start = bench.startup(empty)
        sizes = []
        for size in args.sizes:
            runs = args.runs or (1 if args.quick else (5 if size <= 1000 else 3))
            with_kpt = not args.no_kpt and size in args.kpt_sizes
            sizes.append(bench.size(size, runs, with_kpt))
    except FunctionFailed as e:
        print(f"\nFUNCTION FAILED: {e}", file=sys.stderr)
        return 1
    except HarnessError as e:
        print(f"\nBENCHMARK ERROR: {e}", file=sys.stderr)
        return 2
    growth, targets = analyse(sizes, start)
    meta["wall_s"] = time.perf_counter() - began
    meta["loadavg_end"] = os.getloadavg()
    results.update(startup=start, sizes=sizes, growth=growth, targets=targets)
    print_report(meta, sizes, start, growth, targets)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out / 'results.json'} (total {meta['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
