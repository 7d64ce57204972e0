"""Find a resource's image fields and pull-secret lists, following ``fn.fieldspecs``.

Kinds with rows are walked along their paths. Any other kind falls back to a search for
embedded pod templates: a mapping with a ``containers`` list whose entries have string
``image`` fields is a PodSpec (Argo Rollout, Knative Service, KEDA ScaledJob, ...).
Fields of the wrong type raise ``Problem`` with the field's path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from fn import namespaces
from fn.crdrows import BUILTIN
from fn.fieldpath import Walker, child, join, joined, row_parts, serves
from fn.fieldspecs import (
    IN_POD_SPEC,
    NO_IMAGE_KINDS,
    PAYLOAD_POLICY,
    POD_SPEC_MARK,
    FieldSpec,
    Table,
    group_of,
    is_k8s_group,
    union,
    version_of,
)
from fn.nodes import STR, Mapping, Node, Scalar, Sequence, is_null
from fn.problems import Problem
from fn.results import WARNING
from fn.yamlread import ALL, Policy
from fn.yamlrules import MAX_DEPTH as READ_DEPTH

SKIP_KEYS = frozenset({"metadata", "status"})
MAX_DEPTH = READ_DEPTH  # what the reader reads, searched whole (deeper: aliases, a warning)
TOO_DEEP = f"nested more than {READ_DEPTH} levels deep: not searched further for images"


def too_deep(notes: list[Problem], path: str, why: str = TOO_DEEP) -> None:
    """A warning (once an item) that the search stopped at ``path`` (``why``)."""
    if not any(n.message == why for n in notes):
        notes.append(Problem(why, severity=WARNING, field=path))


class ImageField:
    __slots__ = ("alias_at", "block", "holder", "merged_in", "node", "owner", "path")

    def __init__(self, path: str, node: Scalar, owner: str, alias_at: int | None = None,
                 merged_in: Mapping | None = None, block: bool = False,
                 holder: Mapping | None = None) -> None:
        self.path = path      # "spec.template.spec.containers[0].image"
        self.node = node
        self.owner = owner    # "container api", "initContainer setup", "volume data"
        self.alias_at = alias_at  # "image: *a": where its key ends (the value is elsewhere)
        self.merged_in = merged_in  # "<<: *base" brings it: the mapping that gets its own
        self.block = block    # the mapping whose key it is is a block one (fn.editwindows)
        self.holder = holder  # that mapping, until the item is read (fn.uncovered)


class Site:
    """A pull-secret list (present or to be made) and the image fields it serves. ``base``
    is the deepest mapping on its path that exists; ``rest`` the keys to the list from it."""

    __slots__ = ("base", "images", "namespace", "path", "rest")

    def __init__(self, path: str, base: Mapping, rest: tuple[str, ...],
                 images: list[ImageField]) -> None:
        self.path = path      # "spec.template.spec.imagePullSecrets"
        self.base = base
        self.rest = rest
        self.images = images
        self.namespace: str | None = None  # in a List: the entry's (else the resource's)

    @property
    def bare(self) -> bool:
        """Images that no pull-secret list serves (the kind has none for them)."""
        return not self.rest

    def node(self) -> Node | None:
        """The list itself, when it exists (also when a ``<<`` merge key brings it)."""
        return self.base.get(self.rest[0]) if len(self.rest) == 1 else None

    def names(self) -> list[str] | None:
        """Names in the list (None when absent or null)."""
        node = self.node()
        if node is None or is_null(node):
            return None
        if not isinstance(node, Sequence):
            raise Problem("must be a list", field=self.path)
        names = []
        for i, entry in enumerate(node.entries):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            if not isinstance(name, Scalar):
                raise Problem("must be a mapping with a name", field=f"{self.path}[{i}]")
            names.append(name.value)
        return names


def policy_for(table: Table) -> Callable[[Mapping, str], Policy]:
    """The read policy of one resource's keys, given the keys read before it: built-in
    kinds keep their rows' paths; custom resources are read whole (searched for pod
    templates and for image fields no row covers, ``fn.uncovered``)."""
    if table is BUILTIN and _BUILTIN_POLICY:
        return _BUILTIN_POLICY[0]

    known: dict[tuple[str, str, str], Policy] = {}  # (apiVersion, kind, key) -> policy
    metadata = table.metadata_policy()
    def resource_policy(so_far: Mapping, key: str) -> Policy:
        if key in ("apiVersion", "kind"):
            return ALL
        if key == "metadata":
            return metadata
        kind = so_far.get("kind")
        api = so_far.get("apiVersion")
        if not isinstance(kind, Scalar) or not isinstance(api, Scalar):
            return ALL  # kind not known yet: read everything
        at = (api.value, kind.value, key)
        if at not in known:
            known[at] = _policy(*at)
        return known[at]

    def _policy(api: str, kind: str, key: str) -> Policy:
        group = group_of(api)
        if not is_k8s_group(group) or table.also_searched(group, kind):
            return ALL  # read whole: searched for pod templates
        policy = table.policy(group, kind)
        if kind in NO_IMAGE_KINDS:
            payload = PAYLOAD_POLICY.get(kind, {}).get(key)
            return payload if policy is None else union(policy.get(key), payload)
        return ALL if policy is None else policy.get(key)

    return resource_policy


_BUILTIN_POLICY: list = []
resource_policy = policy_for(BUILTIN)
_BUILTIN_POLICY.append(resource_policy)


def lists_resources(group: str, kind: str, table: Table = BUILTIN) -> bool:
    """Whether a kind is kubectl's List (``v1 List``, ``RoleBindingList``, ...): its name
    ends in ``List`` and no row names it. A kind that rows name is the resource they
    describe (a custom resource whose kind ends in ``List``: ``items`` is its own field)."""
    return kind.endswith("List") and table.find(group, kind) is None


def is_resource_list(root: Mapping, api: str, kind: str, table: Table = BUILTIN) -> bool:
    """A List: resources in ``items``."""
    return lists_resources(group_of(api), kind, table) and isinstance(root.get("items"),
                                                                      Sequence)


def sites(root: Mapping, api_version: str, kind: str, notes: list[Problem],
          table: Table = BUILTIN) -> list[Site]:
    """The pull-secret sites of one resource that serve at least one image field, and a
    bare site (no list: ``rest`` is empty) for the image fields none serves; what looked
    like images but could not be read goes to ``notes`` (warnings). A List's entries are
    read as the resources they are, each site with its entry's namespace."""
    if is_resource_list(root, api_version, kind, table):
        return _list_sites(root, notes, table)
    return _search_or_apply(root, api_version, kind, notes, table, "", 0)


