"""Turn a plan into edits: rewritten images, pull secrets on every site, the Secrets.

Edits are splices into each item's text (``fn.textedit``); new items are plain data that
the writer appends. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections import Counter

from fn import imagelist, retarget, secret
from fn.config import Settings
from fn.locate import Site
from fn.nodes import Mapping, Scalar, Sequence, to_python
from fn.plan import Plan, rewritten
from fn.problems import Problem
from fn.resourcelist import LOCAL_CONFIG, Item
from fn.results import INFO, WARNING, Result
from fn.targets import PullSecret


class Outcome:
    """What a run produced: results, items to add and to drop, the image list."""

    def __init__(self, results: list[Result], new_items: list[dict] | None = None,
                 drop: list[Item] | None = None, images: str = "") -> None:
        self.results = results
        self.new_items = new_items or []   # Secrets (and the image list ConfigMap)
        self.drop = drop or []             # generated items no longer needed
        self.images = images               # "<original> <new>" lines, for skopeo copy


def mutate(p: Plan, items: list[Item], s: Settings, kpt_paths: bool = True) -> Outcome:
    results = p.results + p.unseen_results(WARNING)
    edited: set[int] = set()
    _rewrite_images(p, s, results, edited)
    ps = p.target.pull_secret
    stale = retarget.stale_secrets(items, ps.name) if ps and ps.payload is not None else []
    if ps is not None:
        results += retarget.rename(p.sites, {i.name for i in stale}, ps.name, edited)
    added = _add_pull_secrets(p, ps, edited)
    for consumed in (p.license_item, *p.consumed):
        if consumed is not None and not consumed.local_config:
            _mark_local_config(consumed)
    new_items: list[dict] = []
    drop: list[Item] = []
    if ps is not None and ps.payload is not None:
        namespaces = ({item.namespace for item, _ in p.sites} | set(s.namespaces)
                      | {u.item.namespace for u in p.uses})
        new_items, drop = _secrets(p, ps, items, namespaces, kpt_paths, results)
        drop += stale
        results += retarget.removed(stale, ps.name)
    images = imagelist.lines(p)
    if s.list_images_configmap:
        images = imagelist.keep_in_item(p, items, s.list_images_configmap, new_items, kpt_paths)
    results.append(_summary(p, ps, added, len(new_items), len(drop)))
    return Outcome(results, new_items, drop, images)


def _rewrite_images(p: Plan, s: Settings, results: list[Result], edited: set[int]) -> None:
    limit = s.max_info_results or len(p.uses)
    listed = 0
    for use in p.uses:
        if use.new is None or id(use.field.node) in edited:  # an alias: one node, one edit
            continue
        edited.add(id(use.field.node))
        use.item.editor.set_scalar(use.field.node, use.new)
        if listed < limit:
            results.append(use.result(f"{p.target.verb} ({use.why})", INFO))
        listed += 1
    if listed > limit:
        results.append(Result(f"{listed - limit} more image references changed (not listed: "
                              f"maxInfoResults is {limit}; 0 lists all)", INFO))


def _add_pull_secrets(p: Plan, ps: PullSecret | None, edited: set[int]) -> int:
    if ps is None:
        return 0
    added = 0
    for item, site in p.sites:
        if id(site.base) in edited:
            continue
        edited.add(id(site.base))
        try:
            added += add_pull_secret(item, site, ps.name)
        except Problem as exc:
            raise exc.at(item.ref(), item.file()) from None
    return added


def add_pull_secret(item: Item, site: Site, name: str) -> int:
    """Append ``{name: <name>}`` to the site's list unless it is there; entries a ``<<``
    merge key brings are copied, so that the local list does not lose them."""
    names = site.names()
    if names is not None and name in names:
        return 0
    entry = {"name": name}
    key, *deeper = site.rest
    node = site.node()
    own = next((v for k, v in site.base.pairs if k.value == key), None)
    if deeper:  # the list and mappings above it are missing
        _put(item, site.base, key, _nest(deeper, entry), own)
    elif isinstance(node, Sequence) and own is node:
        item.editor.append(node, entry)
    elif isinstance(node, Sequence):  # brought by a merge key: keep its entries
        _put(item, site.base, key, [*to_python(node), entry], own)  # type: ignore[misc]
    else:
        _put(item, site.base, key, [entry], own)
    return 1


def _nest(keys: list[str], entry: dict) -> dict:
    value: object = [entry]
    for k in reversed(keys):
        value = {k: value}
    return value  # type: ignore[return-value]


def _put(item: Item, mapping: Mapping, key: str, value: object, own: object) -> None:
    if own is None:
        item.editor.add_key(mapping, key, value)  # type: ignore[arg-type]
    else:
        item.editor.set_value(mapping, key, value)  # type: ignore[arg-type]


def _mark_local_config(item: Item) -> None:
    meta = item.node.get("metadata")
    assert isinstance(meta, Mapping)
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping):
        current = annotations.get(LOCAL_CONFIG)
        if isinstance(current, Scalar):
            item.editor.set_scalar(current, "true")
        else:
            item.editor.add_key(annotations, LOCAL_CONFIG, "true")
    elif annotations is None:
        item.editor.add_key(meta, "annotations", {LOCAL_CONFIG: "true"})
    else:
        item.editor.set_value(meta, "annotations", {LOCAL_CONFIG: "true"})


def _secrets(p: Plan, ps: PullSecret, items: list[Item], namespaces: set[str | None],
             kpt_paths: bool, results: list[Result]) -> tuple[list[dict], list[Item]]:
    """A Secret for each namespace: new, updated (ours), kept (the same), or an error."""
    existing = secret.existing(items, ps.name)
    new_items: list[dict] = []
    taken = Counter(f.get("path") for i in items if (f := i.file()))
    for ns in sorted(namespaces, key=lambda n: n or ""):
        item = existing.get(ns)
        if item is None:
            path = _free_path(ps.name, ns, taken) if kpt_paths else None
            new_items.append(secret.manifest(ps.name, ps.payload or "", p.target.app_slug, ns,
                                             path))
        else:
            results += _keep_or_update(item, ps, ns)
    drop = [item for ns, item in existing.items() if ns not in namespaces and item.generated]
    return new_items, drop


def _free_path(name: str, ns: str | None, taken: Counter) -> str:
    """kpt's file for a new Secret, numbered when another item has that file."""
    path = secret.default_path(name, ns)
    n = 1
    while taken[path]:
        n += 1
        path = secret.default_path(f"{name}-{n}", ns)
    taken[path] += 1
    return path


