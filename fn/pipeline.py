"""The function end to end, text in and text out: read → config/license → plan →
mutate or validate → write. No process I/O here (that is ``fn.cli``)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from fn import config, resourcelist, transform
from fn.errors import FnError
from fn.results import ERROR, Result
from fn.textedit import Editor


class Run:
    """What a run gives back: the output text, the exit code, the results."""

    __slots__ = ("_chunks", "_stdout", "code", "image_list", "results")

    def __init__(self, stdout: str | Iterable[str], code: int, results: list[Result],
                 image_list: tuple[str, str] | None = None) -> None:
        self._stdout = stdout if isinstance(stdout, str) else None
        self._chunks = None if isinstance(stdout, str) else stdout
        self.code = code
        self.results = results
        self.image_list = image_list  # (path, "<original> <new>" lines) for listImages

    @property
    def stdout(self) -> str:
        if self._stdout is None:
            self._stdout = "".join(self._chunks or ())
        return self._stdout

    def write_to(self, out: io.TextIOBase) -> None:
        """Write the output without ever holding all of it as one string."""
        if self._stdout is not None:
            out.write(self._stdout)
            return
        for chunk in self._chunks or ():
            out.write(chunk)
        self._chunks = None

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if r.severity == ERROR]


def resource_list(text: str) -> Run:
    """A KRM function call: ResourceList text in, ResourceList text out."""
    try:
        doc = resourcelist.read(text)
    except FnError as exc:
        results = [Result(exc.message, ERROR)]
        return Run(resourcelist.error_list(results), 1, results)
    try:
        if doc.problems:
            raise transform.Failed([Result(p.message, ERROR) for p in doc.problems])
        s = config.load(doc.function_config)
        return _run(doc, s)
    except FnError as exc:
        results = [Result(exc.message, ERROR,
                          field={"path": exc.field} if exc.field else None)]
    except transform.Failed as exc:
        results = exc.results
    # on failure: the input as it came, with the errors (what the Go SDK does)
    out = resourcelist.write(doc, Editor(doc.text), results, [], [])
    return Run(out, 1, results)


def _run(doc: resourcelist.Document, s: config.Settings) -> Run:
    if s.mode == "validate":
        p = transform.plan(doc.items, s, validating=True)
        results = transform.validate(p, doc.items, s)
        out = resourcelist.write(doc, Editor(doc.text), results, [], [])
        return Run(out, 1 if any(r.severity == ERROR for r in results) else 0, results)
    p = transform.plan(doc.items, s)
    outcome = transform.mutate(p, doc.items, s, kpt_paths=True)
    out = resourcelist.write(doc, doc.editor, outcome.results, outcome.new_items, outcome.drop)
    listing = (s.list_images, outcome.images) if s.list_images else None
    return Run(out, 0, outcome.results, listing)

