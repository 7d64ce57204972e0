"""Bad input, run as a real process: one clear error result, one stderr line, exit 1.

For every kind of bad input (KRM ResourceList mode, plain stream mode, ``validate``):
exit code 1; stdout empty or a ResourceList whose ``results`` hold an error (stream mode:
empty; validate: empty or error findings); stderr exactly one line starting
``replicated-proxy-fn: error:``; no traceback or internal error anywhere; no test license
ID (or its base64 auth) on stderr or in results; and, when the input was a readable
ResourceList, the output's items exactly the input's (nothing lost or changed).

Inputs that are valid (JSON, CRLF, a BOM, 50 MB) must work, and work again on their own
output. A few inputs may go either way; those must then satisfy the invariants of
whichever way they went.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest
import yaml
from helpers import (
    PREFIX,
    TEST_LICENSE_IDS,
    config_map,
    error_results,
    items_events,
    leaks,
    load_yaml,
    record,
    resource_list,
    run_fn,
    without_results,
)

LICENSE_ID = "hardeningLicenseId7Qx3Zp9"
assert LICENSE_ID in TEST_LICENSE_IDS
PRIVATE = "quay.io/acme/"
CONFIG = config_map(licenseID=LICENSE_ID, appSlug="acme", privateImages=PRIVATE)
PROXIED = "proxy.replicated.com/proxy/acme/"
MiB = 1024 * 1024


# ---------------------------------------------------------------------------- inputs


def workload(spec: str = "", *, kind: str = "Deployment", name: str = "api",
             namespace: str = "shop", api: str = "apps/v1") -> str:
    """One item (block sequence entry). ``spec``: the PodSpec body, indented 8."""
    body = spec or ("        containers:\n        - name: api\n"
                    f"          image: {PRIVATE}api:1.0\n")
    return (f"- apiVersion: {api}\n  kind: {kind}\n  metadata:\n    name: {name}\n"
            f"    namespace: {namespace}\n  spec:\n    template:\n      spec:\n{body}")


def pod(spec: str, name: str = "p") -> str:
    """A Pod item; ``spec`` indented 4."""
    return f"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: {name}\n  spec:\n{spec}"


def config_text(data: dict) -> str:
    return yaml.safe_dump(config_map(**data), sort_keys=False, width=1000)


def rl(items: str = "", config: dict | str | None = None, *, with_config: bool = True) -> str:
    """A ResourceList with ``items`` (text) and the standard functionConfig (or ``config``:
    ConfigMap data as a dict, or YAML text of the whole functionConfig)."""
    items = items if items else workload()
    if not with_config:
        return resource_list(items)
    if isinstance(config, dict):
        return resource_list(items, config_map(**config))
    return resource_list(items, config if config is not None else CONFIG)


def with_license(license_yaml: str, **extra: str) -> str:
    """A ResourceList whose functionConfig carries ``license.yaml`` (text) and no licenseID."""
    return rl(config={"license.yaml": license_yaml, "privateImages": PRIVATE, **extra})


def license_doc(spec_lines: str) -> str:
    return ("apiVersion: kots.io/v1beta1\nkind: License\nmetadata:\n  name: customer\n"
            f"spec:\n{spec_lines}")


GOOD_LICENSE = license_doc(f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n")


def laughs(indent: str, levels: int = 12, name: str = "l") -> str:
    """Billion laughs: ``levels`` keys each holding nine aliases of the previous one."""
    lines = [f"{indent}{name}0: &{name}0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*{name}{i - 1}"] * 9)
        lines.append(f"{indent}{name}{i}: &{name}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def big_resource_list(target_bytes: int) -> str:
    """A valid ResourceList of about ``target_bytes``: many Deployments in 50 namespaces."""
    parts = ["apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"]
    size, i = 0, 0
    while size < target_bytes:
        part = (f"- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: app-{i}\n"
                f"    namespace: ns-{i % 50}\n    labels: {{app: app-{i}, tier: backend}}\n"
                f"  spec:\n    replicas: 3\n    template:\n      metadata:\n"
                f"        labels: {{app: app-{i}}}\n      spec:\n        containers:\n"
                f"        - name: main\n          image: {PRIVATE}app-{i}:1.{i}\n"
                f"          args: [\"--port\", \"8080\", \"--log-format=json\"]\n"
                f"          env:\n          - {{name: A, value: \"1\"}}\n"
                f"        - name: side\n          image: nginx:1.25\n")
        parts.append(part)
        size += len(part)
        i += 1
    parts.append(yaml.safe_dump({"functionConfig": CONFIG}, sort_keys=False))
    return "".join(parts)


def garbage(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


NESTED = "[" * 100_000 + "]" * 100_000


# ---------------------------------------------------------------------------- checks


@dataclass
class Case:
    stdin: bytes | str
    readable: bool | None = None  # None: decided by readable_list (small inputs only)
    timeout: float = 30
    memory_limit: int | None = 2048 * MiB


def as_bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


LIMITS = "over the function's limits"


def readable_list(data: bytes) -> bool | str:
    """Is ``data`` a ResourceList the function can read: UTF-8, one YAML document (every
    alias to a finished anchor), a mapping with kind ResourceList, a config.kubernetes.io
    apiVersion and a list of items? ``LIMITS`` when it would be but for the function's
    limits (more than 100 deep, more than 1,000,000 nodes with aliases expanded): then
    the items may come back or not."""
    if len(data) > 5 * MiB:
        raise AssertionError("say readable= for big inputs")
    events: list = []
    sizes: dict[str, int] = {}  # anchor -> nodes, aliases expanded
    stack = [[0, None]]  # open collections: [nodes so far, anchor]
    try:
        for e in yaml.parse(data.decode("utf-8"), Loader=yaml.CSafeLoader):
            events.append(e)
            if isinstance(e, yaml.AliasEvent):
                if e.anchor not in sizes:  # undefined, or recursive
                    return False
                stack[-1][0] += sizes[e.anchor]
            elif isinstance(e, yaml.ScalarEvent):
                stack[-1][0] += 1
                if e.anchor:
                    sizes[e.anchor] = 1
            elif isinstance(e, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append([1, e.anchor])
                if len(stack) > 101:
                    return LIMITS
            elif isinstance(e, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                count, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = count
                stack[-1][0] += count
            if stack[0][0] + sum(c for c, _ in stack[1:]) > 1_000_000:
                return LIMITS
    except (UnicodeDecodeError, yaml.YAMLError):
        return False
    if sum(isinstance(e, yaml.DocumentStartEvent) for e in events) != 1:
        return False
    if not isinstance(events[2], yaml.MappingStartEvent):
        return False
    root: dict[str, object] = {}
    i = 3
    while not isinstance(events[i], yaml.MappingEndEvent):
        value_at = skip_node(events, i)
        key, value = events[i], events[value_at]
        if isinstance(key, yaml.ScalarEvent):
            root[key.value] = value.value if isinstance(value, yaml.ScalarEvent) \
                else type(value).__name__
        i = skip_node(events, value_at)
    return (root.get("kind") == "ResourceList"
            and root.get("apiVersion") in ("config.kubernetes.io/v1",
                                           "config.kubernetes.io/v1beta1")
            and root.get("items") == "SequenceStartEvent")


def skip_node(events: list, i: int) -> int:
    """The index after the node that starts at ``events[i]``."""
    depth = 0
    while True:
        e = events[i]
        i += 1
        if isinstance(e, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
        elif isinstance(e, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        if depth == 0:
            return i


def assert_one_error_line(r) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert "internal error" not in r.stderr, f"an internal error, not a clear message: {r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and r.stderr.endswith("\n"), f"stderr is not one line: {r.stderr!r}"
    assert lines[0].startswith(PREFIX), lines[0]
    assert lines[0][len(PREFIX):].strip(), "an empty message"
    assert not leaks(r.stderr), f"stderr holds a test license ID: {r.stderr}"


def assert_krm_failure(case: Case, r) -> None:
    """The KRM-mode contract for bad input."""
    assert r.code == 1, (r.code, r.stderr, r.stdout[-2000:])
    assert_one_error_line(r)
    data = as_bytes(case.stdin)
    readable = case.readable if case.readable is not None else readable_list(data)
    if not r.stdout:
        assert readable is not True, \
            "a readable ResourceList must come back with its items and errors"
        return
    try:
        doc = load_yaml(r.stdout, any_tag=True)  # it may echo tags of the input
    except yaml.YAMLError as exc:
        raise AssertionError(f"stdout is not YAML: {exc}") from None
    assert isinstance(doc, dict) and doc.get("kind") == "ResourceList", r.stdout[:500]
    errors = error_results(doc)
    assert errors, f"no error result: {doc.get('results')}"
    assert all(isinstance(e.get("message"), str) and e["message"] for e in errors)
    assert not leaks(json.dumps(doc.get("results"))), "results hold a test license ID"
    echoed = doc.get("items") not in ([], None)
    if readable is True or (readable == LIMITS and echoed):
        assert items_events(r.stdout) == items_events(data.decode()), \
            "the items did not come back exactly as they went in"
    elif readable is False:
        assert doc.get("items") in ([], None), "unreadable input, yet items came back"


def private_images_left(doc: dict) -> list[str]:
    """Images under PRIVATE in any container list of any item (safe-loader view)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers", "ephemeralContainers") \
                        and isinstance(value, list):
                    found.extend(c["image"] for c in value if isinstance(c, dict)
                                 and isinstance(c.get("image"), str)
                                 and c["image"].startswith(PRIVATE))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in doc.get("items") or []:
        if isinstance(item, dict) and item.get("kind") != "ConfigMap":
            walk(item.get("spec"))
    return found


