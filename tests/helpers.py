"""Shared test helpers: run the function as a real process, build ResourceLists, read output,
and keep the log the secrecy check (tests/test_zz_secrecy.py, tests/conftest.py) scans.

API (small on purpose):

- ``run_fn(stdin, *args, env=None, timeout=60, memory_limit=None, cwd=None) -> Completed``:
  run ``python -m fn ARGS`` (in the repo, or in ``cwd``) with ``stdin``; every run is
  recorded for the secrecy check.
- ``resource_list(items, function_config=None) -> str``: a ResourceList as YAML text
  (``items`` as Python data or as the YAML text of a block sequence).
- ``config_map(**data) -> dict``: a ConfigMap functionConfig (string values, as kpt makes).
- ``load_yaml(text, any_tag=False)``: one document, read with libyaml's safe loader
  (local ``!tags`` tolerated; with ``any_tag`` only composed: tags ignored).
- ``error_results(doc) -> list[dict]``: the ``results`` entries with severity error.
- ``items_events(text)``: the YAML events of a ResourceList's ``items`` (marks left out),
  to compare items "as written" without building them (safe on alias bombs).
- ``without_results(text) -> str``: a ResourceList's text with its top-level ``results``
  cut out (what kpt hands the function on a re-run).
- ``record(label, channel, text)`` / ``record_results(label, results)`` /
  ``LOG``: the secrecy log; ``leaks(text)`` names the test secrets found in a text;
  ``secrecy_problems()`` lists the log entries that hold one.
- ``TEST_LICENSE_IDS``: every license ID the tests use; ``SECRET_NEEDLES``: those IDs and
  the base64 of ``LICENSE_ID:<id>`` (the pull secret's auth), none of which may appear on
  stderr or in results.
- ``check_invariants(text, function)``: run ``fn.krm.resource_list`` (or any such
  function) and assert the invariants every run must satisfy (see its docstring).
- ``violation_kind(exc)``: a key telling distinct fuzz findings apart.
- ``FUZZ_COUNTS``: target name -> cases run (printed by conftest at the end of the run).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
PREFIX = "replicated-proxy-fn: error:"

# examples/, tests/cases/ (the golden cases), and the IDs of the hardening and fuzz tests
TEST_LICENSE_IDS: tuple[str, ...] = (
    "exampleLicenseId0123456789",
    "unitTestLicense0000000001",
    "unitTestLicense0000000002",
    "hardeningLicenseId7Qx3Zp9",
    "fuzzLicenseIdK2v9Wm4Rt",
)
SECRET_NEEDLES: tuple[str, ...] = TEST_LICENSE_IDS + tuple(
    base64.b64encode(f"LICENSE_ID:{i}".encode()).decode() for i in TEST_LICENSE_IDS
)


@dataclass(frozen=True)
class Completed:
    code: int
    stdout: str
    stderr: str
    seconds: float


# ---------------------------------------------------------------------------- secrecy log


@dataclass(frozen=True)
class Entry:
    label: str    # what ran (args, test)
    channel: str  # "stderr", "results", "stdout" (whole stdout when it holds only results)
    text: str
    source: str = ""  # the input (start of it), to reproduce a leak; not checked itself


LOG: list[Entry] = []
FUZZ_COUNTS: dict[str, int] = {}


def count(name: str, cases: int = 1) -> None:
    """``cases`` more run for the fuzz target or property ``name``."""
    FUZZ_COUNTS[name] = FUZZ_COUNTS.get(name, 0) + cases


def leaks(text: str) -> list[str]:
    """The test secrets in ``text``: an ID in any letter case, or its base64 auth."""
    lower = text.lower()
    return [n for n in TEST_LICENSE_IDS if n.lower() in lower] + [
        n for n in SECRET_NEEDLES[len(TEST_LICENSE_IDS):] if n in text]


def secrecy_problems() -> list[str]:
    """One line per recorded output that holds a test secret."""
    return [f"{e.label} [{e.channel}]: holds {', '.join(found)}: {_around(e.text, found[0])!r}"
            + (f"\n    input: {e.source!r}" if e.source else "")
            for e in LOG if (found := leaks(e.text))]


def _around(text: str, needle: str) -> str:
    at = max(0, text.lower().find(needle.lower()))
    return ("..." if at > 150 else "") + text[max(0, at - 150):at + len(needle) + 150]


def record(label: str, channel: str, text: str, source: str | bytes = "") -> None:
    if text:
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
        LOG.append(Entry(label, channel, text, source[:3000]))


def record_results(label: str, results: Any, source: str | bytes = "") -> None:
    """Record results (dicts, or fn.results.Result objects) for the secrecy check."""
    data = [r.to_data() if hasattr(r, "to_data") else r for r in results or []]
    if data:
        record(label, "results", json.dumps(data, ensure_ascii=False, default=str), source)


# ---------------------------------------------------------------------------- running


def _mode(args: tuple[str, ...]) -> str:
    if args and args[0] in ("validate", "explain"):
        return "report"  # stdout holds findings only
    if "--config" in args or any(a.startswith("--config=") for a in args):
        return "stream"  # stdout holds manifests (maybe the Secret); results on stderr
    return "krm"


def run_fn(stdin: bytes | str, *args: str, env: dict[str, str] | None = None,
           timeout: float = 60, memory_limit: int | None = None,
           cwd: Path | None = None) -> Completed:
    """Run ``python -m fn ARGS`` (cwd: ``cwd`` or the repo, PYTHONPATH: the repo) with
    ``stdin``.

    ``env`` adds to (a copy of) the environment; REPLICATED_PROXY_FN_DEBUG is removed.
    ``memory_limit``: address-space limit in bytes for the child (RLIMIT_AS).
    Output is decoded as UTF-8 (bad bytes replaced). The run is recorded for the secrecy
    check: stderr always; in KRM mode the ``results`` of stdout; for validate/explain all
    of stdout."""
    import time

    data = stdin.encode() if isinstance(stdin, str) else stdin
    full_env = dict(os.environ)
    full_env.pop("REPLICATED_PROXY_FN_DEBUG", None)
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env or {})
    preexec = None
    if memory_limit is not None:
        def preexec() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "fn", *args], input=data, cwd=cwd or REPO,
                          env=full_env, capture_output=True, timeout=timeout,
                          preexec_fn=preexec)
    seconds = time.monotonic() - start
    done = Completed(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                     proc.stderr.decode("utf-8", "replace"), seconds)
    label = "python -m fn " + " ".join(args)
    record(label, "stderr", done.stderr, data)
    mode = _mode(args)
    if mode == "report":
        record(label, "stdout", done.stdout, data)
    elif mode == "krm":
        _record_krm_stdout(label, data, done.stdout)
    return done


def _record_krm_stdout(label: str, stdin: bytes, stdout: str) -> None:
    if not stdout:
        return
    try:
        doc = (load_yaml(stdout, any_tag=True) if len(stdout) < 5_000_000
               else _tail_results(stdout))
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict) and "results" in doc:
        record_results(label, doc.get("results"), stdin)
    elif not isinstance(doc, dict) or len(stdout) >= 5_000_000:
        # unreadable (or too big to read whole): anything beyond what the input held
        text = stdin.decode("utf-8", "replace")
        extra = [n for n in SECRET_NEEDLES if stdout.count(n) > text.count(n)]
        if extra:
            record(label, "stdout (more than the input held)", " ".join(extra), stdin)


def _tail_results(stdout: str) -> dict | None:
    """The top-level ``results:`` block of a big block-style ResourceList, read alone."""
    at = stdout.rfind("\nresults:")
    return load_yaml(stdout[at + 1:], any_tag=True) if at >= 0 else None


# ---------------------------------------------------------------------------- building


def config_map(**data: Any) -> dict:
    """A ConfigMap functionConfig; keys with dots are passed with ``**{"license.yaml": ...}``."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"},
            "data": data}


