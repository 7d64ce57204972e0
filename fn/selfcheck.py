"""The function reads its own output back before it lets it go.

Every item it edited is parsed again by libyaml (PyYAML's C loader) and compared with the
input item with the intended changes carried out (``fn.intents``); every item it added and
its results are parsed and compared with what it meant to write. Any difference is an
internal error: the run fails with the input echoed, never with broken output and exit 0.

Fast path: each edited item's text, cut at line starts, is parsed on its own (a block
sequence entry is a YAML document by itself), or, for a workload, only the lines of each
change (``fn.editwindows``). Where that cannot work (flow style, aliases between items,
line breaks other than LF/CRLF in the input or in what the function writes, a slice that
does not parse), the whole input and output are loaded and compared instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from fn import editwindows, packedtext, resourcelist
from fn.fieldpath import join
from fn.intents import apply
from fn.linebreaks import other_breaks
from fn.nodes import Node, Skipped, to_python
from fn.outputslices import Shifts, Slices
from fn.problems import Problem
from fn.textedit import Editor
from fn.uncovered import NAMED
from fn.yamlc import yaml
from fn.yamlread import ALL, plain, read
from fn.yamlrules import GIVEN_TWICE, Refused
from fn.yamlwrite import as_read

_LOADER: list = []


def _loader() -> type:
    """The safe C loader, reading unknown tags as the plain value underneath (made on
    first use: it needs the whole of PyYAML, which a run that edits nothing never loads)."""
    if not _LOADER:
        class AnyTag(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            pass

        def plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
            if isinstance(node, yaml.MappingNode):
                return loader.construct_mapping(node, deep=True)
            if isinstance(node, yaml.SequenceNode):
                return loader.construct_sequence(node, deep=True)
            return loader.construct_scalar(node)

        AnyTag.add_multi_constructor("!", plain)
        AnyTag.add_multi_constructor("tag:", plain)
        _LOADER.append(AnyTag)
    return _LOADER[0]


def load(text: str) -> object:
    return yaml.load(packedtext.loadable(text), Loader=_loader())  # safe: no Python objects


def fail(what: str) -> Problem:
    return Problem(f"internal error: {what} does not read back as intended; nothing was "
                   "changed (please report this input)")


def dash_line(text: str, seq, index: int) -> int:
    """The start of the line of entry ``index``'s "-" (lines before its key: "- # c")."""
    start = text.rfind("\n", 0, seq.entries[index].start) + 1
    while start > 0 and text[start + seq.indent:start + seq.indent + 1] != "-":
        start = text.rfind("\n", 0, start - 1) + 1
    return start


def compare_slices(before: str, after: str, expected_extra: list, intents: list | None
                   ) -> bool:
    """Whether an item's text, and the text after the change, read as meant. False when
    not, or when a slice does not stand on its own: the caller then compares the whole
    documents, which decide."""
    try:
        old, new = load(before), load(after)
    except yaml.YAMLError:
        return False
    if not isinstance(old, list) or not isinstance(new, list) or len(old) != 1:
        return False
    return new == [apply(old[0], intents or []), *expected_extra]


def resource_list(doc, run, whole: Callable[[], str]) -> None:
    """Raise Problem unless the output ResourceList reads as meant (``whole()``: the
    output, made only where the item-by-item check cannot decide)."""
    entries = doc.items_node.entries
    try:  # before anything is written: the output is written as it is made
        shifts = Shifts(doc.editor.ordered())
    except ValueError:
        raise fail("the output") from None
    if (doc.items_node.flow or doc.root.flow or not entries or other_breaks(doc.text)
            or _written_breaks(shifts.edits) or _aliased(doc.editor)
            or not _fast(doc, run, Slices(doc.editor.source, shifts), shifts)):
        _whole(doc, run, whole())


def _written_breaks(edits: list) -> bool:
    """Whether what the function writes has a line break other than LF and CR LF (each
    splice on its own: a large run's results are one splice of megabytes, never copied)."""
    return any(other_breaks(new) for *_, new in edits)


def _aliased(editor: Editor) -> bool:
    """Whether an alias was written out (item by item, the check reads no skipped part), or
    an alias in one item repeats a node of another (it reads only the items edited)."""
    if editor.unaliased or not editor.aliases:
        return editor.unaliased
    from fn.aliases import ELSEWHERE

    return any(where == ELSEWHERE for *_, where in editor.aliases)


