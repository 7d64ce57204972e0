"""ResourceList in, ResourceList out (config.kubernetes.io/v1, v1beta1 accepted).

The input is read once by libyaml (``fn.yamlread``) into nodes; changes are splices into
that text (``fn.textedit``), so every item the function does not change goes out exactly
as it came in, annotations, comments and all.
"""

from __future__ import annotations

import sys

from fn import locate, namespaces, uncovered, yamlread
from fn.crdrows import BUILTIN
from fn.fieldspecs import (
    CONFIGMAP_PAYLOADS,
    GENERATED,
    SECRET_KINDS,
    Table,
    group_of,
    holds_no_image,
)
from fn.nodes import Mapping, Node, Sequence, Skipped, is_null, string, to_python
from fn.problems import Problem
from fn.textedit import Editor
from fn.yamlc import yaml
from fn.yamlread import ALL

API_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
LOCAL_CONFIG = "config.kubernetes.io/local-config"

_NO_SITES: tuple = ()  # what most items have: one shared, and nothing can be added to it


class Item(Skipped):
    """One resource, as the function needs it: identity, file, PodSpecs. Only ConfigMaps
    and Secrets (the license, the image list, pull secrets), ExternalSecrets and
    SealedSecrets keep their node: a large input is not held in memory as nodes. The others
    stand for their own entry in the items list: a Skipped node of their span (start, end)."""

    __slots__ = ("api_version", "editor", "file_index", "file_path", "generated", "group",
                 "index", "intents", "kind", "local_config", "name", "namespace", "node",
                 "notes", "origin", "problem", "sites", "suspects")

    def __init__(self, editor: Editor, index: int, api_version: str, kind: str, name: str,
                 namespace: str | None) -> None:
        self.editor = editor
        self.index = index
        self.api_version = api_version
        self.group = sys.intern(group_of(api_version))  # "" for the core group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.node: Mapping | None = None
        self.file_path: str | None = None  # kpt's path annotation (no tuple: 56 bytes less)
        self.file_index = 0                # and its index annotation
        self.origin: tuple[str, int] | None = None    # its file (plain manifests)
        self.local_config = False
        self.generated = False                              # a Secret this function made
        self.sites: list[locate.Site] | tuple = _NO_SITES
        self.problem: Problem | None = None
        self.notes: list[Problem] | None = None  # warnings found while locating images
        self.intents: list | None = None  # what its edits mean (fn.intents)
        self.suspects: list | None = None  # image-like fields no row covers (fn.uncovered)

    def ref(self) -> dict[str, str]:
        out = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        return out

    def file_at(self) -> tuple[str, int] | None:
        """(path, index) of its file: kpt's annotations, else where it was read."""
        return (self.file_path, self.file_index) if self.file_path else self.origin

    def file(self) -> dict[str, str | int] | None:
        """Its file, as results name it (made when asked: 180 bytes a dict)."""
        at = self.file_at()
        return {"path": at[0], "index": at[1]} if at is not None else None

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
        self.results_at: tuple[str, Node] | None = None  # where the writer put results
        self.policy: object = locate.resource_policy  # how each item was read (its rows)
        self.table: Table = BUILTIN  # the rows it was read with

    def reread(self, table: Table) -> Document:
        """The same text read with the user's rows (the functionConfig comes last)."""
        return read(self.text, table)


def _root_policy(items_policy: object, take: object, rest: object = None) -> object:
    keys = {"apiVersion": ALL, "kind": ALL, "items": {"[]": items_policy, "then": take},
            "functionConfig": ALL, "results": {"[]": None}}
    return keys if rest is None else lambda _, key: keys.get(key, rest)  # rest: any other key's


class _Collector:
    """Identifies each item as the reader hands it over; starts again when an alias made
    the reader read the text a second time (keeping everything)."""

    def __init__(self, editor: Editor, table: Table) -> None:
        self.editor = editor
        self.table = table
        self.items: list[Item] = []
        self.problems: list[Problem] = []  # readable, but not usable: echo it back
        self.seen = 0
        self.restarted = False

    def take(self, node: Node) -> Node:
        at = self.seen
        self.seen += 1
        try:
            item = identify(node, self.editor, len(self.items), f"items[{at}]", self.table)
        except Problem as exc:  # (kept without its frames, which hold the item's nodes)
            self.problems.append(exc.with_traceback(None))
            return node
        self.items.append(item)
        return item if item.node is None else item.node  # (its entry in the items list)

    def restart(self, node: Node) -> Node:
        if not self.restarted:
            self.restarted = True
            self.items.clear()
            self.problems.clear()
            self.seen = 0
        return self.take(node)


