"""An alias keeps what it stood for. The reader notes each alias that repeats a node it
kept (``yamlread.documents(aliases=...)``). One that stands in a part the function does
not read (a Deployment's ``nodeSelector``, a ConfigMap's data), in another item of the
ResourceList than its node (one the function leaves), or outside the items (the
functionConfig) is the editor's to keep: when an edit changes the node (an anchored image,
``&i quay.io/acme/api:1``), the alias would change with it, silently; it is written out
instead, as the value it stood for. An anchored mapping or list that changed cannot be
written out in one place: that is an error, which says where (the user writes it out).
Any other alias stands where the function reads, in the item of its node: one of the
function's places (an image field, a container's words: they follow the image), or one
that fn.selfcheck compares: a mismatch is an error that names the alias (``blame``), never
a silent change."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from fn.nodes import STR, Node, Scalar
from fn.problems import Problem
from fn.textedit import Editor, flow

SKIPPED, ELSEWHERE, READ = "skipped", "elsewhere", "read"  # where an alias stands


def places(noted: list, items: list[Node] | None = None
           ) -> list[tuple[Node, int, int, int | None, str]]:
    """The reader's notes as (node, start, end, item, where): ``where`` is SKIPPED (a part
    the function does not read), ELSEWHERE (given a ResourceList's items (entries): in
    another item than its node, or outside the items) or READ; ``item`` is the index of
    the alias's item (-1: outside; None: no items given)."""
    starts = [entry.start for entry in items] if items is not None else None
    out = []
    for node, start, end, skipped in noted:
        at = _item_at(items, starts, start)
        where = SKIPPED if skipped else ELSEWHERE if (
            items is not None and at != _item_at(items, starts, node.start)) else READ
        out.append((node, start, end, at, where))
    return out


def _item_at(items: list[Node] | None, starts: list[int] | None, pos: int) -> int | None:
    if items is None or starts is None:
        return None
    i = bisect_right(starts, pos) - 1
    return i if i >= 0 and pos < items[i].end else -1


def keep(editor: Editor, items: list) -> None:
    """Once every edit is made (items dropped, results written): write out each noted
    alias whose node an edit of ``editor`` changed, but those an edit replaced or removed,
    and those where the function reads in an item it edited (``items``): there, an alias
    may be a place the function rewrote (an image field reached through it), and
    fn.selfcheck compares the item. Sets ``editor.unaliased``: fn.selfcheck compares the
    whole output. Problem: an anchored mapping or list changed (it cannot be written out)."""
    edited = {item.index for item in items if item.intents}
    for node, start, end, _ in _unkept(editor, lambda where, item: where == SKIPPED or (
            where == ELSEWHERE and item not in edited)):
        editor.splice(start, end, _written_out(editor.text, node, start, end))
        editor.unaliased = True


def blame(editor: Editor) -> Problem | None:
    """Why the output does not read back as meant, when an alias where the function reads
    stands for a value it changed (a custom resource's ``note: *i`` beside its ``image:
    &i``): the Problem that says where, or None."""
    for _, start, end, _ in _unkept(editor, lambda where, item: where != SKIPPED):
        return Problem(f"the alias {editor.text[start:end]} (line "
                       f"{editor.text.count(chr(10), 0, start) + 1}) stands for a value the "
                       "function changes, in a place where the function does not change it: "
                       "write the value out there in place of the alias, and run again")
    return None


def _unkept(editor: Editor, which) -> list[tuple[Node, int, int, int | None]]:
    """The noted aliases ``which(where, item)`` selects whose node an edit changed and
    that no edit replaced or removed."""
    edits = sorted((start, end) for start, end, _, _ in editor.edits)
    out = []
    for node, start, end, item, where in editor.aliases:
        if not which(where, item):
            continue
        changed = _changed(edits, node.start, node.end) or (
            not isinstance(node, Scalar) and _grown(editor.grown, node))
        if changed and not _changed(edits, start, end):
            out.append((node, start, end, item))
    return out


def _changed(edits: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether an edit (the edits sorted, none overlapping) replaces part of the span or
    inserts into it."""
    i = bisect_left(edits, (start, -1))
    if i > 0 and edits[i - 1][1] > start:
        return True  # begins before the span, ends in it
    return i < len(edits) and (edits[i][0] < end or edits[i][0] == start == end)  # (or
    # at an empty value: "key: &a" given one)


def _grown(grown: list[tuple[int, int]], node: Node) -> bool:
    """Whether lines were added at the end of the collection or of one within it (they
    stand past its end, where a key added to the mapping around it would stand too)."""
    return any(node.start <= start and end <= node.end for start, end in grown)


def _written_out(text: str, node: Node, start: int, end: int) -> str:
    """The value an alias stood for, as one token that reads the same in any context."""
    if isinstance(node, Scalar):
        source = text[node.start:node.end]
        if node.tag == STR:
            return flow(node.value)
        if node.style == "" and "\n" not in source:
            return source or "null"  # true, 1, null: plain, as written ("key: &a" is null)
    line = text.count("\n", 0, start) + 1
    raise Problem(f"the alias {text[start:end]} (line {line}) stands for a mapping or list "
                  "that the function changes, in a place that must keep it as it was: "
                  "write it out there in place of the alias, and run again")
