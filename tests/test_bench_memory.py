"""bench/memory.py, the phase-by-phase memory timeline of a run (issue 14), on the bench's
own generated input: every phase reported in pipeline order, and what is held at the
self-check listed by allocation site, the input text first."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ["resourcelist.read", "plan.gather", "plan.candidates", "classify.classify",
          "plan.decide", "suspects.report", "named.decide", "pipeline.mutate", "krm.write",
          "selfcheck.resource_list", "written"]


def test_the_memory_timeline_of_a_generated_package(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    text = generate.generate(300, 7).resourcelist
    path = tmp_path / "resourcelist.yaml"
    path.write_text(text)
    proc = subprocess.run([sys.executable, "bench/memory.py", str(path), "--top", "8"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"input text {len(text.encode()) / 1e6:.2f} MB; below, MB above it " \
                       "(tracemalloc)"
    rows = [line.split() for line in lines[2:2 + len(PHASES)]]
    assert [r[0] for r in rows] == PHASES
    held = [float(r[1]) for r in rows]
    assert all(float(r[2]) >= float(r[1]) > 0 for r in rows)  # peak >= held > 0
    assert held[PHASES.index("pipeline.mutate")] > held[0]  # the edits come on top
    sites = [line for line in lines if re.fullmatch(r" +[0-9.]+ KB +\d+  \S+:\d+", line)]
    assert len(sites) == 8
    assert sites[0].split()[-1].startswith("fn/inputs.py:")  # the input text, held once
    assert float(sites[0].split()[0]) * 1e3 >= len(text)
    total = float(lines[-1].split()[0])
    assert total * 1e6 > len(text)
