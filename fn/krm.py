"""The KRM adapter: ResourceList text in, ResourceList text out, around ``fn.pipeline``."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping

from fn import pipeline, resourcelist
from fn.problems import Problem
from fn.textedit import Editor


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
        if self._text is not None:
            out.write(self._text)
            return
        for chunk in self._chunks or ():
            out.write(chunk)
        self._chunks = None


def resource_list(text: str, environ: Mapping[str, str] | None = None,
                  read_file: Callable[[str], str] | None = None) -> Output:
    """A KRM function call: the input echoed with the results when the run failed or only
    validated; on success the input with the function's changes."""
    run = pipeline.run(lambda: resourcelist.read(text), environ=environ, read_file=read_file)
    doc = run.source
    if doc is None:
        return Output(resourcelist.error_list(run.results), run)
    if run.failed or run.mode != pipeline.MUTATE:
        return Output(resourcelist.write(doc, Editor(doc.text), run.results, [], []), run)
    return Output(resourcelist.write(doc, doc.editor, run.results, run.new_items, run.drop), run)


def failed(out: Output, problem: Problem) -> Output:
    """The run's input echoed with ``problem`` added, exit 1 (a step after the pipeline,
    such as writing the image list, failed)."""
    run = out.run
    run.results.append(problem.result())
    run.code = 1
    doc = run.source
    if doc is None:
        return Output(resourcelist.error_list(run.results), run)
    return Output(resourcelist.write(doc, Editor(doc.text), run.results, [], []), run)
