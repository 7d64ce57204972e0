"""What the probe puts into results: registry text made one printable, bounded line; no
timings; the same registries give the same results, run after run."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from helpers import run_fn
from probe_tools import options, resource_list, run, wire
from registries import SECOND_HOST, error_code_registry, open_registry, redirect_all

from fn.probe import REASON_MAX, ProbeTarget, _clean, probe_all

__all__ = ["wire"]

HOSTILE_CODE = "MANIFEST\nUNKNOWN\x1b[31m\r\x85\u2028\x00" + "Z" * 5000
HOSTILE_MESSAGE = "line one\nline two \x1b[2J\x1b]0;title\x07"


def one_line(text: str, limit: int) -> bool:
    return text.isprintable() and "\x1b" not in text and len(text) <= limit


def test_clean_escapes_and_bounds():
    assert _clean("a\nb\r\x85\u2028\x1b[31mc\t") == "a\\nb\\r\\x85\\u2028\\x1b[31mc\\t"
    assert _clean("x" * 1000) == "x" * (REASON_MAX - 3) + "..."
    assert _clean("plain 404 manifest unknown") == "plain 404 manifest unknown"


def test_registry_error_code_is_one_bounded_line(fake_server):
    srv = fake_server(error_code_registry(HOSTILE_CODE, HOSTILE_MESSAGE))
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(srv.host))
    reason = verdicts[t].reason
    assert verdicts[t].status == "not-found"
    assert reason.startswith("404 manifest\\nunknown\\x1b[31m\\r\\x85\\u2028\\x00zzz")
    assert one_line(reason, REASON_MAX) and reason.endswith("...")


def test_registry_text_in_results_and_stderr(fake_server):
    srv = fake_server(error_code_registry(HOSTILE_CODE, HOSTILE_MESSAGE))
    image = f"{srv.host}/acme/api:v1"
    _, out = run([image], insecureRegistries=srv.host)
    (probed,) = [r for r in out["results"] if r.get("tags", {}).get("probe")]
    assert probed["message"].startswith(f"{image}: private (probe: not found: 404 manifest\\n")
    for r in out["results"]:
        assert one_line(r["message"], 400), r["message"]
    # onProbeError=error: the reason goes to stderr, in the one error line
    proc = run_fn(resource_list([image], insecureRegistries=srv.host, onProbeError="error"))
    assert proc.code == 1
    (line,) = proc.stderr.splitlines()
    assert "could not tell whether" in line and "404 manifest\\nunknown\\x1b[31m" in line
    assert one_line(line, 400)


def test_hand_edited_cache_reason_is_cleaned(fake_server, tmp_path):
    srv = fake_server(open_registry({}))
    cache = tmp_path / "probe.json"
    cache.write_text(json.dumps({"kind": "replicated-proxy-fn/probe-cache", "version": 2,
                                 "entries": {f"{srv.host}/acme/api@v1": {
                                     "status": "private", "reason": HOSTILE_MESSAGE * 50,
                                     "time": time.time()}}}))
    t = ProbeTarget(srv.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(srv.host, cache_path=str(cache)))
    assert verdicts[t].cached and one_line(verdicts[t].reason, REASON_MAX)


def test_refusal_names_a_long_host_bounded(fake_server):
    host = ".".join(["a" * 60] * 3) + ".example"
    redirector = fake_server(redirect_all(f"http://{host}:1", 307))
    t = ProbeTarget(redirector.host, "acme/api", "v1")
    verdicts, _ = probe_all([t], options(redirector.host))
    assert verdicts[t].status == "error"
    assert one_line(verdicts[t].reason, REASON_MAX)
    assert verdicts[t].reason.startswith("307 redirect to plain http://aaaa")


# --- no timings; deterministic ----------------------------------------------------------------

TIMING = re.compile(r"\d\s*(s|ms|sec|seconds)\b")


def test_summary_has_no_timings(fake_server):
    srv = fake_server(open_registry({"acme/api": {"v1"}}))
    done, _ = run([f"{srv.host}/acme/api:v1", f"{srv.host}/acme/api:v2"],
                  insecureRegistries=srv.host)
    assert [r.message for r in done.results if r.message.startswith("probed ")] == [
        "probed 2 images"]
    assert not any(TIMING.search(r.message) for r in done.results)


@pytest.fixture
def many_registries(registries, realm_regs, fake_server, closed_port):
    """Images over every kind of answer: public, private, not found, token flow, refused
    realm, refused redirect, 404 with hostile text, connection refused."""
    r = registries
    hostile = fake_server(error_code_registry(HOSTILE_CODE, HOSTILE_MESSAGE))
    elsewhere = fake_server(open_registry({"acme/api": {"v1"}}), bind=SECOND_HOST)
    redirector = fake_server(redirect_all(elsewhere.url, 302))
    images = [
        f"{r.public.host}/app/hello:v1",
        f"{r.public.host}/app/hello:nope",
        f"{r.public.host}/app/hello@{r.digest}",
        f"{r.private.host}/app/secret:v1",
        f"{r.token.host}/pub/app:v1",
        f"{r.token.host}/priv/app:v1",
        f"{r.token.host}/pub/app:missing",
        f"{realm_regs.plain.host}/pub/app:v1",
        f"{redirector.host}/acme/api:v1",
        f"{hostile.host}/acme/api:v1",
        f"{closed_port}/acme/api:v1",
    ]
    images += [f"{r.public.host}/app/hello:t{i}" for i in range(12)]
    insecure = [r.public.host, r.private.host, r.token.host, r.token_server.host,
                realm_regs.plain.host, redirector.host, hostile.host, closed_port]
    return images, ",".join(insecure)


def test_two_runs_give_identical_results(many_registries):
    """Two processes (different hash seeds: set and dict order differ) on the same input."""
    images, insecure = many_registries
    rl = resource_list(images, insecureRegistries=insecure, probeConcurrency="4")
    first = run_fn(rl, env={"PYTHONHASHSEED": "1"})
    second = run_fn(rl, env={"PYTHONHASHSEED": "2"})
    assert first.code == 0, first.stderr
    assert first.stdout == second.stdout
    results = yaml.safe_load(first.stdout)["results"]
    messages = [x["message"] for x in results]
    assert len([m for m in messages if m.startswith(tuple(images))]) == len(images)
    # in the order the images appear in the input, each once
    assert [m.split(": ", 1)[0] for m in messages[1:len(images) + 1]] == images  # summary first
    assert f"probed {len(images)} images" in messages
    assert not any(TIMING.search(m) for m in messages)
    assert any("token realm plain http://" in m for m in messages)
    assert any("302 redirect to plain http://" in m for m in messages)
