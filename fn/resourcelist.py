"""ResourceList in, ResourceList out (config.kubernetes.io/v1, v1beta1 accepted).

The input is read once by libyaml (``fn.yamlread``) into nodes; changes are splices into
that text (``fn.textedit``), so every item the function does not change goes out exactly
as it came in, annotations, comments and all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from fn import locate, uncovered, yamlread
from fn.crdrows import BUILTIN
from fn.fieldspecs import GENERATED, Table
from fn.nodes import Mapping, Node, Scalar, Sequence, Skipped, is_null, string, to_python
from fn.problems import Problem
from fn.results import Result
from fn.textedit import Editor
from fn.yamlread import ALL

API_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
LOCAL_CONFIG = "config.kubernetes.io/local-config"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


class Item:
    """One resource, as the function needs it: identity, file, PodSpecs. Only ConfigMaps
    and Secrets (the license, the image list, pull secrets) keep their node: a large
    input is not held in memory as nodes."""

    __slots__ = ("api_version", "editor", "file_ref", "generated", "index", "kind",
                 "local_config", "name", "namespace", "node", "notes", "origin", "problem",
                 "sites", "suspects")

    def __init__(self, editor: Editor, index: int, api_version: str, kind: str, name: str,
                 namespace: str | None) -> None:
        self.editor = editor
        self.index = index
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.node: Mapping | None = None
        self.file_ref: dict[str, str | int] | None = None   # from kpt's path annotations
        self.origin: dict[str, str | int] | None = None     # its file (plain manifests)
        self.local_config = False
        self.generated = False                              # a Secret this function made
        self.sites: list[locate.Site] = []
        self.problem: Problem | None = None
        self.notes: list[Problem] = []  # warnings found while locating images
        self.suspects: list = []  # image-like fields no row covers (fn.uncovered)

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    def ref(self) -> dict[str, str]:
        out = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        return out

    def file(self) -> dict[str, str | int] | None:
        return self.file_ref or self.origin

    @property
    def is_kptfile(self) -> bool:
        return self.kind == "Kptfile" and self.group == "kpt.dev"


class Document:
    """A ResourceList read: its text, root node, items and functionConfig (plain data)."""

    def __init__(self, text: str, root: Mapping, items_node: Sequence, items: list[Item],
                 function_config: object, editor: Editor) -> None:
        self.text = text
        self.root = root
        self.items_node = items_node
        self.items = items
        self.function_config = function_config
        self.editor = editor
        self.problems: list[Problem] = []  # found while reading: the run fails with them

    def reread(self, table: Table) -> Document:
        """The same text read with other rows: the functionConfig, which brings the
        user's rows, comes after the items, which were read with the built-in ones."""
        return read(self.text, table)


def _root_policy(items_policy: object, take: object) -> dict:
    return {"apiVersion": ALL, "kind": ALL, "items": {"[]": items_policy, "then": take},
            "functionConfig": ALL, "results": {"[]": None}}


