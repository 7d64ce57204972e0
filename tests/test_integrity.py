"""Output integrity (issue 12) as a property: for every input libyaml reads, either exit 1
with an error result and the input echoed, or exit 0 with output that parses, keeps every
input item, and is idempotent (``helpers.check_invariants``). The inputs come from the
generators the issue implies: line breaks of every kind (the whole text or one item),
aliases (pull secrets, images, results shared between places), merge keys, namespaces
(none, default, invalid, in a List). Seeded: the same cases every run (FUZZ_SCALE=N for
more, random)."""

from __future__ import annotations

from helpers import check_invariants, load_yaml
from hypothesis import strategies as st
from test_fuzz import survey

from fn import krm

LICENSE = "fuzzLicenseIdK2v9Wm4Rt"
BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
NAMESPACES = [None, "default", "shop", "shop-2", None, "shop", "default", "/abs", "Bad NS!",
              "../x", None, "shop"]
IMAGES = ["quay.io/acme/api:1", "nginx:1.25", "quay.io/acme/db@sha256:" + "ab" * 32,
          "localhost:5000/acme/x:1", "QUAY.IO/acme/api:2", "proxy.replicated.com/proxy/acme/"
          "quay.io/acme/api:1"]
PULL_SECRETS = ["", "    imagePullSecrets: ~\n", "    imagePullSecrets: []\n",
                "    imagePullSecrets: [{name: other}]\n",
                "    imagePullSecrets:\n    - name: other\n"]


@st.composite
def pod(draw, n: int) -> str:
    ns = draw(st.sampled_from(NAMESPACES))
    meta = f"{{name: p{n}" + (f", namespace: {ns!r}" if ns else "") + "}"
    image = draw(st.sampled_from(IMAGES))
    secrets = draw(st.sampled_from(PULL_SECRETS))
    if draw(st.booleans()) and n == 0:
        secrets = "    imagePullSecrets: &ips [{name: shared}]\n"
    elif draw(st.booleans()) and n > 0:
        secrets = draw(st.sampled_from(["    imagePullSecrets: *ips\n", secrets]))
    containers = f"    - {{name: a, image: {image!r}}}\n"
    if draw(st.booleans()):
        spec = (f"  spec: {{<<: {{imagePullSecrets: [{{name: merged}}]}}, containers: "
                f"[{{name: a, image: {image!r}}}]}}\n")
    elif draw(st.booleans()):  # the image anchored, and repeated where nothing is rewritten
        containers = f"    - {{name: a, image: &own{n} {image!r}}}\n"
        spec = (f"  spec:\n{secrets}    containers:\n{containers}"
                f"    nodeSelector: {{copy: *own{n}}}\n")
    else:
        spec = f"  spec:\n{secrets}    containers:\n{containers}"
    item = f"- apiVersion: v1\n  kind: Pod\n  metadata: {meta}\n{spec}"
    if draw(st.booleans()):  # wrapped in a List
        inner = item.replace("\n", "\n  ").rstrip(" ")
        item = f"- apiVersion: v1\n  kind: List\n  metadata: {{name: l{n}}}\n  items:\n  {inner}"
    return item


@st.composite
def resource_lists(draw) -> str:
    count = draw(st.integers(1, 3))
    items = "".join(draw(pod(n)) for n in range(count))
    if "*ips" in items and "&ips" not in items:
        items = items.replace("*ips", "[{name: fallback}]")
    if draw(st.booleans()):  # an image anchored in a ConfigMap, used by a Pod
        items = ("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: images}\n"
                 "  data: {api: &img quay.io/acme/api:9}\n" + items.replace(
                     "image: 'quay.io/acme/api:1'", "image: *img", 1))
    if "&own0" in items and draw(st.booleans()):  # a Pod's image repeated by a ConfigMap
        items += ("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: copies}\n"
                  "  data: {first: *own0}\n")
    config = ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
              f"  data: {{licenseID: {LICENSE}, appSlug: acme, privateImages: "
              "'quay.io/acme/, localhost:5000'}\n")
    root = draw(st.sampled_from(["", "results: ~\n", "results: []\n", "<<: {results: null}\n"]))
    if "containers: &" in items:
        root = draw(st.sampled_from([root, "results: *c\n"]))
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" +
            (root if root.startswith("<<") else "") + "items:\n" + items + config +
            ("" if root.startswith("<<") else root))
    brk = draw(st.sampled_from(BREAKS))
    if draw(st.booleans()):  # one item only written with this line break
        start = text.index("- apiVersion")
        end = text.index("- apiVersion", start + 1) if text.count("- apiVersion") > 1 else \
            text.index("functionConfig:")
        return text[:start] + text[start:end].replace("\n", brk) + text[end:]
    return text.replace("\n", brk)


CODES: list[int] = []


def check(text: str) -> None:
    code = check_invariants(text, krm.resource_list)
    CODES.append(code)
    if code == 0:  # what aliases stood for, where nothing is rewritten, stays as it was
        out = krm.resource_list(text).stdout
        assert _unrewritten(load_yaml(out)["items"]) == _unrewritten(
            load_yaml(text)["items"]), "changed"


def _unrewritten(node: object) -> list:
    """Every nodeSelector, and every ConfigMap's data, in order."""
    found: list = []
    if isinstance(node, dict):
        if node.get("kind") == "ConfigMap" and node.get("metadata", {}).get("name") != "c":
            found.append(node.get("data"))
        for key, value in node.items():
            found += [value] if key == "nodeSelector" else _unrewritten(value)
    elif isinstance(node, list):
        for entry in node:
            found += _unrewritten(entry)
    return found


def test_fuzz_integrity():
    survey("integrity", 300, resource_lists(), check)
    # not vacuous: most cases are valid input and must come out changed and sound
    assert CODES.count(0) >= len(CODES) // 3, (CODES.count(0), len(CODES))
