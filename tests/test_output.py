"""The output goes out in few large writes, whatever PYTHONUNBUFFERED says (issue 14): a
ResourceList of 5,000 resources was 7,000 system calls with it set, one per chunk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fn import krm, pipeline
from fn.mutate import Outcome

ROOT = Path(__file__).resolve().parent.parent


class Counting:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


def test_chunks_are_written_in_batches():
    chunks = [f"line {i}\n" for i in range(100_000)]
    run = pipeline.Run(Outcome([]), 0, pipeline.MUTATE)
    out = krm.Output(iter(chunks), run)
    sink = Counting()
    out.write_to(sink)
    assert "".join(sink.writes) == "".join(chunks)
    assert len(sink.writes) <= len("".join(chunks)) // krm._BATCH + 1


def test_a_chunk_of_megabytes_goes_out_in_batch_sized_slices():
    # the results of a large run are one splice of megabytes: joined with its batch and
    # encoded whole, it was held three times (4.8 MB more peak RSS at 50,000 resources)
    chunks = ["head\n", "r" * (5 * krm._BATCH + 17), "tail\n"]
    run = pipeline.Run(Outcome([]), 0, pipeline.MUTATE)
    sink = Counting()
    krm.Output(iter(chunks), run).write_to(sink)
    assert "".join(sink.writes) == "".join(chunks)
    assert max(map(len, sink.writes)) <= krm._BATCH
    assert len(sink.writes) <= 9


def test_unbuffered_stdout_gets_the_same_bytes():
    text = (ROOT / "examples/quickstart/resourcelist.yaml").read_text()
    outs = []
    for unbuffered in ("1", ""):
        env = {**os.environ, "PYTHONUNBUFFERED": unbuffered, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "-m", "fn"], input=text, capture_output=True,
                              text=True, env=env, timeout=60, check=True)
        outs.append(proc.stdout)
    assert outs[0] == outs[1] and "proxy.replicated.com/proxy/" in outs[0]
