"""Mutation fuzzing (hypothesis) of valid ResourceLists: the examples and generated ones.

Invariant of every run: exit 0 with a valid ResourceList (libyaml's safe loader reads it;
at least the input's items, less the function's own Secrets it may drop; no error result),
the same output for the same input (determinism) and nothing more to do on its own output
(idempotency: the re-run changes nothing but the results); or exit 1 with an error result
in a ResourceList. Never an exception out of ``fn.krm.resource_list``, never a
traceback or an "internal error" from the command line.

Each target runs all its cases, keeps the smallest input of every distinct violation, and
fails at the end listing them, each shrunk line by line (a known bug does not hide the
others). Cases run are counted in ``helpers.FUZZ_COUNTS``, printed at the end of the run and
written to bench/out/fuzz-count.txt; ``FUZZ_SCALE=10`` runs ten times as many. Targets:

- ``structural``: parse a seed, drop/duplicate/retype/rename/move parts, dump it (block,
  flow or JSON);
- ``text``: truncate, delete/duplicate/swap/re-indent lines, insert YAML fragments,
  replace characters and scalars;
- ``aliases_tags``: anchors and aliases (also undefined and recursive ones), merge keys,
  tags (standard, local, Python), bombs;
- ``generated_valid``: generated valid ResourceLists: must succeed, rewrite every private
  image, pass validate mode afterwards, and be idempotent and deterministic;
- ``cli_bytes``: ``fn.cli.main`` in process on byte-level mutations (flips, non-UTF-8,
  NUL, BOM, CRLF), and ``subprocess``: a few real ``python -m fn`` runs of the same.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import io
import json
import os
import re
import sys
from typing import Any

import pytest
import yaml
from helpers import (
    EXAMPLES,
    FUZZ_COUNTS,
    PREFIX,
    check_invariants,
    config_map,
    count,
    error_results,
    leaks,
    load_yaml,
    record,
    resource_list,
    run_fn,
    violation_kind,
    without_results,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fn import krm

LICENSE_ID = "fuzzLicenseIdK2v9Wm4Rt"
PRIVATE = ("quay.io/acme/", "ghcr.io/acme/")
SLOW_CASE = 10.0  # seconds: one small input taking longer is a bug (a blow-up)

# FUZZ_SCALE=20: twenty times the cases, random seeds (unset: the same cases every run)
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
DERANDOMIZE = "FUZZ_SCALE" not in os.environ


def fuzz(max_examples: int) -> settings:
    return settings(max_examples=max(1, int(max_examples * SCALE)), deadline=None,
                    print_blob=True, derandomize=DERANDOMIZE, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


_SAME = object()


def survey(target: str, examples: int, cases: st.SearchStrategy, check_one,
           shrink: Any = _SAME) -> None:
    """Run a target's ``examples`` cases through ``check_one`` and fail at the end listing
    every distinct violation, each shrunk with ``shrink`` (default: ``check_one``; None:
    not shrunk)."""
    s = Survey(target)

    @fuzz(examples)
    @given(cases)
    def run(case):
        s(check_one, case)

    run()
    s.report(check_one if shrink is _SAME else shrink)


class Survey:
    """Run every case of a target, keep the smallest input of each distinct violation,
    and fail at the end listing them all (a known bug does not stop the search)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.found: dict[str, tuple[int, Any, str]] = {}

    def __call__(self, check_one, case: Any) -> None:
        count(self.target)
        try:
            check_one(case)
        except Exception as exc:  # every escape and every broken invariant is a finding
            if not isinstance(exc, AssertionError | yaml.YAMLError):  # escaped from fn
                record(f"{self.target} fuzz case", "exception text", str(exc),
                       case[0] if isinstance(case, tuple) else case)
            key = violation_kind(exc)
            size = len(case[0] if isinstance(case, tuple) else case)
            if key not in self.found or size < self.found[key][0]:
                self.found[key] = (size, case, str(exc)[:600])

    def report(self, check_one=None) -> None:
        """Fail listing every violation; with ``check_one`` (taking the text), each input
        is first shrunk line by line to one that still shows the same violation."""
        if not self.found:
            return
        lines = [f"{len(self.found)} distinct violations in {FUZZ_COUNTS[self.target]} cases "
                 f"(inputs also in {FINDINGS.relative_to(EXAMPLES.parent)}/):"]
        for n, (key, (_, case, message)) in enumerate(sorted(self.found.items())):
            text = case[0] if isinstance(case, tuple) else case
            if check_one is not None:
                text = shrink(text, lambda t, key=key: _kind_of_run(check_one, t) == key)
            save_finding(f"{self.target}-{n}", key, text)
            lines += [f"--- {key}", f"    {message!r}", f"    input: {text!r}"[:6000]]
        pytest.fail("\n".join(lines), pytrace=False)