def assert_krm_success(stdin: bytes | str, r, *, check_private: bool = True) -> dict:
    """Exit 0, quiet stderr, a valid ResourceList with at least the input's items, no
    error results, no private image left; then idempotent and deterministic."""
    assert r.code == 0, (r.stderr, r.stdout[-2000:])
    assert r.stderr == "", r.stderr
    text = as_bytes(stdin).decode("utf-8")
    try:
        before = load_yaml(text)
    except Exception as exc:  # YAMLError, or PyYAML's own errors on ill-fitting tags
        raise AssertionError(f"exit 0 on input the safe loader cannot read: {exc}") from None
    try:
        doc = load_yaml(r.stdout)
    except yaml.YAMLError as exc:
        raise AssertionError(f"exit 0, and the output is not YAML: {exc}") from None
    assert isinstance(doc, dict) and doc.get("kind") == "ResourceList"
    assert isinstance(doc.get("items"), list)
    assert isinstance(doc.get("results"), list) and doc["results"], "no results at the root"
    assert len(doc["items"]) >= len(before.get("items") or [])
    assert not error_results(doc), doc.get("results")
    assert not leaks(json.dumps(doc.get("results"))), "results hold a test license ID"
    if check_private:
        assert private_images_left(doc) == []
    again = run_fn(stdin)
    assert again.code == 0 and again.stdout == r.stdout, "not deterministic"
    rerun_input = without_results(r.stdout)
    rerun = run_fn(rerun_input)
    assert rerun.code == 0, rerun.stderr
    assert without_results(rerun.stdout) == rerun_input, "not idempotent"
    return doc


# ---------------------------------------------------------------------------- KRM mode

CRON_BAD_JOBTEMPLATE = ("- apiVersion: batch/v1\n  kind: CronJob\n  metadata:\n    name: c\n"
                        "  spec:\n    jobTemplate: [a, b]\n")
PYTAG = '!!python/object/apply:os.system ["touch /tmp/replicated-proxy-fn-pwned"]'
SERVICE_WITH = ("- apiVersion: v1\n  kind: Service\n  metadata:\n    name: svc\n"
                "  spec:\n    ports: [{{port: 80}}]\n    extra: {}\n")
THING = ("- apiVersion: example.com/v1\n  kind: Thing\n  metadata:\n    name: t\n"
         "  spec:\n")
