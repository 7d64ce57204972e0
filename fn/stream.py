"""Plain manifest streams (``helm template``, ``kustomize build``, files): documents
separated by ``---``, each read like a ResourceList item and written back in place."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from fn import resourcelist, transform
from fn.config import Settings
from fn.errors import FnError
from fn.pipeline import Run
from fn.results import ERROR, Result
from fn.textedit import Editor, block
from fn.yamltree import Mapping, Unsupported, compose, scan

_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.M)


@dataclass
class Segment:
    text: str            # the document's text (without its marker line)
    marker: str          # the "---" line before it ("" for the first)
    editor: Editor
    item: resourcelist.Item | None


def split(text: str, source: str = "stdin") -> list[Segment]:
    segments: list[Segment] = []
    pos = 0
    marker = ""
    for m in _MARKER.finditer(text):
        segments.append(_segment(text[pos:m.start()], marker, source, len(segments)))
        marker = m.group(0) + "\n"
        pos = m.end() + 1
    segments.append(_segment(text[pos:], marker, source, len(segments)))
    return segments


def _segment(text: str, marker: str, source: str, n: int) -> Segment:
    editor = Editor(text)
    if marker.startswith("..."):
        marker = ""  # a document end marker: nothing of it to keep
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return Segment(text, marker, editor, None)
    try:
        root = scan(text)
    except Unsupported:
        try:
            root = compose(text)
        except yaml.YAMLError as exc:
            raise FnError(f"{source}: document {n + 1} is not valid YAML"
                          f"{resourcelist._where(exc)}") from None
    if root is None:
        return Segment(text, marker, editor, None)
    if not isinstance(root, Mapping):
        raise FnError(f"{source}: document {n + 1} is not a mapping")
    item = resourcelist.identify(root, editor, n, f"{source}: document {n + 1}")
    return Segment(text, marker, editor, item)


def items_of(segments: list[Segment]) -> list[resourcelist.Item]:
    items = [s.item for s in segments if s.item is not None]
    for i, item in enumerate(items):
        item.index = i
    resourcelist.check_duplicates(items)
    return items


def run(text: str, s: Settings) -> Run:
    """Mutate a stream; the output is the stream with its changes and new Secrets."""
    try:
        segments = split(text)
        items = items_of(segments)
        p = transform.plan(items, s)
        outcome = transform.mutate(p, items, s, kpt_paths=False)
    except FnError as exc:
        return Run("", 1, [Result(exc.message, ERROR)])
    except transform.Failed as exc:
        return Run("", 1, exc.results)
    dropped = {id(i) for i in outcome.drop}
    parts: list[str] = []
    for seg in segments:
        if seg.item is not None and id(seg.item) in dropped:
            continue
        body = seg.editor.render()
        parts.append(seg.marker + body)
    out = "".join(parts)
    for data in outcome.new_items:
        if out and not out.endswith("\n"):
            out += "\n"
        out += "---\n" + "\n".join(block(data, 0)) + "\n"
    return Run(out, 0, outcome.results)