def read(text: str, table: Table = BUILTIN) -> Document:  # table: see Document.reread
    """Parse a ResourceList; raises Problem for anything that is not one."""
    text = yamlread.strip_bom(text)
    editor = Editor(text)
    items: list[Item] = []
    problems: list[Problem] = []  # the input is readable, but not usable: echo it back
    seen = [0]

    def take(node: Node) -> Node:
        at = seen[0]
        seen[0] += 1
        try:
            item = identify(node, editor, len(items), f"items[{at}]", table)
        except Problem as exc:
            problems.append(exc)
            return node
        items.append(item)
        return node if item.node is not None else Skipped(node.start, node.end)

    restarted = [False]

    def restart(node: Node) -> Node:  # an alias made the reader start again
        if not restarted[0]:
            restarted[0] = True
            items.clear()
            problems.clear()
            seen[0] = 0
        return take(node)

    refused: list[yamlread.Refused] = []
    root = parse(text, _root_policy(locate.policy_for(table), take), "input",
                 wide=_root_policy(ALL, restart), refused=refused)
    problems[:0] = [Problem(f"input has {r.problem} (line {r.problem_mark.line + 1}, "
                            f"column {r.problem_mark.column + 1})") for r in refused]
    if not isinstance(root, Mapping):
        raise Problem("input is not a ResourceList: the document is not a mapping")
    kind = string(root.get("kind"))
    api = string(root.get("apiVersion"))
    if kind != "ResourceList":
        raise Problem(f"input is not a ResourceList (kind is {kind!r})")
    if api not in API_VERSIONS:
        raise Problem(f"unsupported ResourceList apiVersion {api!r} (use {API_VERSIONS[0]})")
    items_node = root.get("items")
    if items_node is None:
        raise Problem("the ResourceList has no items")
    if not isinstance(items_node, Sequence):
        raise Problem("the ResourceList's items must be a list")
    results = root.get("results")
    if results is not None and not isinstance(results, Sequence) and not (
            isinstance(results, Scalar) and results.tag == "tag:yaml.org,2002:null"):
        problems.append(Problem("the ResourceList's results must be a list"))
    function_config = None
    try:
        function_config = to_python(root.get("functionConfig"))
    except ValueError as exc:
        problems.append(Problem(f"functionConfig could not be read: {exc}"))
    try:
        check_duplicates(items)
    except Problem as exc:
        problems.append(exc)
    doc = Document(text, root, items_node, items, function_config, editor)
    doc.problems = problems
    return doc


def parse(text: str, policy: object, source: str, wide: object = ALL,
          refused: list | None = None) -> Node | None:
    """One YAML document, read with libyaml; Problem (line, column) when it is not YAML."""
    try:
        return yamlread.read(text, policy, wide, refused)
    except yaml.YAMLError as exc:
        raise Problem(f"{source} is not valid YAML{_where(exc)}") from None
    except yamlread.TooDeep:
        raise Problem(f"{source} is nested too deeply") from None
    except ValueError:
        raise Problem(f"{source} must be exactly one YAML document") from None


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None:
        return ""
    return f" (line {mark.line + 1}, column {mark.column + 1}{': ' + problem if problem else ''})"


def identify(node: Node, editor: Editor, index: int, where: str,
             table: Table = BUILTIN) -> Item:
    """The Item for a resource's node: checks its identity, reads its annotations, finds
    its image fields, and lets go of the node unless it is a ConfigMap or Secret."""
    api, kind, name, namespace, meta = _identity(node, where)
    item = Item(editor, index, api, kind, name, namespace)
    _read_annotations(item, meta, f"{where} ({kind} {name})")
    keep = item.group == "" and (kind == "Secret" or (kind == "ConfigMap" and _payload(node)))
    if keep or (item.group == "kots.io" and kind in ("Application", "License")):
        item.node = node  # type: ignore[assignment]  # (Application, License: fn.kots)
    if not item.is_kptfile and not item.local_config and not (
            keep and table.find(item.group, kind) is None):
        try:
            item.sites = locate.sites(node, api, kind, item.notes, table)  # type: ignore[arg-type]
            item.suspects = uncovered.find(node, api, kind, item.sites)  # type: ignore[arg-type]
        except Problem as exc:
            item.problem = exc
        if item.node is None:
            _let_go(item.sites)
    return item


def _identity(node: Node, where: str) -> tuple[str, str, str, str | None, Mapping]:
    if not isinstance(node, Mapping):
        raise Problem(f"{where} is not a mapping")
    api = string(node.get("apiVersion"))
    kind = string(node.get("kind"))
    meta = node.get("metadata")
    if not api:
        raise Problem(f"{where} has no apiVersion")
    if not kind:
        raise Problem(f"{where} has no kind")
    if not isinstance(meta, Mapping):
        raise Problem(f"{where} ({kind}) has no metadata")
    name = string(meta.get("name"))
    if not name:
        raise Problem(f"{where} ({kind}) has no metadata.name")
    ns_node = meta.get("namespace")
    namespace = string(ns_node)
    if ns_node is not None and namespace is None and not is_null(ns_node):
        raise Problem(f"{where} ({kind} {name}) metadata.namespace must be a string")
    if namespace and (len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace)):
        raise Problem(f"{where} ({kind} {name}) metadata.namespace is not a valid namespace "
                      "name (lowercase letters, digits and '-', at most 63)")
    return api, kind, name, namespace or None, meta