def _keep_or_update(item: Item, ps: PullSecret, ns: str | None) -> list[Result]:
    kind, value = secret.value_of(item.node)
    if kind == secret.DOCKERCONFIGJSON and value is not None:
        if secret.authenticated_hosts(value.value) == secret.authenticated_hosts(
                ps.payload or ""):
            return []
        if item.generated:
            item.editor.set_scalar(value, ps.payload or "")
            return [Result("pull secret updated", INFO, item.ref(), None, item.file())]
    where = f"{ns}/" if ns else ""
    raise Problem(f"Secret {where}{ps.name} already exists and is not the pull secret "
                  "this function makes; remove it, or choose another pullSecretName",
                  resource=item.ref(), file=item.file())


def _summary(p: Plan, ps: PullSecret | None, added: int, new: int, dropped: int) -> Result:
    changed = rewritten(p)
    secret_note = (f"pull secret {ps.name} added to {added} of {len(p.sites)} PodSpecs"
                   if ps else "no pull secret (none configured)")
    return Result(
        f"{len(changed)} of {len(p.uses)} image references now use {p.target.where} "
        f"({len({u.value for u in changed})} distinct, in "
        f"{len({id(u.item) for u in changed})} resources); {secret_note}; "
        f"{new} Secrets added, {dropped} removed{p.note}", INFO)