KRM_BAD = {
    # not YAML, not text, not one document
    "empty stdin": Case(""),
    "only whitespace": Case("   \n\n  \n"),
    "only comments": Case("# nothing here\n# at all\n"),
    "only a document marker": Case("---\n"),
    "null document": Case("~\n"),
    "invalid YAML": Case("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
                         "items: [\n  {a: b\n"),
    "invalid YAML (bad indentation)": Case(rl().replace("  kind: Deployment",
                                                        " kind: Deployment", 1)),
    "tab indentation": Case(rl().replace("  metadata:", "\tmetadata:", 1)),
    "unterminated quote": Case(rl().replace("name: api", 'name: "api', 1)),
    "two documents": Case(rl() + "---\n" + rl()),
    "two ResourceLists glued": Case(rl() + rl()),  # duplicate root keys
    "binary garbage": Case(garbage(4096, 1)),
    "binary garbage, small": Case(garbage(7, 2)),
    "binary garbage after a valid start": Case(as_bytes(rl()) + garbage(512, 3)),
    "non-UTF-8 byte in a comment": Case(as_bytes(rl()) + b"# caf\xe9\n"),
    "non-UTF-8 byte in a value": Case(as_bytes(rl()).replace(b"name: api", b"name: ap\xff", 1)),
    "UTF-16 text": Case(rl().encode("utf-16")),
    "CESU surrogate bytes": Case(as_bytes(rl()) + b"# \xed\xa0\x80\n"),
    "overlong UTF-8": Case(as_bytes(rl()) + b"# \xc0\xaf\n"),
    "NUL byte in a value": Case(rl().replace("name: api", "name: a\x00pi", 1)),
    "NUL byte at the end": Case(rl() + "\x00"),
    "NUL bytes only": Case(b"\x00" * 64),
    "control characters": Case(rl().replace("name: api", "name: a\x07\x1bpi", 1)),
    # not a mapping / not a ResourceList
    "a list": Case("- a\n- b\n"),
    "a scalar": Case("hello\n"),
    "a number": Case("42\n"),
    "a list of ResourceLists": Case("- " + rl().replace("\n", "\n  ").rstrip() + "\n"),
    "kind is not ResourceList": Case(rl().replace("kind: ResourceList", "kind: List", 1)),
    "no kind": Case(rl().replace("kind: ResourceList\n", "", 1)),
    "unknown apiVersion": Case(rl().replace("config.kubernetes.io/v1", "example.com/v9", 1)),
    "a plain manifest": Case(workload()[2:].replace("\n  ", "\n")),
    # items
    "no items": Case(resource_list("", CONFIG).replace("items: []\n", "")),
    "items: null": Case(resource_list("", CONFIG).replace("items: []", "items: null")),
    "items is a mapping": Case(resource_list("", CONFIG).replace("items: []",
                                                                 "items:\n  a: b")),
    "items is a string": Case(resource_list("", CONFIG).replace("items: []", "items: many")),
    "an item is null": Case(rl(workload() + "- null\n")),
    "an item is a string": Case(rl(workload() + "- just a string\n")),
    "an item is a list": Case(rl(workload() + "- [a, b]\n")),
    "item without apiVersion": Case(rl(workload().replace("- apiVersion: apps/v1\n  kind",
                                                          "- kind"))),
    "item without kind": Case(rl(workload().replace("  kind: Deployment\n", ""))),
    "item without metadata": Case(rl(pod("    containers: []\n").replace(
        "  metadata:\n    name: p\n", ""))),
    "item without metadata.name": Case(rl(workload().replace("    name: api\n", ""))),
    "metadata.name is a number": Case(rl(workload().replace("name: api", "name: 12", 1))),
    "metadata.name is empty": Case(rl(workload().replace("name: api", 'name: ""', 1))),
    "metadata is a list": Case(rl(pod("    containers: []\n").replace(
        "  metadata:\n    name: p\n", "  metadata: [name, p]\n"))),
    "apiVersion is a number": Case(rl(workload().replace("apps/v1", "1", 1))),
    "kind is a list": Case(rl(workload().replace("kind: Deployment", "kind: [Deployment]"))),
    "metadata.namespace is a list": Case(rl(workload().replace("namespace: shop",
                                                               "namespace: [shop]"))),
    "metadata.annotations is a list": Case(rl(workload().replace(
        "    namespace: shop\n", "    namespace: shop\n    annotations: [a, b]\n"))),
    "duplicate items": Case(rl(workload() + workload())),
    "duplicate items, one without namespace given as empty": Case(rl(
        workload(namespace='""') + workload().replace("    namespace: shop\n", ""))),
    "duplicate Secrets": Case(rl(workload() + 2 * (
        "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    namespace: shop\n"))),
    "kind List without a name, and items not a list": Case(rl(
        "- apiVersion: v1\n  kind: List\n  metadata: {}\n  items: notalist\n")),
    "kind List whose entry is not a mapping": Case(rl(
        "- apiVersion: v1\n  kind: List\n  metadata: {}\n  items: [a]\n")),
    # wrong types in fields the function reads
    "containers is a mapping": Case(rl(workload("        containers: {a: b}\n"))),
    "containers is a string": Case(rl(workload("        containers: quay.io/acme/api:1\n"))),
    "containers is a number": Case(rl(workload("        containers: 3\n"))),
    "a container is a string": Case(rl(workload("        containers:\n"
                                                "        - quay.io/acme/api:1\n"))),
    "image is a number": Case(rl(workload("        containers:\n        - name: a\n"
                                          "          image: 42\n"))),
    "image is a list": Case(rl(workload("        containers:\n        - name: a\n"
                                        "          image: [quay.io/acme/api:1]\n"))),
    "image is a mapping": Case(rl(workload("        containers:\n        - name: a\n"
                                           "          image: {name: quay.io/acme/api}\n"))),
    "image is a boolean": Case(rl(workload("        containers:\n        - name: a\n"
                                           "          image: true\n"))),
    "initContainers is a string": Case(rl(workload(
        "        initContainers: setup\n        containers:\n        - name: a\n"
        "          image: quay.io/acme/api:1\n"))),
    "imagePullSecrets is a string": Case(rl(workload(
        "        containers:\n        - name: a\n          image: quay.io/acme/api:1\n"
        "        imagePullSecrets: acme-registry\n"))),
    "imagePullSecrets is a mapping": Case(rl(workload(
        "        containers:\n        - name: a\n          image: quay.io/acme/api:1\n"
        "        imagePullSecrets: {name: acme-registry}\n"))),
    "imagePullSecrets entry is a string": Case(rl(workload(
        "        containers:\n        - name: a\n          image: quay.io/acme/api:1\n"
        "        imagePullSecrets:\n        - acme-registry\n"))),
    "volumes is a string": Case(rl(pod(
        "    containers:\n    - name: a\n      image: quay.io/acme/api:1\n"
        "    volumes: data\n"))),
    "volume image is a string": Case(rl(pod(
        "    containers: []\n    volumes:\n    - name: v\n      image: quay.io/acme/m:1\n"))),
    "volume image reference is a number": Case(rl(pod(
        "    containers: []\n    volumes:\n    - name: v\n      image: {reference: 5}\n"))),
    "pod spec is a string": Case(rl(pod("    nothing\n").replace("  spec:\n    nothing",
                                                                 "  spec: nothing"))),
    "template is a list": Case(rl(
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n"
        "  spec:\n    template: [a]\n")),
    "CronJob jobTemplate is a list": Case(rl(CRON_BAD_JOBTEMPLATE)),
    # functionConfig
    "no functionConfig": Case(rl(with_config=False)),
    "functionConfig is a list": Case(rl(config="- a\n- b\n")),
    "functionConfig is a string": Case(rl().replace(
        rl()[rl().index("functionConfig:"):], "functionConfig: hello\n")),
    "functionConfig of another kind": Case(rl(config="apiVersion: v1\nkind: Secret\n"
                                                     "metadata: {name: x}\n")),
    "ConfigMap data is a list": Case(rl(config="apiVersion: v1\nkind: ConfigMap\n"
                                               "metadata: {name: x}\ndata: [a]\n")),
    "typed config with the wrong apiVersion": Case(rl(config=(
        "apiVersion: v1\nkind: ReplicatedProxy\nmetadata: {name: x}\n"
        f"spec: {{licenseID: {LICENSE_ID}, appSlug: acme}}\n"))),
    "typed config spec is a list": Case(rl(config=(
        "apiVersion: fn.replicated-proxy/v1alpha1\nkind: ReplicatedProxy\n"
        "metadata: {name: x}\nspec: [a]\n"))),
    "unknown config field": Case(rl(config={"licenseID": LICENSE_ID, "appSlug": "acme",
                                            "licenceId": "x"})),
    "invalid mode": Case(rl(config={"licenseID": LICENSE_ID, "appSlug": "acme",
                                    "mode": "fix"})),
    "proxyAll not a boolean": Case(rl(config={"licenseID": LICENSE_ID, "appSlug": "acme",
                                              "proxyAll": "maybe"})),
    "functionConfig with a Python tag": Case(rl(config=config_text(
        {"licenseID": LICENSE_ID, "appSlug": "acme"}) + f"  proxyAll: {PYTAG}\n")),
    "functionConfig with a Python tag on a mapping": Case(rl(config=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        "data: !!python/object:collections.OrderedDict\n"
        f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n"))),
    # the license
    "no license at all": Case(rl(config={"privateImages": PRIVATE})),
    "license without licenseID": Case(with_license(license_doc("  appSlug: acme\n"))),
    "license without appSlug": Case(with_license(license_doc(f"  licenseID: {LICENSE_ID}\n"))),
    "licenseID without appSlug": Case(rl(config={"licenseID": LICENSE_ID})),
    "invalid appSlug (capitals, underscore)": Case(rl(config={"licenseID": LICENSE_ID,
                                                              "appSlug": "Acme_App"})),
    "invalid appSlug (leading dash)": Case(rl(config={"licenseID": LICENSE_ID,
                                                      "appSlug": "-acme"})),
    "invalid appSlug (too long)": Case(rl(config={"licenseID": LICENSE_ID,
                                                  "appSlug": "a" * 64})),
    "invalid appSlug in the license": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}\n  appSlug: Not A Slug\n"))),
    "appSlug is a number in the license": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}\n  appSlug: 42\n"))),
    "licenseID and appSlug swapped": Case(rl(config={"licenseID": "acme",
                                                     "appSlug": LICENSE_ID})),
    "license appSlug is an alias of the licenseID": Case(with_license(license_doc(
        f"  licenseID: &id {LICENSE_ID}\n  appSlug: *id\n"))),
    "licenseID is a number in the license": Case(with_license(license_doc(
        "  licenseID: 1234567890\n  appSlug: acme\n"))),
    "licenseID is a list in the license": Case(with_license(license_doc(
        f"  licenseID: [{LICENSE_ID}]\n  appSlug: acme\n"))),
    "licenseID is a mapping in the license": Case(with_license(license_doc(
        f"  licenseID: {{id: {LICENSE_ID}}}\n  appSlug: acme\n"))),
    "licenseID is a number in the ConfigMap": Case(rl(config=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        "data:\n  licenseID: 1234567890\n  appSlug: acme\n"))),
    "licenseID is a list in the typed config": Case(rl(config=(
        "apiVersion: fn.replicated-proxy/v1alpha1\nkind: ReplicatedProxy\n"
        f"metadata: {{name: x}}\nspec:\n  licenseID: [{LICENSE_ID}]\n  appSlug: acme\n"))),
    "malformed licenseID": Case(rl(config={"licenseID": f"{LICENSE_ID} with spaces",
                                           "appSlug": "acme"})),
    "licenseID too long": Case(rl(config={"licenseID": LICENSE_ID * 12, "appSlug": "acme"})),
    "unparsable license": Case(with_license("spec: [unclosed\n  appSlug: acme\n")),
    "license is a list": Case(with_license("- a\n- b\n")),
    "license is a string": Case(with_license("just words")),
    "license of another kind": Case(with_license(GOOD_LICENSE.replace("kind: License",
                                                                      "kind: Secret"))),
    "license with another apiVersion": Case(with_license(GOOD_LICENSE.replace(
        "kots.io/v1beta1", "kots.io/v9"))),
    "license without spec": Case(with_license("apiVersion: kots.io/v1beta1\nkind: License\n")),
    "license with a Python tag": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n  x: {PYTAG}\n"))),
    "license YAML error on the ID's line (unterminated quote)": Case(with_license(license_doc(
        f'  licenseID: "{LICENSE_ID}\n  appSlug: acme\n'))),
    "license YAML error on the ID's line (colon)": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}: x\n  appSlug: acme\n"))),
    "license YAML error on the ID's line (tab)": Case(with_license(license_doc(
        f"  appSlug: acme\n\tlicenseID: {LICENSE_ID}\n"))),
    "license YAML error on the ID's line (bad indent)": Case(with_license(license_doc(
        f"  appSlug: acme\n    licenseID: {LICENSE_ID}\n"))),
    "license YAML error after the ID (bad escape)": Case(with_license(license_doc(
        f'  licenseID: "{LICENSE_ID}\\q"\n  appSlug: acme\n'))),
    "license YAML error: the ID as an undefined alias": Case(with_license(license_doc(
        f"  licenseID: *{LICENSE_ID}\n  appSlug: acme\n"))),
    "license YAML error: the ID as an unknown tag": Case(with_license(license_doc(
        f"  licenseID: !!{LICENSE_ID} x\n  appSlug: acme\n"))),
    "YAML error on the ID's line in the ResourceList itself": Case(rl().replace(
        f"licenseID: {LICENSE_ID}", f'licenseID: "{LICENSE_ID}')),
    "YAML error on the ID's line in the ResourceList (colon)": Case(rl().replace(
        f"licenseID: {LICENSE_ID}", f"licenseID: {LICENSE_ID}: [")),
    "the ID as an undefined alias in the ResourceList": Case(rl().replace(
        f"licenseID: {LICENSE_ID}", f"licenseID: *{LICENSE_ID}")),
    "the ID as an unknown tag in the ResourceList": Case(rl().replace(
        f"licenseID: {LICENSE_ID}", f"licenseID: !!{LICENSE_ID} x")),
    "!!timestamp on a non-date in functionConfig": Case(rl().replace(
        "appSlug: acme", "appSlug: !!timestamp acme")),
    "!!bool on a non-boolean in functionConfig": Case(rl().replace(
        "appSlug: acme", "appSlug: !!bool acme")),
    "!!int on a non-number in functionConfig": Case(rl().replace(
        "appSlug: acme", "appSlug: !!int acme")),
    "!!timestamp on a non-date in the license": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}\n  appSlug: !!timestamp acme\n"))),
    "!!int on a non-number in the license": Case(with_license(license_doc(
        f"  licenseID: {LICENSE_ID}\n  appSlug: !!int acme\n"))),
    "!!float on the license ID": Case(with_license(license_doc(
        f"  licenseID: !!float {LICENSE_ID}\n  appSlug: acme\n"))),
    "licenseConfigMap missing": Case(rl(config={"licenseConfigMap": "license",
                                                "privateImages": PRIVATE})),
    "licenseConfigMap without license.yaml": Case(rl(
        workload() + "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: license\n"
        "  data:\n    other: x\n", {"licenseConfigMap": "license"})),
    "two licenseConfigMaps": Case(rl(
        workload() + "".join(
            f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: license\n"
            f"    namespace: {ns}\n  data:\n    license.yaml: |\n"
            + "".join(f"      {line}\n" for line in GOOD_LICENSE.splitlines())
            for ns in ("a", "b")), {"licenseConfigMap": "license"})),
    "licenseConfigMap license.yaml broken on the ID's line": Case(rl(
        workload() + "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: license\n"
        "  data:\n    license.yaml: |\n      spec:\n"
        f"        licenseID: {LICENSE_ID}: [\n        appSlug: acme\n",
        {"licenseConfigMap": "license"})),
    "existing Secret that is not ours": Case(rl(
        workload() + "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: acme-registry\n"
        "    namespace: shop\n  type: Opaque\n  data: {a: Yg==}\n")),
    # aliases, tags, bombs, depth, size
    "undefined alias in an item": Case(rl(workload("        containers:\n        - *nope\n"))),
    "undefined alias as an item": Case(rl(workload() + "- *nope\n")),
    "undefined alias in a part not read": Case(rl(
        workload() + SERVICE_WITH.format("*nope"))),
    "recursive alias": Case(rl(workload() + THING + "    a: &a [*a]\n")),
    "Python tag on an image": Case(rl(workload("        containers:\n        - name: a\n"
                                               f"          image: {PYTAG}\n"))),
    "Python tag on a container": Case(rl(workload(
        "        containers:\n        - !!python/object:os.system {name: a, image: b}\n"))),
    "Python tag on metadata.name": Case(rl(workload().replace(
        "name: api", "name: !!python/name:os.system x", 1))),
    "Python tag in a part not read": Case(rl(workload() + SERVICE_WITH.format(PYTAG))),
    "Python tag on a whole item": Case(rl(workload() + "- !!python/object/new:os.system\n"
                                          "  args: [ls]\n")),
    "Python tag on the root": Case("!!python/object:__main__.X\n" + rl()),
    "billion laughs in functionConfig": Case(rl(config=config_text(
        {"licenseID": LICENSE_ID, "appSlug": "acme"}).replace(
            "\ndata:\n", "\nlol:\n" + laughs("  ") + "data:\n")), timeout=20),
    "billion laughs in a custom resource": Case(rl(workload() + THING + laughs("    ")),
                                                timeout=20),
    "billion laughs in a ConfigMap": Case(rl(
        workload() + "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n"
        "  data:\n" + laughs("    ")), timeout=20),
    "billion laughs as containers": Case(rl(THING + laughs("    ") + workload(
        "        containers: *l11\n")),
        timeout=20),
    "billion laughs in the license": Case(with_license(license_doc(
        "  appSlug: acme\n" + laughs("  "))), timeout=20),
    "very deep nesting (flow)": Case(NESTED),
    "very deep nesting in an item": Case(rl(workload() + THING + "    deep: " + NESTED + "\n")),
    "very deep nesting (block)": Case(rl(workload() + THING + "".join(
        " " * (i + 4) + f"k{i}:\n" for i in range(1000)) + " " * 1004 + "v\n")),
    "very deep nesting in functionConfig": Case(rl(config=config_text(
        {"licenseID": LICENSE_ID, "appSlug": "acme"}) + "deep: " + NESTED + "\n")),
    "huge input (over 256 MiB)": Case(
        b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
        + b"# " + b"x" * (257 * MiB) + b"\n", readable=False, timeout=120,
        memory_limit=None),
    "50 MB input, broken at the very end": Case(
        big_resource_list(50 * MiB) + "  broken: [\n", readable=False, timeout=120,
        memory_limit=None),
}


