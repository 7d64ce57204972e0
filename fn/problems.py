"""The one error shape. A ``Problem`` is raised anywhere (bad input, bad config, a field
of the wrong type, an invalid image reference) and collected once, at the pipeline's
boundary, where it becomes a result.

    Exception
    ├── Problem       one thing wrong: message, severity, resource, field, file
    │   └── InvalidReference   an image reference the grammar refuses (fn.imageref)
    └── Problems      several at once (a run that found them all before failing)

``str(problem)`` is one line, safe to show anywhere: it never holds the license ID.
"""

from __future__ import annotations

from fn.results import ERROR, Result


class Problem(Exception):
    def __init__(self, message: str, *, severity: str = ERROR, field: str | None = None,
                 resource: dict[str, str] | None = None,
                 file: dict[str, str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.severity = severity
        self.field = field
        self.resource = resource
        self.file = file
        self.offset: tuple[str, int] | None = None  # (its text, offset): file:line:column

    def at(self, resource: dict[str, str] | None, file: dict[str, str | int] | None,
           prefix: str = "") -> Problem:
        """The same problem, placed on a resource (and its field under ``prefix``): dicts,
        or the item they are of (see fn.results.Result)."""
        self.resource = self.resource or resource
        self.file = self.file or file
        if prefix and self.field:
            self.field = prefix + ("" if self.field.startswith("[") else ".") + self.field
        return self

    def again(self) -> Problem:
        """The same problem, to be placed elsewhere (``at``): copy.copy, without its cost."""
        other = type(self).__new__(type(self), *self.args)
        other.__dict__.update(self.__dict__)
        return other

    def result(self) -> Result:
        r = Result(self.message, self.severity, self.resource,
                   {"path": self.field} if self.field else None, self.file)
        r.offset = self.offset
        return r


class Problems(Exception):
    """Several problems that end the run together."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def results_of(exc: Problem | Problems) -> list[Result]:
    return [p.result() for p in (exc.problems if isinstance(exc, Problems) else [exc])]


class InvalidReference(Problem):
    """An image reference that the distribution/reference grammar refuses."""