def resource_list(items: list | str, function_config: Any = None) -> str:
    """A config.kubernetes.io/v1 ResourceList. ``items``: data (dumped) or YAML text of a
    block sequence (used as is, so it may hold anything). ``function_config``: data
    (omitted when None) or YAML text of a mapping (indented under ``functionConfig:``)."""
    head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
    if isinstance(items, str):
        body = "items:\n" + items if items.strip() else "items: []\n"
        if not body.endswith("\n"):
            body += "\n"
    else:
        body = yaml.safe_dump({"items": items}, sort_keys=False, width=1000)
    if function_config is None:
        tail = ""
    elif isinstance(function_config, str):
        tail = "functionConfig:\n" + "".join(
            f"  {line}\n" if line else "\n" for line in function_config.splitlines())
    else:
        tail = yaml.safe_dump({"functionConfig": function_config}, sort_keys=False,
                              width=1000)
    return head + body + tail


# ---------------------------------------------------------------------------- reading


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader that also reads local tags (``!foo``) as plain values."""


def _local_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


def _global_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    """A tag of another namespace (``!<tag:example.com,2024:x>``): valid YAML whose meaning
    is its consumers' business, read as plain data. The yaml.org namespace stays strict."""
    if suffix.startswith("yaml.org,2002:"):
        raise yaml.constructor.ConstructorError(None, None, f"tag:{suffix}", node.start_mark)
    return _local_tag(loader, suffix, node)