def _fast(doc, run, out: Slices, shifts: Shifts) -> bool:
    dropped = {item.index for item in run.drop}
    last = len(doc.items_node.entries) - 1
    if last in dropped and run.new_items:
        return False
    pending: list = []  # workloads whose splices each read back on their own lines
    for item in doc.items:
        ends = bool(item.index == last and (run.new_items or dropped))
        if (item.intents is None and not ends) or item.index in dropped:
            continue
        windows = _windows(doc, shifts, item, ends)
        if windows is not None:
            pending.append((item, windows))
        elif not _item_ok(doc, run, out, shifts, item):
            return False
        if len(pending) >= _BATCH and not _read_back(doc, run, out, shifts, pending):
            return False
    return _read_back(doc, run, out, shifts, pending) and _results(doc, run, out, shifts)


_BATCH = 256  # workloads whose windows are read at once (what that reading holds: bounded)


def _read_back(doc, run, out: Slices, shifts: Shifts, pending: list) -> bool:
    """The windows of the pending workloads read as meant, or else each workload whole;
    the list emptied."""
    ok = not pending or editwindows.read_back([w for _, ws in pending for w in ws]) or all(
        _item_ok(doc, run, out, shifts, item) for item, _ in pending)
    pending.clear()
    return ok


def _windows(doc, shifts: Shifts, item, ends: bool) -> list | None:
    """A workload's windows (fn.editwindows); None for the last item when items are added
    after it or dropped, and for an item that is read whole (a ConfigMap, a Secret)."""
    if ends or item.node is not None:
        return None
    a, b = _item_span(doc, item)
    return editwindows.of_item(doc.text, item, editwindows.within(shifts.edits, shifts.starts,
                                                                  a, b))


def _item_span(doc, item) -> tuple[int, int]:
    """Where an item's text starts (its "-" line) and ends (the next item's "-" line, or,
    for the last, past the comments that end it), in the input."""
    text, node = doc.text, doc.items_node
    a = dash_line(text, node, item.index)
    b = (doc.editor.past_foot_comments(node) if item.index == len(node.entries) - 1 else
         dash_line(text, node, item.index + 1))
    return a, b


def _item_ok(doc, run, out: Slices, shifts: Shifts, item) -> bool:
    """One edited item (the last with the items added after it) reads as meant."""
    text = doc.text
    a, b = _item_span(doc, item)
    extra = run.new_items if item.index == len(doc.items_node.entries) - 1 else []
    after = out[shifts.after(a):shifts.after(b)]
    if item.node is None:  # a workload: what the function reads of it
        return _same_kept(item, text[a:b], after, extra, doc.policy)
    return compare_slices(text[a:b], after, extra, item.intents)


def _results(doc, run, out: Slices, shifts: Shifts) -> bool:
    where = doc.results_at
    ours = iter(run.results)  # (each made data when compared: they are many in a large run)
    if where is None:
        return not run.results
    how, node = where
    text = (out[shifts.before(node.end):shifts.after(node.end)] if how == "append" else
            out[shifts.before(node.end):])
    found: list[bool] = []

    def check(entry: Node) -> Node:  # each entry compared as it is read, then let go of:
        r = next(ours, None)  # the results of a large run are many (a node per character
        data = r.to_data() if r is not None else None  # at most)
        found.append(data is not None and (plain(entry) == as_read(data) or to_python(
            entry, [entry.end - entry.start + 1000]) == data))
        return Skipped(entry.start, entry.end)

    policy: dict = {"[]": ALL, "then": check}
    try:  # read as the function reads
        read(text, policy if how == "append" else {"results": policy})
    except (yaml.YAMLError, ValueError):
        return False
    return len(found) == len(run.results) and all(found)


def _reread_whole(doc, out: str):
    """The output read as the function reads: a key given twice (PyYAML lets it pass,
    kpt and kubectl do not) is refused."""
    try:
        again = resourcelist.read(out, doc.table)
    except Problem:
        again = None
    if again is None or again.problems:
        raise fail("the output")
    return again


def _whole(doc, run, out: str) -> None:
    again = _reread_whole(doc, out)
    try:
        old = load(doc.text)
    except yaml.YAMLError:  # valid YAML that PyYAML cannot build (complex keys): compared
        _reread(doc, run, again)  # as the function reads its input
        return
    try:
        new = load(out)
    except yaml.YAMLError:
        raise fail("the output") from None
    earlier = copy.deepcopy(old.get("results"))  # before intents change what it shares
    earlier = earlier if isinstance(earlier, list) else []
    dropped = {item.index for item in run.drop}
    expected = [apply(copy.deepcopy(data), doc.items[i].intents or [])  # (an item's
                for i, data in enumerate(old["items"]) if i not in dropped]  # own data)
    if not isinstance(new, dict) or new.get("items") != [*expected, *run.new_items]:
        raise fail("the output's items")
    if new.get("results") != [*earlier, *[r.to_data() for r in run.results]]:
        raise fail("the output's results")
    if any(new.get(k) != v for k, v in old.items() if k not in ("items", "results")):
        raise fail("the ResourceList")