FINDINGS = EXAMPLES.parent / "bench" / "out" / "fuzz-findings"


def save_finding(name: str, kind: str, case: str | bytes) -> None:
    """The whole input of a finding, to reproduce it: bench/out/fuzz-findings/NAME.yaml
    (and a .txt with the kind)."""
    try:
        FINDINGS.mkdir(parents=True, exist_ok=True)
        data = case.encode() if isinstance(case, str) else case
        (FINDINGS / f"{name}.yaml").write_bytes(data)
        (FINDINGS / f"{name}.txt").write_text(kind + "\n")
    except OSError:
        pass


def _kind_of_run(check_one, case: Any) -> str | None:
    try:
        check_one(case)
    except Exception as exc:
        return violation_kind(exc)
    return None


def shrink(case: str | bytes, fails) -> str | bytes:
    """Delta debugging by lines: drop chunks of lines while ``fails(smaller)`` holds."""
    nl = b"\n" if isinstance(case, bytes) else "\n"
    lines = case.split(nl)
    chunk = max(1, len(lines) // 2)
    budget = 400  # calls
    while chunk >= 1 and budget > 0:
        i, changed = 0, False
        while i < len(lines) and budget > 0:
            trial = lines[:i] + lines[i + chunk:]
            budget -= 1
            if trial and fails(nl.join(trial)):
                lines, changed = trial, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return nl.join(lines)


# ---------------------------------------------------------------------------- seeds


def _docs(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((EXAMPLES / path).read_text()) if d]


def _kpt_items(*paths: str) -> list[dict]:
    """Items as kpt hands them over: every one annotated with its file and index."""
    items = []
    for path in paths:
        for index, doc in enumerate(_docs(path)):
            annotations = doc.setdefault("metadata", {}).setdefault("annotations", {})
            name = path.split("/", 1)[1]
            for prefix in ("", "internal."):
                annotations[f"{prefix}config.kubernetes.io/path"] = name
                annotations[f"{prefix}config.kubernetes.io/index"] = str(index)
            items.append(doc)
    return items


def _seeds() -> dict[str, str]:
    app = ("app/workloads.yaml", "app/license.yaml")
    pkg = ("kpt-package/Kptfile", "kpt-package/license.yaml",
           "kpt-package/replicated-proxy.yaml", "kpt-package/workloads.yaml")
    typed_pkg = _docs("kpt-package/replicated-proxy.yaml")[0]
    kustomize_fn = _docs("kustomize-exec/replicated-proxy.yaml")[0]
    stream_cfg = _docs("stream/config.yaml")[0]
    images = "quay.io/acme/, ghcr.io/acme/"
    seeds = {
        "quickstart": (EXAMPLES / "quickstart/resourcelist.yaml").read_text(),
        "app": resource_list(_kpt_items(*app), config_map(
            licenseConfigMap="replicated-license", privateImages=images)),
        "kpt-package": resource_list(_kpt_items(*pkg), typed_pkg),
        "kustomize-exec": resource_list(_docs("app/workloads.yaml") + _docs("app/license.yaml"),
                                        kustomize_fn),
        "stream": resource_list(_docs("stream/manifests.yaml"), stream_cfg),
        "typed with license": resource_list(_docs("stream/manifests.yaml"), {
            "apiVersion": "fn.replicated-proxy/v1alpha1", "kind": "ReplicatedProxy",
            "metadata": {"name": "x"},
            "spec": {"license": {"apiVersion": "kots.io/v1beta1", "kind": "License",
                                 "spec": {"licenseID": LICENSE_ID, "appSlug": "acme"}},
                     "privateImages": list(PRIVATE), "namespaces": ["extra"]}}),
    }
    # the quickstart after one run: a re-run input with the function's own Secret
    first = krm.resource_list(seeds["quickstart"])
    seeds["quickstart, second run"] = without_results(first.stdout)
    # the kpt package's validator (its Kptfile's second step), after the mutator
    mutated = yaml.safe_load(without_results(krm.resource_list(seeds["kpt-package"]).stdout))
    mutated["functionConfig"] = config_map(mode="validate", licenseConfigMap="replicated-license",
                                           privateImages=images)
    seeds["kpt-package validator"] = yaml.safe_dump(mutated, sort_keys=False)
    return seeds


SEEDS = _seeds()


# ---------------------------------------------------------------------------- invariants


def check(text: str) -> int:
    return check_invariants(text, krm.resource_list, SLOW_CASE)


# ---------------------------------------------------------------------------- structural

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from([
        "", "~", "null", "yes", "no", "0x1F", "1e3", "quay.io/acme/api:1", "nginx",
        "acme", "acme-registry", "shop", "ResourceList", "config.kubernetes.io/v1",
        "v1", "apps/v1", "Deployment", "Secret", "ConfigMap", "List", "true", "- x", ": y",
        "*a", "&a", "!!python/name:os.system", "{a: b}", "[1, 2]", "\x00", "\ufeff", "é😀"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


@st.composite
def structural_inputs(draw) -> str:
    seed = draw(st.sampled_from(sorted(SEEDS)))
    data = yaml.safe_load(SEEDS[seed])
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["drop", "duplicate", "retype", "empty", "rename", "move",
                                   "wrap", "clear-root-key", "swap-id-and-slug"]))
        if op == "swap-id-and-slug":  # the one plausible way a license ID reaches a message
            _swap_id_and_slug(data)
            continue
        if not path:
            if op == "retype":
                data = draw(VALUES)
            continue
        parent, last = _get(data, path[:-1]), path[-1]
        if op == "drop":
            del parent[last]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(parent[last], default=str)))
        elif op == "retype":
            parent[last] = draw(VALUES)
        elif op == "empty":
            parent[last] = draw(st.sampled_from([{}, [], None, ""]))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["name", "image", "kind", "apiVersion", "items",
                                         "metadata", "containers", "spec", "x"]))] = \
                parent.pop(last)
        elif op == "move":
            target = draw(st.sampled_from(paths))
            # (a license ID copied into an arbitrary field is no plausible mistake)
            if target and not _is_prefix(path, target) and not leaks(
                    json.dumps(_get(data, path), default=str)):
                value = json.loads(json.dumps(_get(data, path), default=str))
                _get(data, target[:-1])[target[-1]] = value
        elif op == "wrap":
            parent[last] = [parent[last]]
        elif op == "clear-root-key" and isinstance(data, dict) and data:
            data.pop(draw(st.sampled_from(sorted(map(str, data)))), None)
    style = draw(st.sampled_from(["block", "flow", "mixed", "json", "json-indented"]))
    if style.startswith("json"):
        return json.dumps(data, indent=1 if style == "json-indented" else None, default=str)
    flow = {"block": False, "flow": True, "mixed": None}[style]
    return yaml.safe_dump(data, default_flow_style=flow, sort_keys=draw(st.booleans()),
                          allow_unicode=draw(st.booleans()), width=draw(
                              st.sampled_from([80, 4096])))