def test_krm_bad_cases_are_distinct():
    assert len({as_bytes(c.stdin) for c in KRM_BAD.values()}) == len(KRM_BAD)


@pytest.mark.parametrize("name", list(KRM_BAD))
def test_bad_resource_list(name):
    case = KRM_BAD[name]
    r = run_fn(case.stdin, timeout=case.timeout, memory_limit=case.memory_limit)
    assert_krm_failure(case, r)


@pytest.mark.parametrize("name", ["binary garbage", "non-UTF-8 byte in a comment",
                                  "UTF-16 text", "huge input (over 256 MiB)"])
def test_unreadable_input_still_gets_a_resource_list(name):
    """The documented contract: input that cannot be read at all gets a ResourceList with
    ``items: []`` and the error result (not only a stderr line)."""
    case = KRM_BAD[name]
    r = run_fn(case.stdin, timeout=case.timeout, memory_limit=case.memory_limit)
    assert r.code == 1
    doc = load_yaml(r.stdout) if r.stdout else None
    assert isinstance(doc, dict) and doc.get("items") == [] and error_results(doc), \
        f"stdout: {r.stdout[:300]!r}"


def test_no_exception_escapes_in_process():
    """``fn.krm.resource_list`` on every (small, UTF-8) bad input returns a failed run;
    it never raises (the command line would say "internal error"), so no exception text
    can carry a license ID either."""
    from fn import krm

    escaped = []
    for name, case in KRM_BAD.items():
        data = as_bytes(case.stdin)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(text) > MiB:
            continue
        try:
            run = krm.resource_list(text)
            assert run.code == 1 and run.stdout
        except AssertionError:
            escaped.append(f"{name}: exit {run.code}")
        except Exception as exc:
            record(f"fn.krm.resource_list ({name})", "exception text", str(exc))
            secret = " (its text holds the license ID)" if leaks(str(exc)) else ""
            escaped.append(f"{name}: {type(exc).__name__} escaped{secret}")
    assert not escaped, "\n".join(escaped)