def _list_sites(root: Mapping, notes: list[Problem], table: Table, path: str = ""
                ) -> list[Site]:
    out: list[Site] = []
    for i, entry in enumerate(root.get("items").entries):  # type: ignore[union-attr]
        at = f"{child(path, 'items')}[{i}]"
        if not isinstance(entry, Mapping):
            raise Problem("must be a mapping", field=at)
        api, kind = (v.value if isinstance(v := entry.get(k), Scalar) else ""
                     for k in ("apiVersion", "kind"))
        ns = namespaces.of_entry(entry, at)
        listed = is_resource_list(entry, api, kind, table)
        found = (_list_sites(entry, notes, table, at) if listed else
                 _search_or_apply(entry, api, kind, notes, table, at, 1))
        namespaces.place(found, ns)
        out += found
    return out


def _search_or_apply(root: Mapping, api: str, kind: str, notes: list[Problem], table: Table,
                     prefix: str, depth: int) -> list[Site]:
    """The kind's rows walked, or (no rows, or only the user's) the resource searched
    for pod templates. A field both find is the search's, a list both find one site."""
    group = group_of(api)
    rows = table.find(group, kind, version_of(api))
    found: list[Site] = []
    if rows is None or table.also_searched(group, kind):
        _search(root, prefix, found, set(), depth, notes)
    return found if rows is None else _merged(found, _apply(root, prefix, *rows))


def _merged(found: list[Site], more: list[Site]) -> list[Site]:
    """The search's sites and the rows': a field both find is the search's, a list both
    find one site serving the images of both."""
    if not found:  # (no search: the rows' sites as they are)
        return more
    known = {_place(f): f for site in found for f in site.images}
    lists = {(id(site.base), site.rest): site for site in found if not site.bare}
    for site in more:
        site.images = [known.get(_place(f), f) for f in site.images]
        same = lists.get((id(site.base), site.rest)) if not site.bare else None
        if same is None:
            found.append(site)
        else:
            same.images += [f for f in site.images if all(f is not g for g in same.images)]
    return found


def _place(field: ImageField) -> tuple:
    """What makes two image fields one: the same path to the same place (a value merged
    in, or an alias, reached from two places is two fields, each rewritten)."""
    return field.path, id(field.node), id(field.merged_in), field.alias_at