def _swap_id_and_slug(node: Any) -> None:
    """Swap the values of licenseID and appSlug wherever a mapping has both."""
    if isinstance(node, dict):
        if "licenseID" in node and "appSlug" in node:
            node["licenseID"], node["appSlug"] = node["appSlug"], node["licenseID"]
        for value in node.values():
            _swap_id_and_slug(value)
    elif isinstance(node, list):
        for value in node:
            _swap_id_and_slug(value)


def _is_prefix(a: tuple, b: tuple) -> bool:
    return b[:len(a)] == a or a[:len(b)] == b


def test_fuzz_structural():
    survey("structural", 250, structural_inputs(), check)


# ---------------------------------------------------------------------------- text

FRAGMENTS = [
    "- x\n", "  foo: bar\n", "---\n", "...\n", "%YAML 1.1\n", "? complex\n: key\n",
    "{a: [1, 2]}\n", "[a, {b: c}]\n", "items: []\n", "items:\n", "- null\n", "-\n",
    "apiVersion: v1\n", "kind: Secret\n", "metadata: {name: x}\n", "  name: api\n",
    "    image: quay.io/acme/other:2\n", "  - name: c\n    image: quay.io/acme/c:1\n",
    "imagePullSecrets: oops\n", "containers: {}\n", "\t\n", "# comment\n", "|\n  text\n",
    ">-\n folded\n", "'quoted\n", '"dq\n', "key: 'it''s'\n", "a: !!binary aGVsbG8=\n",
    "x: 0o17\n", "y: 1_000\n", "z: .inf\n", "when: 2001-12-14t21:59:43.10-05:00\n",
    "\ufeff", "\r\n", "\x85", "\u2028", "- apiVersion: v1\n  kind: Pod\n  metadata:\n"
    "    name: p\n  spec:\n    containers:\n    - name: a\n      image: quay.io/acme/p:1\n",
]
SPECIAL_CHARS = [*":-[]{}&*!|>#'\"%@`,?\t\n \\", "\x00", "\ufeff", "\r", "é", "😀"]


