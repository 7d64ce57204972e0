"""Writers for people and CI: the outcome of ``validate`` and ``explain`` as a table on a
terminal (colour unless NO_COLOR), plain lines otherwise, JSON, or Markdown."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from typing import TextIO

from fn.pipeline import Run
from fn.results import ERROR, INFO, WARNING, Result, count, position_of

COLOURS = {ERROR: "31", WARNING: "33", "proxied": "36", "moved": "36", "kept": "32",
           "invalid": "33"}
MOVED = ("proxied", "moved")


def validate(run: Run, fmt: str, out: TextIO) -> None:
    places = positions(run)
    if fmt == "json":
        json.dump([_with_position(r, places) for r in run.results], out, indent=2)
        out.write("\n")
        return
    if fmt in ("github", "sarif"):
        from fn import formats

        findings = [r for r in run.results if r is not run.summary]
        if fmt == "github":
            out.write(formats.github(findings, places))
        else:
            json.dump(formats.sarif(findings, places), out, indent=2)
            out.write("\n")
        return
    summary = run.summary
    findings = [r for r in run.results if r is not summary]
    rows = [(r.severity, _file(r, places), _where(r),
             (r.field or {}).get("currentValue", ""), r.message)
            for r in findings if r.severity != INFO]
    text = summary.message if summary else f"validate: {count(len(findings), 'problems')}"
    table(("", "FILE", "RESOURCE", "IMAGE", "PROBLEM"), rows, text, out)


def positions(run: Run) -> dict[int, tuple[str, int, int]]:
    """id(result) -> (file, line, column) for every result whose place is known: its field
    (an image, a pull-secret list), else the start of its resource."""
    starts = {}
    for item in getattr(run.source, "items", ()):
        f = item.file()
        if f:
            starts[(f.get("path"), f.get("index"), item.kind, item.name)] = (
                item.editor.text, item.start)
    out = {}
    for r in run.results:
        f, ref = r.file or {}, r.resource_ref or {}
        at = r.offset or starts.get((f.get("path"), f.get("index"), ref.get("kind"),
                                     ref.get("name")))
        if at is not None and f.get("path"):
            line, column = position_of(*at)
            out[id(r)] = (str(f["path"]), line, column)
    return out


def _with_position(r: Result, places: dict[int, tuple[str, int, int]]) -> dict:
    data = r.to_data()
    if id(r) in places:
        _, line, column = places[id(r)]
        data["file"] = {**data.get("file", {}), "line": line, "column": column}
    return data


def _file(r: Result, places: dict[int, tuple[str, int, int]]) -> str:
    at = places.get(id(r))
    return f"{at[0]}:{at[1]}:{at[2]}" if at else ""


def explain(run: Run, fmt: str, out: TextIO) -> None:
    if run.failed:
        validate(run, "json" if fmt == "json" else "text", out)
        return
    rows = run.rows
    warnings = [r for r in run.results if r.severity == WARNING]
    if fmt == "json":
        json.dump({"images": rows, "warnings": [w.to_data() for w in warnings]}, out, indent=2)
        out.write("\n")
        return
    target = run.plan.target  # type: ignore[union-attr]
    through = sum(u.new is not None or u.on_target for u in run.plan.uses)  # type: ignore
    words = len(run.plan.named())  # type: ignore[union-attr]
    head = f"{through} of {len(rows) - words} image references"
    also = f", and {words} named in container args or env" if words else ""
    if fmt == "markdown":
        out.write(_markdown(rows, f"**{head}** go through `{target.where}`{also}."))
        out.write("".join(f"\n- :warning: {_md(w.line().removeprefix('[warning] '))}"
                          for w in warnings) + "\n" * bool(warnings))
        return
    cells = [(r["decision"], r["image"], f"{r['resource']} ({r['use']})", r["why"],
              r["newReference"] if r["decision"] in MOVED else "") for r in rows]
    table(("", "IMAGE", "USED BY", "WHY", "BECOMES"), cells,
          f"{head} go through {target.where}{also}", out)
    for w in warnings:
        print(w.line(), file=out)


def _md(text: str) -> str:
    """Text in a Markdown table cell or list item: one line, no cell breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(rows: list[dict], line: str) -> str:
    out = [line, "",
           "| | Image | Used by | Why | Becomes |", "|---|---|---|---|---|"]
    for r in rows:
        mark = {"proxied": ":lock:", "moved": ":package:",
                "kept": ":globe_with_meridians:"}.get(r["decision"], ":warning:")
        becomes = f"`{_md(r['newReference'])}`" if r["decision"] in MOVED else ""
        out.append(f"| {mark} | `{_md(r['image'])}` | {_md(r['resource'])} "
                   f"({_md(r['use'])}) | {_md(r['why'])} | {becomes} |")
    return "\n".join(out) + "\n"


def _where(r: Result) -> str:
    ref = r.resource_ref or {}
    ns = f"{ref['namespace']}/" if ref.get("namespace") else ""
    text = f"{ref.get('kind', '')}/{ns}{ref.get('name', '')}" if ref else ""
    if r.field:
        text += f" {r.field['path']}"
    return text


def fit(widths: list[int], columns: int) -> list[int]:
    """Column widths that fit ``columns`` (two spaces between): the widest column gives
    way first, down to 12 characters each."""
    widths = list(widths)
    while sum(widths) + 2 * (len(widths) - 1) > columns:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= 12:
            break
        widths[widest] -= 1
    return widths


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[:width - 1] + "…"


def _lines(rows: list[tuple[str, ...]], summary: str, out: TextIO) -> None:
    """Plain lines for logs: ``[error] file:line:col | resource | image | problem``."""
    for first, *rest in rows:
        print(f"[{first}] " + " | ".join(c for c in rest if c), file=out)
    if summary:
        print(summary, file=out)


def table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], summary: str,
          out: TextIO) -> None:
    """A table on a terminal, tab-free plain lines otherwise."""
    rows = list(rows)
    if not out.isatty():
        _lines(rows, summary, out)
        return
    colour = "NO_COLOR" not in os.environ
    widths = fit([max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)],
                 shutil.get_terminal_size((100, 24)).columns)
    rows = [tuple(_cut(c, w) for c, w in zip(row, widths, strict=True)) for row in rows]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(), file=out)
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        if colour and row[0] in COLOURS:
            cells[0] = f"\033[{COLOURS[row[0]]}m{cells[0]}\033[0m"
        print("  ".join(cells).rstrip(), file=out)
    if summary:
        print(summary, file=out)
