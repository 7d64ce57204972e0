"""probeCache: PATH never overwrites a file the function did not write.

Written only when the path is absent or holds our cache (a JSON object marked
``"kind": "replicated-proxy-fn/probe-cache"``, or version 1's exact shape); anything else is
a one-line error before any request. Writes are atomic: a temp file in the same directory,
renamed over the path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import run_fn
from probe_tools import LICENSE_ID, options, resource_list, run, wire
from registries import open_registry

import fn.probe
from fn.probe import CacheFileError, ProbeTarget, probe_all

__all__ = ["wire"]

KIND = "replicated-proxy-fn/probe-cache"


@pytest.fixture
def registry(fake_server):
    return fake_server(open_registry({"acme/api": {"v1"}}))


def target(srv) -> ProbeTarget:
    return ProbeTarget(srv.host, "acme/api", "v1")


def leftovers(directory: Path) -> list[str]:
    return [p for p in os.listdir(directory) if p.endswith(".tmp")]


# --- what is written, and where ---------------------------------------------------------------


def test_absent_file_is_created_marked_as_ours(registry, tmp_path):
    cache = tmp_path / "new" / "probe.json"
    verdicts, _ = probe_all([target(registry)], options(registry.host, cache_path=str(cache)))
    assert verdicts[target(registry)].status == "public"
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert data["kind"] == KIND and data["version"] == 2
    assert list(data["entries"]) == [f"{registry.host}/acme/api@v1"]
    assert leftovers(cache.parent) == []


def test_write_is_temp_file_and_rename_in_the_same_directory(registry, tmp_path, monkeypatch):
    cache = tmp_path / "probe.json"
    cache.write_text(json.dumps({"kind": KIND, "version": 2, "entries": {}}))
    before = cache.stat().st_ino
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((str(src), str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(fn.probe.os, "replace", spy)
    probe_all([target(registry)], options(registry.host, cache_path=str(cache)))
    ((src, dst),) = renames
    assert dst == str(cache)
    assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)
    assert os.path.basename(src).startswith(".probe-cache-")
    assert cache.stat().st_ino != before  # a new file took the name: never written in place
    assert json.loads(cache.read_text())["entries"]
    assert leftovers(tmp_path) == []


def test_version_1_cache_is_ours_and_upgraded(registry, tmp_path):
    import time

    cache = tmp_path / "probe.json"
    key = f"{registry.host}/acme/api@v1"
    cache.write_text(json.dumps({"version": 1, "entries": {
        key: {"status": "private", "reason": "401 Unauthorized", "time": time.time()}}}))
    other = ProbeTarget(registry.host, "acme/api", "v2")
    verdicts, stats = probe_all([target(registry), other],
                                options(registry.host, cache_path=str(cache)))
    assert verdicts[target(registry)].cached and stats.cache_hits == 1
    data = json.loads(cache.read_text())
    assert data["kind"] == KIND and set(data["entries"]) == {key, f"{registry.host}/acme/api@v2"}


# --- anything else is refused, before any request, and left as it was --------------------------

FOREIGN = {
    "notes": (b"# My notes\n\nimportant things\n", "is not a probe cache written by"),
    "empty": (b"", "is not a probe cache written by"),
    "json list": (b"[1, 2, 3]\n", "is not a probe cache written by"),
    "json object": (b'{"entries": {}, "owner": "me"}', "is not a probe cache written by"),
    "v1 look-alike": (b'{"version": 1, "entries": {}, "x": 1}', "is not a probe cache written"),
    "other kind": (b'{"kind": "something/else", "entries": {}}', "is not a probe cache written"),
    "deep json": (b"[" * 100_000 + b"]" * 100_000, "is not a probe cache written by"),
    "not utf-8": (b'{"kind": "replicated-proxy-fn/probe-cache"}\xff\xfe', "is not UTF-8 text"),
}


def assert_refused(message: str, path: Path, why: str) -> None:
    assert message.startswith(f"probeCache {str(path)!r}: {why}")
    assert message.endswith("; not using it (remove it or choose another path)")
    assert "\n" not in message and message.isprintable()


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_foreign_file_is_never_overwritten(registry, tmp_path, wire, name):
    content, why = FOREIGN[name]
    cache = tmp_path / "notes.md"
    cache.write_bytes(content)
    with pytest.raises(CacheFileError) as err:
        probe_all([target(registry)], options(registry.host, cache_path=str(cache)))
    assert_refused(str(err.value), cache, why)
    assert cache.read_bytes() == content
    assert registry.requests == [] and wire == []  # refused before the network
    assert leftovers(tmp_path) == []


def special_path(kind: str, tmp_path: Path) -> tuple[Path, str]:
    if kind == "directory":
        (tmp_path / "d").mkdir()
        return tmp_path / "d", "is a directory"
    if kind == "fifo":  # opening it for reading would block: never opened
        os.mkfifo(tmp_path / "fifo")
        return tmp_path / "fifo", "is not a regular file"
    if kind == "dangling symlink":
        (tmp_path / "link").symlink_to(tmp_path / "nowhere")
        return tmp_path / "link", "is a dangling symbolic link"
    (tmp_path / "file").write_text("x")  # "under a file": cannot be read
    return tmp_path / "file" / "cache.json", "cannot be read (Not a directory)"


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling symlink", "under a file"])
def test_unusable_path_is_an_error(registry, tmp_path, kind):
    path, why = special_path(kind, tmp_path)
    with pytest.raises(CacheFileError) as err:
        probe_all([target(registry)], options(registry.host, cache_path=str(path)))
    assert_refused(str(err.value), path, why)
    assert registry.requests == []
    assert not (tmp_path / "nowhere").exists()


def test_foreign_file_appearing_during_the_probe_is_kept(fake_server, tmp_path):
    """Checked again just before the rename: a file put there meanwhile is not replaced."""
    cache = tmp_path / "probe.json"
    inner = open_registry({"acme/api": {"v1"}})

    def handle(srv, req):
        if "/manifests/" in req.path:
            cache.write_text("written by someone else\n")
        return inner(srv, req)

    srv = fake_server(handle)
    verdicts, stats = probe_all([target(srv)], options(srv.host, cache_path=str(cache)))
    assert verdicts[target(srv)].status == "public"
    assert cache.read_text() == "written by someone else\n"
    assert_refused(stats.cache_warning or "", cache, "is not a probe cache written by")
    assert leftovers(tmp_path) == []


# --- through the function -----------------------------------------------------------------------


def test_function_reports_one_error_line(registry, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n")
    image = f"{registry.host}/acme/api:v1"
    done, _ = run([image], insecureRegistries=registry.host, probeCache=str(notes))
    assert done.code == 1
    (error,) = [r for r in done.results if r.severity == "error"]
    assert_refused(error.message, notes, "is not a probe cache written by replicated-proxy-fn")
    assert error.field == {"path": "probeCache"}
    assert notes.read_text() == "# notes\n"

    proc = run_fn(resource_list([image], insecureRegistries=registry.host,
                                probeCache=str(tmp_path)))
    assert proc.code == 1
    assert "Traceback" not in proc.stderr and LICENSE_ID not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert f"probeCache {str(tmp_path)!r}: is a directory" in proc.stderr
    assert registry.requests == []
