"""Build and run the small Go programs under tests/go/ (Go standard library only).

``run(name, request) -> bytes``: build ``tests/go/<name>/main.go`` once per session with the
real Go toolchain (Debian's golang-go, installed by .ci/run), feed it ``request`` as JSON on
stdin, return its stdout. Its stderr is recorded for the secrecy check. A non-zero exit
raises :class:`GoFailed` (``.stderr`` says why).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import helpers

GO_DIR = helpers.REPO / "tests" / "go"


class GoFailed(Exception):
    def __init__(self, name: str, stderr: str) -> None:
        super().__init__(f"{name}: {stderr.strip()}")
        self.stderr = stderr


@functools.cache
def _bin_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="go-harness-"))


@functools.cache
def binary(name: str) -> Path:
    go = shutil.which("go")
    assert go, "the Go toolchain is missing: .ci/run installs Debian's golang-go"
    out = _bin_dir() / name
    env = {**os.environ, "CGO_ENABLED": "0", "GO111MODULE": "off"}
    built = subprocess.run([go, "build", "-o", str(out), str(GO_DIR / name / "main.go")],
                           env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"go build tests/go/{name}: {built.stderr}"
    return out


def run(name: str, request: dict) -> bytes:
    proc = subprocess.run([str(binary(name))], input=json.dumps(request).encode(),
                          capture_output=True, timeout=120)
    stderr = proc.stderr.decode("utf-8", "replace")
    helpers.record(f"tests/go/{name}", "stderr", stderr)
    if proc.returncode:
        raise GoFailed(name, stderr)
    return proc.stdout
