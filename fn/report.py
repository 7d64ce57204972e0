"""Writers for people and CI: the outcome of ``validate`` and ``explain`` as a table on a
terminal (colour unless NO_COLOR), plain lines otherwise, JSON, or Markdown."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TextIO

from fn.pipeline import Run
from fn.results import ERROR, INFO, WARNING, Result

COLOURS = {ERROR: "31", WARNING: "33", "proxied": "36", "moved": "36", "kept": "32",
           "invalid": "33"}
MOVED = ("proxied", "moved")


def validate(run: Run, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump([r.to_data() for r in run.results], out, indent=2)
        out.write("\n")
        return
    summary = run.summary
    findings = [r for r in run.results if r is not summary]
    rows = [(r.severity, _where(r), (r.field or {}).get("currentValue", ""), r.message)
            for r in findings if r.severity != INFO]
    text = summary.message if summary else f"validate: {len(findings)} problems"
    table(("", "RESOURCE", "IMAGE", "PROBLEM"), rows, text, out)


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
    if fmt == "markdown":
        out.write(_markdown(rows, through, target.where))
        return
    cells = [(r["decision"], r["image"], f"{r['resource']} ({r['use']})", r["why"],
              r["newReference"] if r["decision"] in MOVED else "") for r in rows]
    table(("", "IMAGE", "USED BY", "WHY", "BECOMES"), cells,
          f"{through} of {len(rows)} image references go through {target.where}", out)
    for w in warnings:
        print(w.line(), file=out)


def _markdown(rows: list[dict], through: int, where: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = [f"**{through} of {len(rows)} image references** go through `{where}`.", "",
           "| | Image | Used by | Why | Becomes |", "|---|---|---|---|---|"]
    for r in rows:
        mark = {"proxied": ":lock:", "moved": ":package:",
                "kept": ":globe_with_meridians:"}.get(r["decision"], ":warning:")
        becomes = f"`{cell(r['newReference'])}`" if r["decision"] in MOVED else ""
        out.append(f"| {mark} | `{cell(r['image'])}` | {cell(r['resource'])} "
                   f"({cell(r['use'])}) | {cell(r['why'])} | {becomes} |")
    return "\n".join(out) + "\n"


def _where(r: Result) -> str:
    ref = r.resource_ref or {}
    ns = f"{ref['namespace']}/" if ref.get("namespace") else ""
    text = f"{ref.get('kind', '')}/{ns}{ref.get('name', '')}" if ref else ""
    if r.field:
        text += f" {r.field['path']}"
    return text


def table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], summary: str,
          out: TextIO) -> None:
    """A table on a terminal, tab-free plain lines otherwise."""
    rows = list(rows)
    if not out.isatty():
        for first, *rest in rows:
            print(f"[{first}] " + " | ".join(c for c in rest if c), file=out)
        if summary:
            print(summary, file=out)
        return
    colour = "NO_COLOR" not in os.environ
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(), file=out)
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        if colour and row[0] in COLOURS:
            cells[0] = f"\033[{COLOURS[row[0]]}m{cells[0]}\033[0m"
        print("  ".join(cells).rstrip(), file=out)
    if summary:
        print(summary, file=out)
