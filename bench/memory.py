"""Where a run's memory goes, phase by phase (issue 14: peak RSS above the empty run).

    python bench/memory.py bench/out/data/5000/resourcelist.yaml [--top 25]

Runs the function once in this process on the ResourceList (read as ``replicated-proxy-fn``
reads stdin), with tracemalloc on. After each phase of the pipeline it prints what Python
holds (``held``) and the most it held during the phase (``peak``), both in MB above the
input text. Then the allocation sites of what was held at the start of the self-check
(where the bench's runs peak since f223eef), largest first: the parts a redesign would have
to shrink. Peak RSS is ``bench/run.py``'s to measure (here tracemalloc's own tables would
count in it); RSS above the empty run is about this peak plus the text plus 0.5 MiB.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fn import (  # noqa: E402
    classify,
    inputs,
    krm,
    named,
    pipeline,
    plan,
    resourcelist,
    selfcheck,
    suspects,
)

# (module, function) in the order they run: each is a phase, measured as it returns
PHASES = [(resourcelist, "read"), (plan, "gather"), (plan, "candidates"),
          (classify, "classify"), (plan, "decide"), (suspects, "report"), (named, "decide"),
          (pipeline, "mutate"), (krm, "write"), (selfcheck, "resource_list")]


class Timeline:
    def __init__(self) -> None:
        self.base = 0
        self.at_check: tracemalloc.Snapshot | None = None

    def start(self, text_bytes: int) -> None:
        self.base = tracemalloc.get_traced_memory()[0]
        print(f"input text {text_bytes / 1e6:.2f} MB; below, MB above it (tracemalloc)")
        print(f"{'phase':26s} {'held MB':>8s} {'peak MB':>8s}")

    def mark(self, label: str) -> None:
        held, peak = tracemalloc.get_traced_memory()
        print(f"{label:26s} {(held - self.base) / 1e6:8.2f} {(peak - self.base) / 1e6:8.2f}")
        tracemalloc.reset_peak()

    def wrap(self, module: object, name: str) -> None:
        original = getattr(module, name)
        label = f"{module.__name__.removeprefix('fn.')}.{name}"  # type: ignore[attr-defined]
        check = module is selfcheck

        def phase(*args: object, **kwargs: object) -> object:
            if check:
                self.at_check = tracemalloc.take_snapshot()
            result = original(*args, **kwargs)
            self.mark(label)
            return result

        setattr(module, name, phase)  # (callers look it up in its module at each call)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("resourcelist", type=Path)
    parser.add_argument("--top", type=int, default=25, help="allocation sites listed")
    args = parser.parse_args(argv)
    gc.disable()  # as fn.cli does
    line = Timeline()
    for module, name in PHASES:
        line.wrap(module, name)
    tracemalloc.start(1)
    with open(args.resourcelist, "rb") as f:
        text = inputs.read_input(f, str(args.resourcelist), pack=True)  # as the function
    line.start(len(text))
    out = krm.resource_list(text, {}, inputs.read_named_file)
    with open(os.devnull, "w") as sink:
        out.write_to(sink)
    line.mark("written")
    if line.at_check is None:
        print("the self-check did not run (the run failed or changed nothing)")
        return 0 if out.code == 0 else 1
    print(f"\nheld at the start of the self-check, by allocation site (top {args.top}):")
    stats = line.at_check.statistics("lineno")
    for s in stats[:args.top]:
        where = s.traceback[0]
        path = os.path.relpath(where.filename, ROOT)
        print(f"{s.size / 1e3:10.1f} KB {s.count:8d}  {path}:{where.lineno}")
    print(f"{sum(s.size for s in stats) / 1e6:10.2f} MB in all (the input text included)")
    return 0 if out.code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
