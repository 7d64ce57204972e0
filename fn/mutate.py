"""Turn a plan into edits: rewritten images, pull secrets on every site, the Secrets.

Edits are splices into each item's text (``fn.textedit``); new items are plain data that
the writer appends. Nothing here reads or writes files.
"""

from __future__ import annotations

from fn import imagelist, named, retarget, secretforms
from fn.config import Settings
from fn.fieldpath import keys
from fn.intents import intend
from fn.locate import Site
from fn.nodes import Mapping, Scalar, Sequence, to_python
from fn.plan import Plan, rewritten, secret_namespaces, unserved
from fn.problems import Problem
from fn.resourcelist import LOCAL_CONFIG, Item
from fn.results import INFO, WARNING, Result, count
from fn.targets import PullSecret
from fn.textedit import scalar


class Outcome:
    """What a run produced: results, items to add and to drop, the image list."""

    def __init__(self, results: list[Result], new_items: list[dict] | None = None,
                 drop: list[Item] | None = None, images: str = "",
                 summary: Result | None = None) -> None:
        self.results = results
        self.summary = summary             # first of the results: what kpt shows first
        self.new_items = new_items or []   # Secrets (and the image list ConfigMap)
        self.drop = drop or []             # generated items no longer needed
        self.images = images               # "<original> <new>" lines, if listImages(ConfigMap)


def mutate(p: Plan, items: list[Item], s: Settings, kpt_paths: bool = True) -> Outcome:
    namespaces = secret_namespaces(p, s.namespaces)
    results = p.results + p.unseen_results(WARNING) + unserved(p)
    p.unseen = []  # (results now; its Problems, 500 bytes each, are not kept beside them)
    moved = imagelist.moved(p) if s.list_images or s.list_images_configmap else ""
    said = _uses_said(p)
    p.target.refs.clear()  # (decided: the parsed references go with the uses, below)
    edited: set = set()  # the nodes (and places) edited: each once (no id()s: an int each)
    _rewrite_images(p, s, results, edited)
    p.uses = []  # edited, counted, listed: let go before the pull secrets' edits are made
    named.rewrite(p.suspects, p.target.verb, results, edited)
    ps = p.target.pull_secret
    stale = (retarget.stale_secrets(items, secretforms.names(s, ps.name))
             if ps and ps.payload is not None else [])
    if ps is not None:
        results += retarget.rename(p.sites, {i.name for i in stale}, ps.name, edited)
    added = _add_pull_secrets(p, ps, edited)
    for consumed in (p.license_item, *p.consumed):
        if consumed is not None and not consumed.local_config:
            _mark_local_config(consumed)
    new_items: list[dict] = []
    drop: list[Item] = []
    if ps is not None and secretforms.writes(s, ps.payload):
        new_items, drop = _secrets(p, ps, items, namespaces, kpt_paths, results, s)
        drop += stale
        results += retarget.removed(stale, ps.name)
    images = imagelist.merge(moved) if s.list_images else ""  # (made only for listImages)
    if s.list_images_configmap:
        images = imagelist.keep_in_item(moved, items, s.list_images_configmap, new_items,
                                        kpt_paths)
    summary = _summary(said, p, ps, added, len(new_items), len(drop), secretforms.noun(s))
    return Outcome([summary, *results], new_items, drop, images, summary)


def _rewrite_images(p: Plan, s: Settings, results: list[Result], edited: set) -> None:
    limit = s.max_info_results or len(p.uses)
    listed = 0
    said: dict[str, str] = {}  # why -> message: uses that say the same share one copy
    for use in p.uses:
        if use.new is None:
            continue
        intend(use.item, "set", use.field.path, use.new)
        field = use.field
        # one edit for each place, however many paths reach it (an alias of a container
        # list, "&a" used again): a key given twice would not parse for kpt or kubectl
        if field.merged_in is not None:  # "<<: *base" brings it: a key of its own wins
            leaf = keys(field.path)[-1]
            if ("merged", id(field.merged_in), leaf) not in edited:
                edited.add(("merged", id(field.merged_in), leaf))
                use.item.editor.add_key(field.merged_in, leaf, use.new)
        elif field.alias_at is not None:  # "image: *a": the new value here, the anchor stays
            if ("alias", field.alias_at) not in edited:  # (an offset in the one text)
                edited.add(("alias", field.alias_at))
                use.item.editor.replace_alias(field.alias_at, scalar(use.new))
        elif field.node in edited:  # "&a" used again in the same item: one edit
            continue
        else:
            edited.add(field.node)
            use.item.editor.set_scalar(field.node, use.new)
        if listed < limit:
            message = said.get(use.why) or said.setdefault(use.why,
                                                            f"{p.target.verb} ({use.why})")
            results.append(use.result(message, INFO))
        listed += 1
    if listed > limit:
        results.append(Result(f"{listed - limit} more image references changed (not listed: "
                              f"maxInfoResults is {limit}; 0 lists all)", INFO))


def _add_pull_secrets(p: Plan, ps: PullSecret | None, edited: set) -> int:
    if ps is None:
        return 0
    added = 0
    for item, site in p.sites:
        if site.base in edited:
            continue
        edited.add(site.base)
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
    intend(item, "secret", site.path, name)
    key, *deeper = site.rest
    pair = next(((k, v) for k, v in site.base.pairs if k.value == key), None)
    own = pair[1] if pair is not None else None
    entry = {"name": name}
    node = site.node()
    if deeper:  # the list and mappings above it are missing
        _put(item, site.base, key, _nest(deeper, entry), own)
    elif isinstance(node, Sequence) and own is node and own.start >= pair[0].end:  # type: ignore
        item.editor.append(node, entry)
    else:  # absent, null, an alias or a merge key's: a list of its own, earlier entries kept
        earlier = to_python(node) if isinstance(node, Sequence) else []
        _put(item, site.base, key, [*earlier, entry], own)  # type: ignore[misc]
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
    intend(item, "set", ("metadata", "annotations", LOCAL_CONFIG), "true")
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
             kpt_paths: bool, results: list[Result], s: Settings
             ) -> tuple[list[dict], list[Item]]:
    """The pull secret's objects for each namespace, in the configured form
    (``fn.secretforms``): new, updated (ours), kept (the same), or an error."""
    job = secretforms.Job(s, p.target, ps)
    return secretforms.reconcile(job, items, namespaces, kpt_paths, results)


def _uses_said(p: Plan) -> str:
    """What the summary says of the image references (said before they are let go)."""
    changed = rewritten(p)
    words = len(p.named())
    return (f"{len(changed)} of {count(len(p.uses), 'image references')} rewritten to use "
            f"{p.target.where} "
            f"({len({u.value for u in changed})} distinct, in "
            f"{count(len({id(u.item) for u in changed}), 'resources')})"
            f"{f' and {words} named in container args or env' if words else ''}")


def _summary(said: str, p: Plan, ps: PullSecret | None, added: int, new: int, dropped: int,
             noun: str = "Secrets") -> Result:
    secret_note = (f"pull secret {ps.name} added to {added} of {count(len(p.sites), 'PodSpecs')}"
                   if ps else "no pull secret (none configured)")
    return Result(f"{said}; {secret_note}; {count(new, noun)} added, {dropped} removed{p.note}",
                  INFO)