def read(text: str, table: Table = BUILTIN) -> Document:  # table: see Document.reread
    """Parse a ResourceList; raises Problem for anything that is not one."""
    text = yamlread.strip_bom(text)
    editor = Editor(text)
    c = _Collector(editor, table)
    refused: list[yamlread.Refused] = []
    policy = locate.policy_for(table)
    noted: list = []
    root = parse(text, _root_policy(policy, c.take), "input",
                 wide=_root_policy(ALL, c.restart, ALL), refused=refused, aliases=noted)
    problems = [Problem(f"input has {r.problem} (line {r.problem_mark.line + 1}, "
                        f"column {r.problem_mark.column + 1})") for r in refused] + c.problems
    items_node = _check_root(root)
    if noted:  # (aliases are rare: their module is loaded when there are some)
        from fn.aliases import places

        editor.aliases = places(noted, items_node.entries)
    results = root.get("results")  # type: ignore[union-attr]
    if results is not None and not isinstance(results, Sequence) and not is_null(results):
        problems.append(Problem("the ResourceList's results must be a list"))
    function_config = None
    try:
        function_config = to_python(root.get("functionConfig"))  # type: ignore[union-attr]
    except ValueError as exc:
        problems.append(Problem(f"functionConfig could not be read: {exc}"))
    try:
        check_duplicates(c.items)
    except Problem as exc:
        problems.append(exc)
    doc = Document(text, root, items_node, c.items, function_config, editor)  # type: ignore
    doc.problems = problems
    doc.policy = policy
    doc.table = table
    return doc


def _check_root(root: Node | None) -> Sequence:
    """The root is a ResourceList with a list of items: its items node."""
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
    return items_node


def parse(text: str, policy: object, source: str, wide: object = ALL,
          refused: list | None = None, aliases: list | None = None) -> Node | None:
    """One YAML document, read with libyaml; Problem (line, column) when it is not YAML."""
    try:
        return yamlread.read(text, policy, wide, refused, aliases)
    except yaml.YAMLError as exc:
        raise Problem(f"{source} is not valid YAML{yamlread.where(exc)}") from None
    except yamlread.TooDeep:
        raise Problem(f"{source} is nested too deeply") from None
    except ValueError:
        raise Problem(f"{source} must be exactly one YAML document") from None


def identify(node: Node, editor: Editor, index: int, where: str,
             table: Table = BUILTIN) -> Item:
    """The Item for a resource's node: checks its identity, reads its annotations, finds
    its image fields, and lets go of the node unless it is a ConfigMap or Secret."""
    api, kind, name, namespace, meta = _identity(node, where, table)
    item = Item(editor, index, api, kind, name or "", namespace)
    if meta is not None:
        _read_annotations(item, meta, where, name)
    if _kept_whole(item, node):
        item.node = node  # type: ignore[assignment]
    item.start, item.end = node.start, node.end
    if item.is_kptfile or item.local_config:
        return item
    if not ((item.node is not None or holds_no_image(item.group, kind))
            and table.find(item.group, kind) is None):
        _locate(item, node, table)
    elif kind == "ConfigMap" and not item.group:  # its values: images no row covers?
        item.suspects = uncovered.find(node, api, kind, _NO_SITES) or None
    return item


def _kept_whole(item: Item, node: Node) -> bool:
    """Payloads the function reads again: a license or image-list ConfigMap, Secrets,
    ExternalSecrets and SealedSecrets (fn.secretforms), KOTS's Application and License."""
    kind = item.kind
    core = kind == "Secret" or (kind == "ConfigMap" and _payload(node))  # type: ignore
    return (item.group == "" and core) or (item.group, kind) in SECRET_KINDS or (
        item.group == "kots.io" and kind in ("Application", "License"))


def _locate(item: Item, node: Node, table: Table) -> None:
    try:
        notes: list[Problem] = []
        item.sites = tuple(locate.sites(node, item.api_version, item.kind,  # type: ignore
                                        notes, table)) or _NO_SITES  # (a list: 40 B more)
        item.suspects = uncovered.find(node, item.api_version, item.kind,  # type: ignore
                                       item.sites, notes, table) or None
        item.notes = notes or None
    except Problem as exc:
        item.problem = exc.with_traceback(None)  # (its frames would hold the nodes)
    if item.node is None:
        _let_go(item.sites)