def test_python_tags_construct_nothing(tmp_path):
    marker = tmp_path / "pwned"
    tag = f'!!python/object/apply:os.system ["touch {marker}"]'
    for text in (rl(workload("        containers:\n        - name: a\n"
                             f"          image: {tag}\n")),
                 rl(workload() + SERVICE_WITH.format(tag)),
                 rl(config=config_text({"licenseID": LICENSE_ID, "appSlug": "acme"})
                    + f"  proxyAll: {tag}\n"),
                 with_license(license_doc(f"  licenseID: {LICENSE_ID}\n  appSlug: {tag}\n"))):
        run_fn(text)
        assert not marker.exists()


def test_bombs_stay_small_and_fast():
    """Billion laughs anywhere: done in seconds, under 512 MiB of address space."""
    for name in [n for n in KRM_BAD if "laughs" in n]:
        r = run_fn(KRM_BAD[name].stdin, timeout=20, memory_limit=512 * MiB)
        assert r.code in (0, 1) and "MemoryError" not in r.stderr, (name, r.stderr)
        assert r.seconds < 10, (name, r.seconds)


# ---------------------------------------------------------------------------- valid inputs


def quickstart() -> str:
    from helpers import EXAMPLES

    return (EXAMPLES / "quickstart/resourcelist.yaml").read_text()