def _read_annotations(item: Item, meta: Mapping, where: str) -> None:
    annotations = meta.get("annotations")
    if annotations is None or is_null(annotations):
        return
    if not isinstance(annotations, Mapping):
        raise Problem(f"{where} metadata.annotations must be a mapping")

    def note(key: str) -> str | None:
        return string(annotations.get(key))

    path = next((p for k in PATH_ANNOTATIONS if (p := note(k))), None)
    if path is not None:
        at = next((i for k in INDEX_ANNOTATIONS if (i := note(k))), "0")
        item.file_ref = {"path": path, "index": int(at) if at.isdigit() else 0}
    item.local_config = (note(LOCAL_CONFIG) or "").strip().lower() == "true"
    item.generated = note(GENERATED) == "true"


def _let_go(sites: list[locate.Site]) -> None:
    """Of each site's mapping, only the pull-secret key (and merge keys) is read again."""
    sites = [site for site in sites if not site.bare]
    keep: dict[int, set[str]] = {}
    for site in sites:
        keep.setdefault(id(site.base), {"<<"}).add(site.rest[0])
    for site in sites:
        site.base.pairs = [p for p in site.base.pairs if p[0].value in keep[id(site.base)]]


def _payload(configmap: Mapping) -> bool:
    """Whether a ConfigMap holds what the function may read: a license or an image list."""
    data = configmap.get("data")
    return isinstance(data, Mapping) and bool(data.pairs)  # the read policy kept only those


def check_duplicates(items: list[Item]) -> None:
    seen: dict[tuple, int] = {}
    for item in items:
        key = (item.group, item.kind, item.namespace or "", item.name)
        if key in seen:
            ns = f"{item.namespace}/" if item.namespace else ""
            raise Problem(f"duplicate resource {item.kind} {ns}{item.name} "
                          f"(items[{seen[key]}] and items[{item.index}])")
        seen[key] = item.index


def write(doc: Document, editor: Editor, results: list[Result],
          new_items: list[dict], drop: list[Item]) -> Iterator[str]:
    """The output ResourceList: the input text with ``editor``'s splices, ``new_items``
    appended to items, ``drop`` removed, and ``results`` appended."""
    for item in drop:
        editor.delete_entry(doc.items_node, item.index)
    for data in new_items:
        editor.append(doc.items_node, data)
    if results:
        data = [r.to_data() for r in results]
        existing = doc.root.get("results")
        if isinstance(existing, Sequence):
            for d in data:
                editor.append(existing, d)
        elif existing is None:
            editor.add_key(doc.root, "results", data)
        else:
            editor.set_value(doc.root, "results", data)
    return _ending_with_newline(editor.chunks())


def _ending_with_newline(chunks: Iterator[str]) -> Iterator[str]:
    last = "\n"
    for chunk in chunks:
        if chunk:
            last = chunk
            yield chunk
    if not last.endswith("\n"):
        yield "\n"


def kpt_annotations(path: str) -> dict[str, str]:
    """The path and index annotations kpt gives a new item (legacy and internal)."""
    out = {}
    for prefix in ("", "internal."):
        out[f"{prefix}config.kubernetes.io/path"] = path
        out[f"{prefix}config.kubernetes.io/index"] = "0"
    return out


def error_list(results: list[Result]) -> str:
    """A ResourceList for input that could not be read at all: no items, the error."""
    from fn.textedit import block

    lines = ["apiVersion: config.kubernetes.io/v1", "kind: ResourceList", "items: []", "results:"]
    lines += block([r.to_data() for r in results], 0)
    return "\n".join(lines) + "\n"