@st.composite
def text_inputs(draw) -> str:
    text = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True) or [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["truncate", "delete-line", "duplicate-line", "swap-lines",
                                   "indent", "dedent", "fragment", "char", "insert-text",
                                   "scalar"]))
        if op == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif op == "delete-line":
            del lines[i]
            text = "".join(lines)
        elif op == "duplicate-line":
            lines.insert(i, lines[i])
            text = "".join(lines)
        elif op == "swap-lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
            text = "".join(lines)
        elif op == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 4)):]
            text = "".join(lines)
        elif op == "fragment":
            pad = " " * draw(st.sampled_from([0, 2, 4, 6, 8]))
            lines.insert(i, pad + draw(st.sampled_from(FRAGMENTS)))
            text = "".join(lines)
        elif op == "char" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + draw(st.sampled_from(SPECIAL_CHARS)) + text[at + 1:]
        elif op == "insert-text":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(max_size=6)) + text[at:]
        elif op == "scalar":
            spots = [m for m in re.finditer(r"(?m): ([^\s#][^\n#]*)$", text)]
            if spots:
                m = draw(st.sampled_from(spots))
                new = draw(st.sampled_from([
                    "null", "~", "''", '""', "yes", "42", "-1", "3.5", "0x10", "[]", "{}",
                    "[a, b]", "{a: b}", "'single'", '"double\\tescaped"', '"\\u0000"',
                    "|\n  block", "x: y", "- a", "&anchor", "*anchor", "? q",
                    "quay.io/acme/new:1", "Not_A_Slug"]))
                text = text[:m.start(1)] + new + text[m.end(1):]
    return text


def test_fuzz_text():
    survey("text", 300, text_inputs(), check)


# ---------------------------------------------------------------------------- aliases, tags

TAGS = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!timestamp", "!!map",
        "!!seq", "!!set", "!!omap", "!custom", "!", "!<tag:example.com,2024:x>",
        "!!python/object/apply:os.getcwd", "!!python/name:os.system",
        "!!python/object:collections.OrderedDict", "!!python/tuple"]


@st.composite
def alias_tag_inputs(draw) -> str:
    text = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    n = 0
    for _ in range(draw(st.integers(1, 4))):
        spots = list(re.finditer(r"(?m)^(\s*(?:- )?[\w./-]+: )([^\s#&*!][^\n#]*)$", text))
        if not spots:
            break
        op = draw(st.sampled_from(["anchor-alias", "alias-anywhere", "tag", "merge",
                                   "laughs", "deep", "recursive"]))
        m = draw(st.sampled_from(spots))
        start, end = m.start(2), m.end(2)
        value = m.group(2)
        if leaks(value):  # a license ID aliased into an arbitrary field: no plausible mistake
            continue
        if op == "anchor-alias":
            n += 1
            text = text[:start] + f"&a{n} {value}" + text[end:]
            spots = list(re.finditer(r"(?m)^(\s*(?:- )?[\w./-]+: )([^\s#&*!][^\n#]*)$", text))
            other = draw(st.sampled_from(spots))
            text = text[:other.start(2)] + f"*a{n}" + text[other.end(2):]
        elif op == "alias-anywhere":
            text = text[:start] + f"*a{draw(st.integers(0, n + 1))}" + text[end:]
        elif op == "tag":
            text = text[:start] + f"{draw(st.sampled_from(TAGS))} {value}" + text[end:]
        elif op == "merge":
            n += 1
            text = text[:start] + f"&a{n} {{image: quay.io/acme/merged:1, name: m}}" \
                + text[end:]
            indent = re.match(r"\s*", m.group(1)).group(0)
            line_end = text.find("\n", start)
            text = text[:line_end + 1] + f"{indent}<<: *a{n}\n" + text[line_end + 1:]
        elif op == "laughs":
            n += 1
            levels = draw(st.integers(2, 12))
            refs = "[" + ", ".join(["lol"] * 9) + "]"
            parts = [f"&b{n}x0 {refs}"] + [
                f"&b{n}x{i} [" + ", ".join([f"*b{n}x{i - 1}"] * 9) + "]"
                for i in range(1, levels)]
            text = text[:start] + "{" + ", ".join(
                f"l{i}: {p}" for i, p in enumerate(parts)) + "}" + text[end:]
        elif op == "deep":
            depth = draw(st.integers(50, 400))
            text = text[:start] + "[" * depth + "]" * depth + text[end:]
        elif op == "recursive":
            n += 1
            text = text[:start] + f"&a{n} [*a{n}]" + text[end:]
    return text