VALID = {
    "JSON ResourceList": lambda: json.dumps(yaml.safe_load(quickstart())),
    "JSON ResourceList, one line per item": lambda: json.dumps(
        yaml.safe_load(quickstart()), indent=1),
    "CRLF line endings": lambda: quickstart().replace("\n", "\r\n"),
    "UTF-8 BOM": lambda: "\ufeff" + quickstart(),
    "UTF-8 BOM and CRLF": lambda: "\ufeff" + quickstart().replace("\n", "\r\n"),
    "document markers": lambda: "---\n" + quickstart() + "...\n",
    "v1beta1 ResourceList": lambda: quickstart().replace("config.kubernetes.io/v1\n",
                                                         "config.kubernetes.io/v1beta1\n", 1),
    "no trailing newline": lambda: quickstart().rstrip("\n"),
    "empty items": lambda: resource_list("", CONFIG),
    "empty flow items, Secrets for two namespaces": lambda: resource_list("", config_map(
        licenseID=LICENSE_ID, appSlug="acme", namespaces="shop, extra")),
    "JSON with empty items, Secrets for two namespaces": lambda: json.dumps(yaml.safe_load(
        resource_list("", config_map(licenseID=LICENSE_ID, appSlug="acme",
                                     namespaces="shop, extra")))),
    "flow-style items": lambda: resource_list(
        "- {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: shop}, spec: "
        "{containers: [{name: a, image: quay.io/acme/api:1}]}}\n", CONFIG),
    "typed functionConfig": lambda: resource_list(workload(), {
        "apiVersion": "fn.replicated-proxy/v1alpha1", "kind": "ReplicatedProxy",
        "metadata": {"name": "x"},
        "spec": {"license": {"apiVersion": "kots.io/v1beta1", "kind": "License",
                             "spec": {"licenseID": LICENSE_ID, "appSlug": "acme"}},
                 "privateImages": [PRIVATE]}}),
    "license.yaml in the ConfigMap": lambda: with_license(GOOD_LICENSE),
    "non-ASCII text": lambda: rl(workload().replace(
        "    namespace: shop\n", "    namespace: shop\n    annotations: {note: \"café ☕ 😀\"}\n")),
    "!!binary and a local tag in a ConfigMap": lambda: rl(
        workload() + "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n"
        "  binaryData:\n    b: !!binary aGVsbG8=\n  data:\n    x: !!str 5\n"),
    "anchors and aliases between images": lambda: rl(workload(
        "        containers:\n        - name: a\n          image: &img quay.io/acme/api:1\n"
        "        - name: b\n          image: *img\n")),
    "nesting 90 deep": lambda: rl(workload() + THING + "    deep: " + "[" * 90 + "]" * 90
                                  + "\n"),
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_input_works(name):
    stdin = VALID[name]()
    r = run_fn(stdin)
    assert_krm_success(stdin, r)


def test_json_resource_list_rewrites():
    r = run_fn(VALID["JSON ResourceList"]())
    doc = assert_krm_success(VALID["JSON ResourceList"](), r)
    images = [c["image"] for c in doc["items"][0]["spec"]["template"]["spec"]["containers"]]
    assert images == [PROXIED + "quay.io/acme/api:1.4.2", "nginx:1.25"]
    assert any(i["kind"] == "Secret" for i in doc["items"])


@pytest.mark.parametrize("name", ["UTF-8 BOM", "CRLF line endings", "UTF-8 BOM and CRLF"])
def test_bom_and_crlf_give_the_same_items(name):
    """The same items as from the plain file, only the encoding details differ."""
    plain = load_yaml(run_fn(quickstart()).stdout)
    r = run_fn(VALID[name]())
    assert r.code == 0, r.stderr
    assert load_yaml(r.stdout)["items"] == plain["items"]


def test_50_mb_input_finishes_with_a_result():
    stdin = big_resource_list(50 * MiB)
    count = stdin.count("\n- apiVersion: apps/v1")
    r = run_fn(stdin, timeout=180)
    assert r.code == 0, r.stderr
    assert r.seconds < 120, f"50 MB took {r.seconds:.0f} s"
    assert r.stderr == ""
    assert r.stdout.count("\n- apiVersion: apps/v1") == count
    assert r.stdout.count("\n- apiVersion: v1\n  kind: Secret") == 50
    assert f"image: {PROXIED}{PRIVATE}app-0:1.0\n" in r.stdout
    assert f"image: {PRIVATE}" not in r.stdout
    tail = load_yaml(r.stdout[r.stdout.rindex("\nresults:") + 1:])
    assert tail["results"] and not error_results(tail)


def test_50_mb_single_scalar():
    stdin = rl(workload() + "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: big\n"
               "  data:\n    blob: " + "x" * (50 * MiB) + "\n")
    r = run_fn(stdin, timeout=120)
    assert r.code == 0, r.stderr
    assert r.seconds < 60
    assert len(r.stdout) > 50 * MiB and r.stderr == ""


# ---------------------------------------------------------------------------- either way

EITHER = {
    "kind List with a name": rl(
        "- apiVersion: v1\n  kind: List\n  metadata:\n    name: all\n  items:\n"
        + "".join("  " + line + "\n" for line in workload().splitlines())),
    "duplicate keys in an item": rl(workload().replace(
        "    name: api\n", "    name: api\n    name: api2\n")),
    "duplicate image keys": rl(workload(
        "        containers:\n        - name: a\n          image: nginx:1\n"
        f"          image: {PRIVATE}api:1\n")),
    "merge key gives a container its image": rl(
        THING + f"    base: &base {{image: {PRIVATE}api:1}}\n" + workload(
            "        containers:\n        - <<: *base\n          name: a\n")),
    "local tag in a part not read": rl(workload() + SERVICE_WITH.format("!Ref other")),
    "complex key with a null value": rl(workload(
        "        containers:\n        - name: a\n          image: quay.io/acme/api:1\n"
        "        ?   extra:\n")),
    "complex key in a custom resource": rl(workload() + THING + "    ? [a, b]\n    : c\n"),
    "anchor in a part not read, alias in functionConfig": rl(
        workload().replace("    namespace: shop\n",
                           "    namespace: shop\n    labels: {v: &v v1}\n"),
        "apiVersion: *v\nkind: ConfigMap\nmetadata: {name: x}\n"
        f"data:\n  licenseID: {LICENSE_ID}\n  appSlug: acme\n  privateImages: {PRIVATE}\n"),
    "explicit key (?) at the root": "? complex\n" + rl(),
    # a safe loader rejects these; if the function passes them on, its output is unreadable
    "!!bool on a mapping in a part not read": rl(workload() + THING + "    canary: !!bool {}\n"),
    "!!seq on a scalar in a part not read": rl(workload() + THING + "    when: !!seq '0 3'\n"),
    "results already present": rl() + "results:\n- message: earlier\n  severity: info\n",
    "results is a string": rl() + "results: none\n",
    "image with a NEL and LS character": rl(workload(
        "        containers:\n        - name: a\n"
        f"          image: \"{PRIVATE}api:1\\N\\L\"\n")),
    "billion laughs in the license (complete)": with_license(
        license_doc(f"  licenseID: {LICENSE_ID}\n  appSlug: acme\n" + laughs("  "))),
}


PRIVATE_MUST_GO = {"kind List with a name", "duplicate image keys",
                   "merge key gives a container its image"}


@pytest.mark.parametrize("name", list(EITHER))
def test_works_or_fails_cleanly(name):
    stdin = EITHER[name]
    r = run_fn(stdin, timeout=30, memory_limit=2048 * MiB)
    if r.code == 0:
        # where the input has a private image in a container, working means rewriting it
        assert_krm_success(stdin, r, check_private=name in PRIVATE_MUST_GO)
    else:
        assert_krm_failure(Case(stdin), r)


# ---------------------------------------------------------------------------- stream mode


STREAM_GOOD = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
               "  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n"
               f"      - name: api\n        image: {PRIVATE}api:1.0\n")