def _apply(root: Mapping, prefix: str, image_rows: list[FieldSpec],
           secret_rows: list[FieldSpec]) -> list[Site]:
    walker = Walker(root, prefix)
    images = _rows_images(walker, image_rows)
    out = []
    served: set[int] = set()
    for row in secret_rows:
        anchor = row.scope if row.anchor is None else row.anchor
        for anchor_path, node in walker.at(anchor):
            scope_path = anchor_path if anchor == row.scope else joined(
                tuple(s.removesuffix("[]") for s in row.scope), prefix)
            within = [f for f in images if serves(f.path, scope_path, anchor_path)]
            if within:
                served.update(map(id, within))
                out.append(_site(node, anchor_path, row.path[len(anchor):], within))
    loose = [f for f in images if id(f) not in served]
    if loose:
        out.append(Site("", root, (), loose))
    return out


def _site(node: Mapping, path: str, keys: tuple[str, ...], images: list[ImageField]) -> Site:
    full = sys.intern(joined(keys, path))  # (items share the few paths, and their keys)
    for i, key in enumerate(keys[:-1]):
        value = node.get(key)
        if value is None or is_null(value):
            return Site(full, node, _KEYS.setdefault(keys[i:], keys[i:]), images)
        if not isinstance(value, Mapping):
            raise Problem("must be a mapping", field=join(keys[:i + 1], path))
        node = value
    return Site(full, node, _KEYS.setdefault(keys[-1:], keys[-1:]), images)


_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}  # the keys a site's rows name: few



def _rows_images(walker: Walker, rows: list[FieldSpec]) -> list[ImageField]:
    images: list[ImageField] = []
    for row in rows:
        images += _images(walker, row.path)
    if len({f.path for f in images}) < len(images):  # (a row given twice: once)
        images = list({_place(f): f for f in images}.values())
    return images


def _images(walker: Walker, path: tuple[str, ...]) -> list[ImageField]:
    """The string image fields at ``path``; the owner is named after the innermost list
    entry ("container api") or, with no list on the way, the field's path."""
    parents, leaf, owner_list, plain = row_parts(path)
    out = []
    for where, node in walker.at(parents):
        key, value = node.pair(leaf)
        if value is None or is_null(value):
            continue
        field = sys.intern(child(where, leaf, plain))  # items share the few paths
        if not isinstance(value, Scalar) or value.tag != STR:
            raise Problem("must be a string", field=field)
        alias_at = key.end if key is not None and value.start < key.end else None
        out.append(ImageField(field, value, _owner(owner_list, node, where, field), alias_at,
                              node if key is None else None, not node.flow, node))
    return out


def _owner(entries: str | None, entry: Mapping, where: str, field: str) -> str:
    if entries is None:
        return field
    name = entry.get("name")
    label = name.value if isinstance(name, Scalar) and name.tag == STR else (
        where.rsplit("[", 1)[-1].rstrip("]"))
    return sys.intern(f"{entries} {label}")  # (containers are named alike: one copy)


def _pod_spec(node: Mapping) -> bool | None:
    """True for a ``containers`` list of mappings with string images; None when it has
    images of another type (a custom resource's ``image: {repository: ...}``: not a
    PodSpec, but not to be passed over in silence); False otherwise."""
    containers = node.get(POD_SPEC_MARK)
    if not isinstance(containers, Sequence) or not all(
            isinstance(c, Mapping) for c in containers.entries):
        return False
    images = [c.get("image") for c in containers.entries]  # type: ignore[union-attr]
    images = [i for i in images if i is not None and not is_null(i)]
    if all(isinstance(i, Scalar) and i.tag == STR for i in images):
        return bool(images)
    return None


def _search(node: Node, path: str, found: list[Site], seen: set[int], depth: int,
            notes: list[Problem]) -> None:
    if id(node) in seen:
        return
    if depth > MAX_DEPTH:
        too_deep(notes, path)
        return
    seen.add(id(node))
    if isinstance(node, Mapping):
        kind = _pod_spec(node)
        if kind:
            found += _apply(node, path, *IN_POD_SPEC)
            return
        if kind is None:
            where = f"{path}.{POD_SPEC_MARK}" if path else POD_SPEC_MARK
            notes.append(Problem("has images that are not strings: not read as a PodSpec, "
                                 "left as is", severity=WARNING, field=where))
        start = len(found)
        for key, value in node.items():
            if depth == 0 and key.value in SKIP_KEYS:
                continue
            _search(value, child(path, str(key.value)), found, seen, depth + 1, notes)
        if depth and len(found) > start:  # (a manifest the resource carries?)
            namespaces.place_in(node, found[start:])
    elif isinstance(node, Sequence):
        for i, value in enumerate(node.entries):
            _search(value, f"{path}[{i}]", found, seen, depth + 1, notes)