def test_fuzz_aliases_and_tags():
    survey("aliases_tags", 200, alias_tag_inputs(), check)


# ---------------------------------------------------------------------------- generated valid

IMAGES = ["quay.io/acme/api:1.4.2", "quay.io/acme/api", "ghcr.io/acme/x@sha256:" + "ab" * 32,
          "ghcr.io/acme/y:2.0@sha256:" + "cd" * 32, "nginx:1.25", "docker.io/library/pg:16",
          "registry.replicated.com/acme/tools:1.0", "busybox",
          "proxy.replicated.com/proxy/acme/quay.io/acme/api:1", "localhost:5000/acme/z:1",
          "quay.io/other/x:1", "Not A Valid Reference"]
WORKLOAD_PATHS = {
    ("apps/v1", "Deployment"): ("spec", "template", "spec"),
    ("apps/v1", "StatefulSet"): ("spec", "template", "spec"),
    ("apps/v1", "DaemonSet"): ("spec", "template", "spec"),
    ("batch/v1", "Job"): ("spec", "template", "spec"),
    ("batch/v1", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
    ("v1", "Pod"): ("spec",),
    ("v1", "PodTemplate"): ("template", "spec"),
    ("argoproj.io/v1alpha1", "Rollout"): ("spec", "template", "spec"),
}


@st.composite
def podspec(draw) -> dict:
    spec: dict = {}
    for key in ("containers", "initContainers"):
        n = draw(st.integers(1 if key == "containers" else 0, 3))
        if n:
            spec[key] = [{"name": f"c{i}", "image": draw(st.sampled_from(IMAGES))}
                         for i in range(n)]
    if draw(st.booleans()):
        spec["volumes"] = [{"name": "v", "image": {"reference": draw(st.sampled_from(IMAGES))}}]
    secrets = draw(st.sampled_from([None, [], [{"name": "other"}], [{"name": "acme-registry"}]]))
    if secrets is not None:
        spec["imagePullSecrets"] = secrets
    return spec


@st.composite
def generated_valid(draw) -> tuple[str, dict]:
    items: list[dict] = []
    seen = set()
    for i in range(draw(st.integers(0, 5))):
        api, kind = draw(st.sampled_from([*WORKLOAD_PATHS, ("v1", "Service"),
                                          ("v1", "ConfigMap")]))
        ns = draw(st.sampled_from([None, "shop", "jobs"]))
        name = f"r{i}"
        if (kind, ns, name) in seen:
            continue
        seen.add((kind, ns, name))
        item: dict = {"apiVersion": api, "kind": kind,
                      "metadata": {"name": name, **({"namespace": ns} if ns else {})}}
        if draw(st.booleans()):
            item["metadata"]["annotations"] = {
                "internal.config.kubernetes.io/path": f"{ns or 'default'}/{name}.yaml",
                "internal.config.kubernetes.io/index": "0"}
        path = WORKLOAD_PATHS.get((api, kind))
        if path:
            node = item
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = draw(podspec())
        elif kind == "ConfigMap":
            # (a value that is, whole, a private image is a warning: fn.uncovered)
            item["data"] = {"note": "pull quay.io/acme/not-a-field:1 by hand"}
        else:
            item["spec"] = {"ports": [{"port": 80}]}
        items.append(item)
    data: dict = {"appSlug": "acme", "privateImages": ", ".join(PRIVATE)}
    if draw(st.booleans()):
        data["licenseID"] = LICENSE_ID
    else:
        data["license.yaml"] = yaml.safe_dump({
            "apiVersion": "kots.io/v1beta1", "kind": "License",
            "spec": {"licenseID": LICENSE_ID, "appSlug": "acme"}})
        del data["appSlug"]
    if draw(st.booleans()):
        data["namespaces"] = draw(st.sampled_from(["extra", "shop, extra"]))
    if draw(st.booleans()):
        config: dict = {"apiVersion": "fn.replicated-proxy/v1alpha1", "kind": "ReplicatedProxy",
                        "metadata": {"name": "fn"},
                        "spec": {("license" if k == "license.yaml" else k):
                                 (yaml.safe_load(v) if k == "license.yaml" else v)
                                 for k, v in data.items()}}
    else:
        config = config_map(**data)
    style = draw(st.sampled_from(["block", "flow", "json", "indent4"]))
    doc = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items,
           "functionConfig": config}
    if style == "json":
        text = json.dumps(doc)
    else:
        text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=style == "flow",
                              indent=4 if style == "indent4" else 2)
    return text, config