def stream_pod(spec: str, name: str = "p") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{spec}"


STREAM_BAD_INPUT = {
    "invalid YAML": "apiVersion: v1\nkind: [\n",
    "a document is a list": STREAM_GOOD + "---\n- a\n- b\n",
    "a document is a scalar": STREAM_GOOD + "---\nhello\n",
    "no apiVersion": STREAM_GOOD.replace("apiVersion: apps/v1\n", ""),
    "no kind": STREAM_GOOD.replace("kind: Deployment\n", ""),
    "no metadata.name": STREAM_GOOD.replace("  name: api\n", ""),
    "containers not a list": stream_pod("  containers: {a: b}\n"),
    "image not a string": stream_pod("  containers:\n  - name: a\n    image: 42\n"),
    "imagePullSecrets not a list": stream_pod(
        f"  containers:\n  - name: a\n    image: {PRIVATE}a:1\n  imagePullSecrets: x\n"),
    "duplicates": STREAM_GOOD + "---\n" + STREAM_GOOD,
    "binary garbage": garbage(2048, 4),
    "non-UTF-8": as_bytes(STREAM_GOOD) + b"# \xff\n",
    "NUL byte": STREAM_GOOD + "\x00\n",
    "undefined alias": stream_pod("  containers: [*x]\n"),
    "Python tag on an image": stream_pod(f"  containers:\n  - name: a\n    image: {PYTAG}\n"),
    "Python tag in a part not read": STREAM_GOOD + "---\n" + SERVICE_WITH.format(PYTAG)[2:]
    .replace("\n  ", "\n"),
    "billion laughs": STREAM_GOOD + "---\napiVersion: example.com/v1\nkind: Thing\n"
    "metadata:\n  name: t\nspec:\n" + laughs("  "),
    "very deep nesting": STREAM_GOOD + "---\n" + NESTED + "\n",
}


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "config.yaml"
    path.write_text(config_text({"licenseID": LICENSE_ID, "appSlug": "acme",
                                 "privateImages": PRIVATE}))
    return str(path)


