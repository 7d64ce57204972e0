"""The KRM adapter: ResourceList text in, ResourceList text out, around ``fn.pipeline``."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping

from fn import pipeline, resourcelist, selfcheck
from fn.nodes import Sequence, to_python
from fn.problems import Problem
from fn.resourcelist import Document, Item
from fn.results import Result
from fn.textedit import Editor
from fn.yamlread import ALL


class Output:
    """Text out (as chunks, never all at once unless asked), with the run behind it."""

    def __init__(self, text: str | Iterable[str], run: pipeline.Run) -> None:
        self._text = text if isinstance(text, str) else None
        self._chunks = None if isinstance(text, str) else text
        self.run = run
        self.code = run.code
        self.results = run.results
        s = run.settings
        self.image_list = ((s.list_images, run.images) if s is not None and s.list_images
                           and not run.failed and run.mode == pipeline.MUTATE else None)

    @property
    def stdout(self) -> str:
        if self._text is None:
            self._text = "".join(self._chunks or ())
        return self._text

    def write_to(self, out: io.TextIOBase) -> None:
        """Write the text in pieces of about 64 KB, whatever buffering ``out`` has (with
        PYTHONUNBUFFERED, each write would be a system call: one per chunk)."""
        if self._text is not None:
            out.write(self._text)
            return
        batch: list[str] = []
        size = 0
        for chunk in self._chunks or ():
            if len(chunk) > _BATCH:  # (the results of a large run: one edit of megabytes)
                out.write("".join(batch))
                batch, size = [], 0
                for at in range(0, len(chunk), _BATCH):
                    out.write(chunk[at:at + _BATCH])
                continue
            batch.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                out.write("".join(batch))
                batch, size = [], 0
        out.write("".join(batch))
        self._chunks = None


_BATCH = 1 << 16  # a batch is held three times as it is written (its pieces, joined,
# encoded), and so is a longer chunk's slice: never a whole chunk of megabytes three times


def resource_list(text: str, environ: Mapping[str, str] | None = None,
                  read_file: Callable[[str], str] | None = None) -> Output:
    """A KRM function call: the input echoed with the results when the run failed or only
    validated; on success the input with the function's changes."""
    run = pipeline.run(lambda: resourcelist.read(text), environ=environ, read_file=read_file)
    doc = run.source
    if doc is None:
        return Output(error_list(run.results), run)
    if run.failed or run.mode != pipeline.MUTATE:
        return Output(write(doc, Editor(doc.text), run.results, [], []), run)
    chunks = write(doc, doc.editor, run.results, run.new_items, run.drop)
    if doc.editor.edits:  # checked in slices: the output is never made whole unless it fails
        try:
            check_output(doc.editor, doc.items, lambda: selfcheck.resource_list(
                doc, run, lambda: "".join(_ending_with_newline(doc.editor.chunks()))))
        except Problem as exc:
            run.results = [exc.result()]
            run.code = 1
            return Output(write(doc, Editor(doc.text), run.results, [], []), run)
    return Output(chunks, run)


def check_output(editor: Editor, items: list[Item], check: Callable[[], None]) -> None:
    """Once every edit is made: the aliases that must keep what they stood for written out
    (fn.aliases, loaded only when the reader noted aliases), then ``check`` (the
    self-check); a failure an alias explains is said so, not as an internal error."""
    if not editor.aliases:
        check()
        return
    from fn import aliases

    aliases.keep(editor, items)
    try:
        check()
    except Problem as exc:
        raise aliases.blame(editor) or exc from None


def failed(out: Output) -> Output:
    """The run's input echoed with its results (a step after the pipeline, such as writing
    the image list, failed and added its error)."""
    run = out.run
    doc = run.source
    if doc is None:
        return Output(error_list(run.results), run)
    return Output(write(doc, Editor(doc.text), run.results, [], []), run)


def write(doc: Document, editor: Editor, results: list[Result],
          new_items: list[dict], drop: list[Item]) -> Iterator[str]:
    """The output ResourceList: the input text with ``editor``'s splices, ``new_items``
    appended to items, ``drop`` removed, and ``results`` appended."""
    for item in drop:
        editor.delete_entry(doc.items_node, item.index)
    for data in new_items:
        editor.append(doc.items_node, data)
    if results:
        _write_results(doc, editor, (r.to_data() for r in results))  # (one at a time)
    return _ending_with_newline(editor.chunks())


def _write_results(doc: Document, editor: Editor, data: Iterator[dict]) -> None:
    """Append to the root's own results list; a list that is not the root's own (an alias,
    a ``<<`` merge key) is copied into a new one, so that nothing else changes."""
    own = next(((k, v) for k, v in doc.root.pairs if k.value == "results"), None)
    if own is not None and isinstance(own[1], Sequence) and own[1].start >= own[0].end:
        doc.results_at = ("append", own[1])
        for d in data:
            editor.append(own[1], d)
        return
    before = own[1] if own is not None else doc.root.get("results")
    try:
        earlier = to_python(before) if isinstance(before, Sequence) else []
    except ValueError:  # a "<<" merge key brings them, read past like the root's own: now
        earlier = to_python(resourcelist.parse(doc.text, {"results": ALL}, "input")
                            .get("results"))  # type: ignore[union-attr]
    if own is None:
        doc.results_at = ("add", doc.root)
        editor.add_list(doc.root, "results", itertools.chain(earlier, data))  # type: ignore
    else:
        editor.set_value(doc.root, "results", [*earlier, *data])  # type: ignore[list-item]


def _ending_with_newline(chunks: Iterator[str]) -> Iterator[str]:
    last = "\n"
    for chunk in chunks:
        if chunk:
            last = chunk
            yield chunk
    if not last.endswith("\n"):
        yield "\n"


def error_list(results: list[Result]) -> str:
    """A ResourceList for input that could not be read at all: no items, the error."""
    from fn.textedit import block

    lines = ["apiVersion: config.kubernetes.io/v1", "kind: ResourceList", "items: []", "results:"]
    lines += block([r.to_data() for r in results], 0)
    return "\n".join(lines) + "\n"