def _private_left(doc: dict) -> list[str]:
    left: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("image", "reference") and isinstance(value, str) \
                        and value.startswith(PRIVATE):
                    left.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in doc["items"]:
        if item.get("kind") != "ConfigMap":
            walk(item.get("spec") or item.get("template"))
    return left


def _with_mode(text: str, mode: str) -> str:
    doc = load_yaml(text)
    doc.pop("results", None)
    fc = doc["functionConfig"]
    (fc.setdefault("spec", {}) if fc["kind"] == "ReplicatedProxy" else fc["data"])["mode"] = mode
    return yaml.safe_dump(doc, sort_keys=False)


def check_generated(case: tuple[str, dict]) -> None:
    text, _config = case
    assert check(text) == 0, "a valid ResourceList failed"
    out = load_yaml(krm.resource_list(text).stdout)
    assert _private_left(out) == [], "a private image was not rewritten"
    auth = base64.b64encode(f"LICENSE_ID:{LICENSE_ID}".encode()).decode()
    for item in out["items"]:
        if item["kind"] == "Secret" and item["metadata"]["name"] == "acme-registry":
            config = json.loads(base64.b64decode(item["data"][".dockerconfigjson"]))
            assert {a["auth"] for a in config["auths"].values()} == {auth}, "wrong auth"
    validated = krm.resource_list(_with_mode(krm.resource_list(text).stdout,
                                                  "validate"))
    errors = [r.message for r in validated.results if r.severity == "error"]
    checkable = [i for i in out["items"] if i.get("kind") != "Kptfile" and (
        (i.get("metadata") or {}).get("annotations") or {}).get(
            "config.kubernetes.io/local-config") != "true"]
    if not checkable:  # nothing to check is a failure of validate (issue 16)
        assert validated.code == 1 and errors[0].startswith("validate read no resources")
        return
    assert validated.code == 0, "validate mode fails on the mutated output: " + "; ".join(errors)


def test_fuzz_generated_valid():
    survey("generated_valid", 120, generated_valid(), check_generated,
           shrink=lambda text: check_generated((text, {})))


# ---------------------------------------------------------------------------- the command line