class _RedefiningLoader(yaml.SafeLoader):
    """The same in pure Python, for text that defines an anchor again: YAML allows it (an
    alias means the latest node with that anchor; kpt's and kustomize's Go reader agrees),
    PyYAML's composer refuses it."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if not isinstance(event, yaml.AliasEvent) and event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


for _cls in (_Loader, _RedefiningLoader):
    _cls.add_multi_constructor("!", _local_tag)
    _cls.add_multi_constructor("tag:", _global_tag)


_NO_KEY = object()


def load_yaml(text: str, any_tag: bool = False) -> Any:
    """One YAML document with libyaml's safe loader (raises yaml.YAMLError). Local tags
    (``!foo``) are read as plain data; a document with a key Python cannot hash (a
    mapping or list as a key: valid YAML) is read as with ``any_tag``.

    ``any_tag``: built from libyaml's events only, for output that echoes an input (its
    structure is all that counts): every tag ignored, every scalar a string, a key that
    is not a scalar as ``<key N>``, aliases shared (never expanded), recursion kept, an
    anchor defined again replacing the first (YAML 1.2); still an error for text that is
    not YAML, an undefined alias included."""
    if not any_tag:
        try:
            try:
                return yaml.load(text, Loader=_Loader)
            except yaml.composer.ComposerError as exc:
                if "found duplicate anchor" not in f"{exc.context} {exc.problem}":
                    raise
                return yaml.load(text, Loader=_RedefiningLoader)
        except yaml.constructor.ConstructorError as exc:
            if exc.problem != "found unhashable key":  # valid YAML, only not in Python
                raise
    anchors: dict[str, Any] = {}
    stack: list[list] = []  # open collections: [container, anchor, pending key]
    root: Any = None
    keys = 0

    def put(value: Any) -> None:
        nonlocal root, keys
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[2] is _NO_KEY:
            if isinstance(value, dict | list):
                keys += 1
                top[2] = f"<key {keys}>"  # a collection as a key: valid YAML
            else:
                top[2] = value
        else:
            top[0][top[2]] = value
            top[2] = _NO_KEY

    for e in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(e, yaml.ScalarEvent):
            if e.anchor:
                anchors[e.anchor] = e.value  # YAML 1.2: a later anchor replaces one
            put(e.value)
        elif isinstance(e, yaml.AliasEvent):
            if e.anchor not in anchors:
                raise yaml.composer.ComposerError(None, None, "found undefined alias",
                                                  e.start_mark)
            put(anchors[e.anchor])
        elif isinstance(e, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            value = {} if isinstance(e, yaml.MappingStartEvent) else []
            if e.anchor:
                anchors[e.anchor] = value  # known inside itself: recursion is kept
            if stack and isinstance(stack[-1][0], list):
                put(value)  # in a list: in place now (and kept in order)
            stack.append([value, e.anchor, _NO_KEY])
        elif isinstance(e, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            value = stack.pop()[0]
            if not stack or not isinstance(stack[-1][0], list):
                put(value)
        elif isinstance(e, yaml.DocumentStartEvent) and root is not None:
            raise yaml.composer.ComposerError(None, None, "expected a single document",
                                              e.start_mark)
    return root


def error_results(doc: Any) -> list[dict]:
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        return []
    return [r for r in results if isinstance(r, dict) and r.get("severity") == "error"]


def _events(text: str) -> list:
    return list(yaml.parse(text, Loader=yaml.CSafeLoader))


def _event_key(e: Any) -> tuple:
    return (type(e).__name__, getattr(e, "anchor", None), getattr(e, "tag", None),
            getattr(e, "implicit", None), getattr(e, "value", None))


def _top_level_value(events: list, key: str) -> tuple[int, int] | None:
    """(index of the key event, index after the value's last event) in the root mapping."""
    if len(events) < 3 or not isinstance(events[2], yaml.MappingStartEvent):
        return None
    i = 3
    while i < len(events) and not isinstance(events[i], yaml.MappingEndEvent):
        after = _skip(events, _skip(events, i))
        if isinstance(events[i], yaml.ScalarEvent) and events[i].value == key:
            return i, after
        i = after
    return None


def _is_collection_start(e: Any) -> bool:
    return isinstance(e, yaml.MappingStartEvent | yaml.SequenceStartEvent)


def _skip(events: list, i: int) -> int:
    """Index after the node starting at ``events[i]``."""
    if not _is_collection_start(events[i]):
        return i + 1
    depth = 0
    while True:
        e = events[i]
        if _is_collection_start(e):
            depth += 1
        elif isinstance(e, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        i += 1
        if depth == 0:
            return i


def items_events(text: str) -> list[tuple] | None:
    """The events of the root mapping's ``items`` value (None when there is none)."""
    events = _events(text)
    span = _top_level_value(events, "items")
    if span is None:
        return None
    return [_event_key(e) for e in events[span[0] + 1:span[1]]]


def without_results(text: str) -> str:
    """``text`` with the root mapping's ``results`` key and value removed."""
    events = _events(text)
    span = _top_level_value(events, "results")
    if span is None:
        return text
    bom = 1 if text.startswith("\ufeff") else 0  # libyaml's offsets do not count it
    start = events[span[0]].start_mark.index + bom
    if events[2].flow_style:
        end = events[span[1] - 1].end_mark.index + bom
        before = text[:start].rstrip()
        if before.endswith(","):
            start = len(before) - 1
        return text[:start] + text[end:]
    # block style: whole lines, up to the next key or past the value's last leaf
    from fn.linebreaks import as_lf

    lines = as_lf(text)  # any line break as LF, offsets unchanged
    line_start = lines.rfind("\n", 0, start) + 1
    nxt = events[span[1]]
    if isinstance(nxt, yaml.ScalarEvent | yaml.MappingStartEvent | yaml.SequenceStartEvent):
        line_end = lines.rfind("\n", 0, nxt.start_mark.index + bom) + 1
    else:
        last = next(e for e in reversed(events[span[0]:span[1]])
                    if not isinstance(e, yaml.MappingEndEvent | yaml.SequenceEndEvent))
        end = last.end_mark.index + bom
        nl = end - 1 if end > 0 and lines[end - 1] == "\n" else lines.find("\n", end)
        line_end = len(text) if nl < 0 else nl + 1
    return text[:line_start] + text[line_end:]


# ---------------------------------------------------------------------------- invariants


def _items_of(text: str) -> tuple[int, int] | None:
    """(items, the function's own Secrets among them) of an input the safe loader reads."""
    try:
        doc = load_yaml(text)
    except Exception:  # YAMLError, and PyYAML's own bugs on bad tagged scalars
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return None
    ours = 0
    for item in doc["items"]:
        meta = item.get("metadata") if isinstance(item, dict) else None
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict) and \
                annotations.get("fn.replicated-proxy/generated") == "true":
            ours += 1
    return len(doc["items"]), ours


def check_invariants(text: str, function: Any, slow: float = 10.0) -> int:
    """Run ``function(text)`` (``fn.krm.resource_list``) and assert what every run
    must satisfy; returns the exit code. Exit 1: an error result, and the output a
    ResourceList holding it. Exit 0: no error result; the input and the output read by the
    safe loader; at least the input's items in the output (less the function's own Secrets,
    which it may drop); the same output again for the same input (determinism); and on its
    own output (results cut) nothing changes but the results (idempotency). Each call must
    take less than ``slow`` seconds. Exceptions from ``function`` propagate."""
    import time

    def call(source: str) -> tuple[Any, str]:
        start = time.monotonic()
        run = function(source)
        stdout = run.stdout  # a lazy output renders here: its errors escape here too
        seconds = time.monotonic() - start
        assert seconds < slow, f"{seconds:.1f} s for {len(source)} characters"
        return run, stdout

    run, stdout = call(text)
    assert run.code in (0, 1), run.code
    if run.code == 1:
        assert any(r.severity == "error" for r in run.results), "exit 1 without an error result"
        try:
            doc = load_yaml(stdout, any_tag=True)  # a failure echoes the input, tags and all
        except yaml.YAMLError as exc:
            raise AssertionError(f"exit 1, and the output is not YAML: {exc.problem}") from None
        assert isinstance(doc, dict) and doc.get("kind") == "ResourceList", "not a ResourceList"
        assert error_results(doc), "exit 1, but no error result in the output"
        return 1
    assert not any(r.severity == "error" for r in run.results), "exit 0 with an error result"
    before = _items_of(text)
    assert before is not None, "exit 0 on input the safe loader cannot read"
    try:
        doc = load_yaml(stdout)
    except yaml.YAMLError as exc:
        raise AssertionError(f"exit 0, and the output is not YAML: {exc.problem}") from None
    assert isinstance(doc, dict) and doc.get("kind") == "ResourceList", "not a ResourceList"
    assert doc.get("apiVersion") in ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
    assert isinstance(doc.get("items"), list), "items is not a list"
    assert isinstance(doc.get("results"), list) and doc["results"], "no results at the root"
    assert not error_results(doc), "exit 0 with an error result in the output"
    assert len(doc["items"]) >= before[0] - before[1], "items lost"
    again, again_stdout = call(text)
    assert again.code == 0 and again_stdout == stdout, "not deterministic"
    rerun_input = without_results(stdout)
    rerun, rerun_stdout = call(rerun_input)
    assert rerun.code == 0, "the re-run on the output failed"
    assert without_results(rerun_stdout) == rerun_input, "not idempotent"
    return 0


def violation_kind(exc: BaseException) -> str:
    """A short key that tells distinct failures apart: the assertion's message, or the
    exception's type and the line of fn/ (or of the YAML library) it came from."""
    import re
    import traceback

    if isinstance(exc, AssertionError):
        first = (str(exc).splitlines() or [""])[0]
        return "AssertionError: " + re.sub(r"\d+", "N", first)[:90]
    problem = getattr(exc, "problem", None)
    frames = [(f.filename.replace(os.sep, "/"), f.lineno)
              for f in traceback.extract_tb(exc.__traceback__)]
    ours = [f"fn/{p.rsplit('/', 1)[-1]}:{n}" for p, n in frames if "/fn/" in p]
    where = f" at {ours[-1]}" if ours else ""
    if frames and "/fn/" not in frames[-1][0] and ours:
        path, line = frames[-1]
        where += f" (in {'/'.join(path.rsplit('/', 2)[-2:])}:{line})"
    return f"{type(exc).__name__}{where}" + (f": {problem}" if problem else "")