def assert_stream_failure(r) -> None:
    assert r.code == 1, (r.code, r.stderr, r.stdout[:500])
    assert_one_error_line(r)
    assert r.stdout == "", "stream mode printed part of a stream before failing"


@pytest.mark.parametrize("name", list(STREAM_BAD_INPUT))
def test_bad_stream(name, config_file):
    r = run_fn(STREAM_BAD_INPUT[name], "--config", config_file, timeout=30,
               memory_limit=2048 * MiB)
    assert_stream_failure(r)


BAD_CONFIGS = {
    "invalid YAML": "apiVersion: v1\nkind: ConfigMap\ndata: [\n",
    "not a mapping": "- a\n",
    "empty": "",
    "two documents": config_text({"licenseID": LICENSE_ID}) + "---\n"
    + config_text({"appSlug": "acme"}),
    "a License, not a config": GOOD_LICENSE,
    "no licenseID": config_text({"appSlug": "acme"}),
    "no appSlug": config_text({"licenseID": LICENSE_ID}),
    "invalid appSlug": config_text({"licenseID": LICENSE_ID, "appSlug": "ACME!"}),
    "licenseID and appSlug swapped": config_text({"licenseID": "acme",
                                                  "appSlug": LICENSE_ID}),
    "license without licenseID": config_text({"license.yaml": license_doc("  appSlug: acme\n")}),
    "unparsable license": config_text({"license.yaml": "spec: [\n"}),
    "license broken on the ID's line": config_text({"license.yaml": license_doc(
        f"  licenseID: {LICENSE_ID}: [\n  appSlug: acme\n")}),
    "config broken on the ID's line": config_text({"licenseID": LICENSE_ID, "appSlug": "acme"})
    .replace(f"licenseID: {LICENSE_ID}", f"licenseID: '{LICENSE_ID}"),
    "licenseID is a number": config_text({"appSlug": "acme"}) + "  licenseID: 1234567890\n",
    "Python tag": config_text({"appSlug": "acme"}) + f"  licenseID: {PYTAG}\n",
    "billion laughs": config_text({"licenseID": LICENSE_ID, "appSlug": "acme"}).replace(
        "\ndata:\n", "\nlol:\n" + laughs("  ") + "data:\n"),
    "undefined alias": config_text({"appSlug": "acme"}) + "  licenseID: *id\n",
    "not UTF-8": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
    b"  appSlug: caf\xe9\n",
    "binary": garbage(1024, 5),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_bad_config_stream(name, tmp_path):
    path = tmp_path / "config.yaml"
    data = BAD_CONFIGS[name]
    path.write_bytes(as_bytes(data))
    r = run_fn(STREAM_GOOD, "--config", str(path), timeout=30, memory_limit=2048 * MiB)
    assert_stream_failure(r)


def test_missing_config_file(tmp_path):
    r = run_fn(STREAM_GOOD, "--config", str(tmp_path / "nope.yaml"))
    assert_stream_failure(r)


def test_stream_valid_variants(config_file):
    for text in (STREAM_GOOD, STREAM_GOOD.replace("\n", "\r\n"), "\ufeff" + STREAM_GOOD,
                 json.dumps(yaml.safe_load(STREAM_GOOD))):
        r = run_fn(text, "--config", config_file)
        assert r.code == 0, (text, r.stderr)
        docs = [d for d in yaml.load_all(r.stdout, Loader=yaml.CSafeLoader) if d]
        assert [d["kind"] for d in docs] == ["Deployment", "Secret"], r.stdout
        image = docs[0]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"{PROXIED}{PRIVATE}api:1.0", text
        again = run_fn(r.stdout, "--config", config_file)
        assert again.code == 0 and again.stdout == r.stdout, "stream mode is not idempotent"


# ---------------------------------------------------------------------------- validate


def assert_validate_failure(r, fmt: str) -> None:
    assert r.code == 1, (r.code, r.stderr, r.stdout[:500])
    assert_one_error_line(r)
    if not r.stdout:
        return
    if fmt == "json":
        data = json.loads(r.stdout)
        assert isinstance(data, list) and any(d.get("severity") == "error" for d in data)
    else:
        assert any(line.startswith("[error]") for line in r.stdout.splitlines()), r.stdout
    assert not leaks(r.stdout)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("name", list(STREAM_BAD_INPUT))
def test_bad_validate_input(name, fmt, config_file):
    r = run_fn(STREAM_BAD_INPUT[name], "validate", "--config", config_file, "--format", fmt,
               "-", timeout=30, memory_limit=2048 * MiB)
    assert_validate_failure(r, fmt)


@pytest.fixture(scope="module")
def compliant(config_file) -> str:
    """STREAM_GOOD as the function leaves it: passes validation with the good config."""
    r = run_fn(STREAM_GOOD, "--config", config_file)
    assert r.code == 0, r.stderr
    assert run_fn(r.stdout, "validate", "--config", config_file, "-").code == 0
    return r.stdout


# validate checks without a license ID (it then does not check the Secret's auth)
VALIDATE_BAD_CONFIGS = [n for n in BAD_CONFIGS
                        if n not in ("no licenseID", "license without licenseID")]


@pytest.mark.parametrize("name", VALIDATE_BAD_CONFIGS)
def test_bad_validate_config(name, tmp_path, compliant):
    path = tmp_path / "config.yaml"
    path.write_bytes(as_bytes(BAD_CONFIGS[name]))
    r = run_fn(compliant, "validate", "--config", str(path), "--format", "json", "-",
               timeout=30, memory_limit=2048 * MiB)
    assert_validate_failure(r, "json")


def test_validate_bad_files(tmp_path, config_file):
    (tmp_path / "a.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata: {name: \xff}\n")
    for args in ([str(tmp_path / "a.yaml")], [str(tmp_path)], [str(tmp_path / "missing")]):
        r = run_fn(b"", "validate", "--config", config_file, *args)
        assert_validate_failure(r, "text")
