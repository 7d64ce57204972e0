"""KRM function results (``results`` of the output ResourceList)."""

from __future__ import annotations

ERROR, WARNING, INFO = "error", "warning", "info"
MESSAGE_LIMIT = 1000  # characters of a message (results) or a line (stderr)
NAME_LIMIT = 120      # characters of a name or path quoted in a line


def count(n: int, noun: str) -> str:
    """``1 Secret``, ``2 Secrets``: ``noun`` is given in the plural ("image references")."""
    if n != 1:
        return f"{n} {noun}"
    words = noun.split(" ")
    last = words[-1]
    words[-1] = last[:-2] if last.endswith("ses") else last[:-1] if last.endswith("s") else last
    return f"{n} {' '.join(words)}"


def printable(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` as one printable line of at most ``limit`` characters: line breaks, ANSI
    escapes and other controls written as escapes (``\\n``, ``\\x1b``)."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                       for c in text)
    if len(text) > limit:
        cut = len(text) - limit + 30
        text = f"{text[:limit - 30]}... ({cut} more characters)"
    return text


class Result:
    """``resource_ref`` and ``file``: dicts, or the item they are of (fn.resourcelist.Item:
    its ``ref()`` and ``file()``, made when read, so that the many results of a large run
    do not hold two dicts each until they are written)."""

    __slots__ = ("_file", "_ref", "field", "message", "offset", "rule", "severity", "tags")

    def __init__(self, message: str, severity: str = INFO,
                 resource_ref: dict[str, str] | None = None, field: dict[str, str] | None = None,
                 file: dict[str, str | int] | None = None, tags: dict[str, str] | None = None
                 ) -> None:
        self.message = printable(message)
        self.severity = severity
        self._ref: object = resource_ref
        self.field = field
        self._file: object = file
        self.tags = tags
        self.rule = ""  # the kind of finding (a SARIF rule id; not in KRM results)
        self.offset: tuple[str, int] | None = None  # (its text, offset): file:line:column

    def __repr__(self) -> str:
        return f"Result({self.severity}: {self.message!r})"

    @property
    def resource_ref(self) -> dict[str, str] | None:
        r = self._ref
        return r if r is None or isinstance(r, dict) else r.ref()  # type: ignore[attr-defined]

    @resource_ref.setter
    def resource_ref(self, value: dict[str, str] | None) -> None:
        self._ref = value

    @property
    def file(self) -> dict[str, str | int] | None:
        f = self._file
        return f if f is None or isinstance(f, dict) else f.file()  # type: ignore[attr-defined]

    @file.setter
    def file(self, value: dict[str, str | int] | None) -> None:
        self._file = value

    def to_data(self) -> dict:
        out: dict = {"message": self.message, "severity": self.severity}
        if ref := self.resource_ref:
            out["resourceRef"] = ref
        if self.field:
            out["field"] = self.field
        if file := self.file:
            out["file"] = file
        if self.tags:
            out["tags"] = self.tags
        return out

    def line(self) -> str:
        """One line for a person: ``[error] apps/v1/Deployment shop/api: message``."""
        where = ""
        if ref := self.resource_ref:
            r = {k: printable(str(v), NAME_LIMIT) for k, v in ref.items()}
            ns = f"{r['namespace']}/" if r.get("namespace") else ""
            where = f" {r.get('apiVersion', '')}/{r.get('kind', '')} {ns}{r.get('name', '')}"
            if self.field:
                where += f" {printable(str(self.field['path']), NAME_LIMIT)}"
            where += ":"
        return printable(f"[{self.severity}]{where} {self.message}")


def position_of(text: str, at: int) -> tuple[int, int]:
    """(line, column), both from 1, of offset ``at`` in ``text`` (LF line breaks: the
    editor's view of its text, fn.linebreaks)."""
    start = text.rfind("\n", 0, at) + 1
    return text.count("\n", 0, at) + 1, at - start + 1