def _identity(node: Node, where: str, table: Table
              ) -> tuple[str, str, str | None, str | None, Mapping | None]:
    """apiVersion, kind, name, namespace, metadata (None: a List without, as kubectl's)."""
    if not isinstance(node, Mapping):
        raise Problem(f"{where} is not a mapping")
    api = string(node.get("apiVersion"))
    kind = string(node.get("kind"))
    meta = node.get("metadata")
    if not api:
        raise Problem(f"{where} has no apiVersion")
    if not kind:
        raise Problem(f"{where} has no kind")
    listed = locate.is_resource_list(node, api, kind, table)  # (kubectl's List: no name)
    if listed and (meta is None or is_null(meta)):
        return sys.intern(api), sys.intern(kind), None, None, None
    if not isinstance(meta, Mapping):
        raise Problem(f"{where} ({kind}) has no metadata")
    name = string(meta.get("name"))
    if not name and not listed:
        raise Problem(f"{where} ({kind}) has no metadata.name")
    namespace = _namespace(meta, where, kind, name)
    shared = sys.intern  # a few distinct values over many items: one copy of each
    return shared(api), shared(kind), name, shared(namespace) if namespace else None, meta


def _namespace(meta: Mapping, where: str, kind: str, name: str | None) -> str | None:
    namespace = string(ns_node := meta.get("namespace"))
    if ns_node is not None and namespace is None and not is_null(ns_node):
        raise Problem(f"{_named(where, kind, name)} metadata.namespace must be a string")
    if namespace and not namespaces.valid_namespace(namespace):
        raise Problem(f"{_named(where, kind, name)} metadata.namespace is not a valid "
                      "namespace name (lowercase letters, digits and '-', at most 63)")
    return namespace


def _named(where: str, kind: str, name: str | None) -> str:
    """"items[3] (Deployment api)", made only for a message (identify runs for every item)."""
    return f"{where} ({kind} {name})"


def _read_annotations(item: Item, meta: Mapping, where: str, name: str | None) -> None:
    annotations = meta.get("annotations")
    if annotations is None or is_null(annotations):
        return
    if not isinstance(annotations, Mapping):
        raise Problem(f"{_named(where, item.kind, name)} metadata.annotations must be a "
                      "mapping")
    # the read policy kept only those the function reads (and any a row names)
    found = {k.value: string(v) for k, v in annotations.pairs}
    path = found.get(PATH_ANNOTATIONS[0]) or found.get(PATH_ANNOTATIONS[1])
    if path:
        at = found.get(INDEX_ANNOTATIONS[0]) or found.get(INDEX_ANNOTATIONS[1]) or "0"
        item.file_path = path
        item.file_index = int(at) if at.isdigit() else 0
    item.local_config = (found.get(LOCAL_CONFIG) or "").strip().lower() == "true"
    item.generated = found.get(GENERATED) == "true"


def _let_go(sites: tuple[locate.Site, ...]) -> None:
    """Of each site's mapping, only the pull-secret key (and merge keys) is read again;
    the mappings that hold image fields are no longer needed. (Kept as tuples: read only.)"""
    keep: dict[int, tuple[Mapping, set[str]]] = {}
    for site in sites:
        site.images = tuple(site.images)  # type: ignore[assignment]
        for field in site.images:
            field.holder = None
        if site.rest:
            keep.setdefault(id(site.base), (site.base, {"<<"}))[1].add(site.rest[0])
    for base, keys in keep.values():
        base.pairs = [p for p in base.pairs if p[0].value in keys] or ()  # type: ignore


def _payload(configmap: Mapping) -> bool:
    """Whether a ConfigMap holds what the function may read: a license or an image list."""
    data = configmap.get("data")
    return isinstance(data, Mapping) and any(data.get(key) is not None
                                             for key in CONFIGMAP_PAYLOADS)


def check_duplicates(items: list[Item]) -> None:
    seen: dict[tuple, int] = {}
    for item in items:
        key = (item.group, item.kind, item.namespace or "", item.name)
        if key in seen:
            ns = f"{item.namespace}/" if item.namespace else ""
            raise Problem(f"duplicate resource {item.kind} {ns}{item.name} "
                          f"(items[{seen[key]}] and items[{item.index}])")
        seen[key] = item.index


def kpt_annotations(path: str) -> dict[str, str]:
    """The path and index annotations kpt gives a new item (legacy and internal)."""
    return {f"{prefix}config.kubernetes.io/{key}": value for prefix in ("", "internal.")
            for key, value in (("path", path), ("index", "0"))}