@st.composite
def byte_inputs(draw) -> bytes:
    data = SEEDS[draw(st.sampled_from(sorted(SEEDS)))].encode()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "insert", "truncate", "bad-utf8", "nul", "bom",
                                   "crlf", "replace-run"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) \
                + data[at + 1:]
        elif op == "insert":
            data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
        elif op == "truncate":
            data = data[:at]
        elif op == "bad-utf8":
            data = data[:at] + draw(st.sampled_from(
                [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80"])) \
                + data[at:]
        elif op == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif op == "replace-run":
            end = min(len(data), at + draw(st.integers(1, 40)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[end:]
    return data


def run_cli(data: bytes) -> tuple[int, str, str]:
    """``fn.cli.main([])`` in this process with ``data`` on stdin."""
    from fn import cli

    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = stdin
    debug = os.environ.pop("REPLICATED_PROXY_FN_DEBUG", None)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([])
    finally:
        sys.stdin = saved
        gc.enable()  # cli.main turns the collector off for its short-lived process
        if debug is not None:
            os.environ["REPLICATED_PROXY_FN_DEBUG"] = debug
    return code, out.getvalue(), err.getvalue()


def check_cli(code: int, stdout: str, stderr: str) -> None:
    assert "Traceback" not in stdout + stderr
    assert "internal error" not in stderr, stderr
    assert not leaks(stderr), stderr
    if code == 0:
        assert stderr == ""
        doc = load_yaml(stdout)
        assert isinstance(doc, dict) and doc.get("kind") == "ResourceList"
        assert isinstance(doc.get("items"), list) and not error_results(doc)
        return
    assert code == 1, code
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX), stderr
    if stdout:
        doc = load_yaml(stdout, any_tag=True)
        assert isinstance(doc, dict) and doc.get("kind") == "ResourceList"
        assert error_results(doc)


def check_cli_bytes(data: bytes) -> None:
    check_cli(*run_cli(data))


def check_subprocess(data: bytes) -> None:
    r = run_fn(data, timeout=60)
    check_cli(r.code, r.stdout, r.stderr)


def test_fuzz_cli_bytes():
    survey("cli_bytes", 150, byte_inputs(), check_cli_bytes)


def test_fuzz_subprocess():
    survey("subprocess", 12, byte_inputs(), check_subprocess, shrink=None)


# ---------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_example_idempotent_and_deterministic(name):
    """Every example: the same output in three processes (different hash seeds), and a
    re-run on its own output changes nothing but the results."""
    text = SEEDS[name]
    runs = [run_fn(text, env={"PYTHONHASHSEED": seed}) for seed in ("0", "1", "12345")]
    assert {r.code for r in runs} == {0}, runs[0].stderr + runs[0].stdout[-500:]
    assert len({r.stdout for r in runs}) == 1, "the output depends on the hash seed"
    first = runs[0].stdout
    assert check(text) == 0
    rerun_input = without_results(first)
    again = run_fn(rerun_input)
    assert again.code == 0 and without_results(again.stdout) == rerun_input


def test_stream_example_idempotent_and_deterministic():
    manifests = (EXAMPLES / "stream/manifests.yaml").read_text()
    cfg = "examples/stream/config.yaml"
    runs = [run_fn(manifests, "--config", cfg, env={"PYTHONHASHSEED": s}) for s in "012"]
    assert {r.code for r in runs} == {0} and len({r.stdout for r in runs}) == 1
    again = run_fn(runs[0].stdout, "--config", cfg)
    assert again.code == 0 and again.stdout == runs[0].stdout
    for fmt in ("text", "json"):
        checks = [run_fn(b"", "validate", "--config", cfg, "--format", fmt,
                         "examples/stream/manifests.yaml", env={"PYTHONHASHSEED": s})
                  for s in "01"]
        assert checks[0].code == 1 and checks[0].stdout == checks[1].stdout
    passed = run_fn(runs[0].stdout, "validate", "--config", cfg, "-")
    assert passed.code == 0, passed.stdout


# ---------------------------------------------------------------------------- atheris


def test_atheris_short_run(tmp_path):
    """tests/fuzz/atheris_fn.py, coverage-guided from the examples: 15,000 runs with a fixed
    seed (the same inputs on every machine), or 15 s with a random seed when
    FUZZ_SCALE is set; exits 0 and finds no violation."""
    import subprocess

    import atheris  # noqa: F401  (a test extra: installed, never skipped)

    findings = tmp_path / "findings"
    script = EXAMPLES.parent / "tests" / "fuzz" / "atheris_fn.py"
    budget = ["-max_total_time=15"] if "FUZZ_SCALE" in os.environ else \
        ["-seed=20261123", "-atheris_runs=15000"]
    proc = subprocess.run([sys.executable, str(script), *budget, f"--survey={findings}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    done = re.search(r"Done (\d+)", proc.stderr)
    if done:
        count("atheris", int(done.group(1)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert done, proc.stderr[-2000:]
    found = sorted(findings.glob("*.txt")) if findings.exists() else []
    report = []
    for n, path in enumerate(found):
        kind, _, text = path.read_text(encoding="utf-8").partition("\n")
        plain = kind.split(" (the exception text")[0]
        text = shrink(text, lambda t, plain=plain: _kind_of_run(check, t) == plain)
        save_finding(f"atheris-{n}", kind, text)
        report += [f"--- {kind}", f"    input: {text!r}"[:6000]]
    assert not found, f"{len(found)} distinct violations:\n" + "\n".join(report)
