"""An alias keeps what it stood for. The reader notes each alias that repeats a node it
kept (``yamlread.documents(aliases=...)``). One that stands in a part the function does
not read (a Deployment's ``nodeSelector``, a ConfigMap's data) is the editor's to keep:
when an edit changes the node (an anchored image, ``&i quay.io/acme/api:1``), the alias
would change with it, silently; it is written out instead, as the value it stood for. An
anchored mapping or list that changed cannot be written out in one place: that is an
error, which says where (the user writes it out). An alias where the function reads is
one of its places (an image field, a container's words: they follow the image), or one
that fn.selfcheck compares."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from fn.nodes import STR, Node, Scalar
from fn.problems import Problem
from fn.textedit import Editor, flow


def to_keep(noted: list, items: list[Node] | None = None
            ) -> list[tuple[Node, int, int, int | None]]:
    """Of the reader's notes, (node, start, end, None) of the aliases in skipped parts
    and, given a ResourceList's items (entries), (node, start, end, index) of those that
    stand in another item than their node, the index being the alias's item."""
    starts = [entry.start for entry in items or ()]
    out = []
    for node, start, end, skipped in noted:
        at = bisect_right(starts, start) - 1
        if skipped or (items and at != bisect_right(starts, node.start) - 1):
            out.append((node, start, end, None if skipped else at))
    return out


def keep(editor: Editor, edited: set[int]) -> None:
    """Write out each noted alias whose node an edit of ``editor`` changed, but those in an
    ``edited`` item (indexes): there, an alias may be a place the function rewrote (an
    image field reached through it), and fn.selfcheck compares the item. Sets
    ``editor.unaliased``: fn.selfcheck then compares the whole output."""
    edits = sorted((start, end) for start, end, _, _ in editor.edits)
    for node, start, end, item in editor.aliases:
        whole = not isinstance(node, Scalar)  # a key added at a mapping's end is in it
        if item in edited or not _changed(edits, node.start, node.end, whole) or _changed(
                edits, start, end):
            continue  # (an alias that an edit replaced or removed already)
        editor.splice(start, end, _written_out(editor.text, node, start, end))
        editor.unaliased = True


def _changed(edits: list[tuple[int, int]], start: int, end: int, at_end: bool = False
             ) -> bool:
    """Whether an edit (the edits sorted, none overlapping) replaces part of the span or
    inserts into it (with ``at_end``, at its end too)."""
    i = bisect_left(edits, (start, -1))
    if i > 0 and edits[i - 1][1] > start:
        return True  # begins before the span, ends in it
    return i < len(edits) and (edits[i][0] < end or (at_end and edits[i][0] == end))


def _written_out(text: str, node: Node, start: int, end: int) -> str:
    """The value an alias stood for, as one token that reads the same in any context."""
    if isinstance(node, Scalar):
        source = text[node.start:node.end]
        if node.tag == STR:
            return flow(node.value)
        if node.style == "" and source and "\n" not in source:
            return source  # true, 1, null: plain, as written
    line = text.count("\n", 0, start) + 1
    raise Problem(f"the alias {text[start:end]} (line {line}) stands for a mapping or list "
                  "that the function changes, in a place that must keep it as it was: "
                  "write it out there in place of the alias, and run again")