def _reread(doc, run, again) -> None:
    dropped = {item.index for item in run.drop}
    kept = [item for item in doc.items if item.index not in dropped]
    if len(again.items) != len(kept) + len(run.new_items):
        raise fail("the output's items")
    for before, after in zip(kept, again.items, strict=False):
        same = (_intended(before) == _fields(after) if before.node is None else
                _fields(before)[0] == _fields(after)[0])
        if not same:
            raise fail(f"items[{before.index}]")
    if [_kept(i) for i in again.items[len(kept):]] != [_meant(d) for d in run.new_items]:
        raise fail("the items added")


def stream(source, run, out: str) -> None:
    """Raise Problem unless the output stream reads as meant (every document compared),
    and as the function reads (a key given twice, which PyYAML lets pass, is refused)."""
    try:
        again = type(source)(out, table=source.table)  # (fn.stream.Stream)
    except Problem:
        raise fail("the output") from None
    try:
        old = [d for d in yaml.load_all(packedtext.loadable(source.text), Loader=_loader())
               if d is not None]
    except yaml.YAMLError:  # valid YAML that PyYAML cannot build (a mapping as a key):
        _reread(source, run, again)  # compared as the function reads its input
        return
    try:
        new = [d for d in yaml.load_all(out, Loader=_loader()) if d is not None]
    except yaml.YAMLError:
        raise fail("the output") from None
    dropped = {id(item) for item in run.drop}
    expected = [apply(data, item.intents or [])
                for item, data in zip(source.items, old, strict=False)
                if id(item) not in dropped]
    if new != [*expected, *run.new_items]:
        raise fail("the output stream")


def _fields(item) -> tuple[tuple, dict[str, str], dict[str, list[str] | None]]:
    """What the function reads of a workload: identity, image values (and the values that
    name images, fn.uncovered), pull-secret names."""
    images = {f.path: f.node.value for site in item.sites for f in site.images}
    images.update((s.path, s.node.value) for s in item.suspects or () if s.form == NAMED)
    names = {site.path: site.names() for site in item.sites}
    return (item.api_version, item.kind, item.name, item.namespace), images, names


def _same_kept(item, before: str, after: str, added: list[dict], policy: object) -> bool:
    """A workload's text after the change (and the items added after it), read by libyaml
    as the function reads input (the parts it keeps: identity, annotations, image fields,
    pull secrets) and compared as data (``fn.nodes.plain``) with ``before`` read so, the
    intents carried out; the added items, their identity and payload. (Workloads whose
    every change reads back on its own lines, fn.editwindows, come here only when one
    does not.)"""
    policy = {"[]": policy}
    try:
        new = read(after, policy)
        old = read(before, policy)
        if len(old.entries) != 1:
            return False
        was = plain(old.entries[0])
        if len(new.entries) != 1 + len(added):
            return False
        if plain(new.entries[0]) != apply(was, item.intents or []):
            return False
        again = [resourcelist.identify(e, Editor(after), i, "output")
                 for i, e in enumerate(new.entries[1:], 1)]
    except Refused as exc:  # the input's item was read without it: the change made it
        if exc.problem == GIVEN_TWICE:
            raise fail(f"items[{item.index}]") from None
        return False
    except (Problem, ValueError, AttributeError, IndexError, KeyError, TypeError,
            yaml.YAMLError):
        return False
    return [_kept(i) for i in again] == [_meant(d) for d in added]


def _kept(item) -> tuple:
    """An added item as read back: identity, and a Secret's or ConfigMap's payload."""
    data = to_python(item.node.get("data")) if item.node is not None else None
    return (item.api_version, item.kind, item.name, item.namespace, data)


def _meant(data: dict) -> tuple:
    meta = data.get("metadata", {})
    kept = {k: v for k, v in (data.get("data") or {}).items()
            if k in (".dockerconfigjson", "license.yaml", "images.txt")}
    return (data.get("apiVersion"), data.get("kind"), meta.get("name"),
            meta.get("namespace"), kept if data.get("kind") in ("Secret", "ConfigMap")
            else None)


def _intended(item) -> tuple:
    """The workload's fields with its intents carried out (False: an intent on something
    a workload's reading does not keep)."""
    identity, images, names = _fields(item)
    for op, path, value in item.intents or []:
        dotted = path if isinstance(path, str) else join(path)
        if op == "set" and dotted in images:
            images[dotted] = value
        elif op == "set" and dotted in names and isinstance(value, list):  # a renamed entry
            names[dotted] = [e.get("name") for e in value]
        elif op == "secret":
            listed = names.get(dotted) or []
            names[dotted] = [*listed, value] if value not in listed else listed
        else:
            return (False,)  # an intent on something a workload's reading does not keep
    return identity, images, names
