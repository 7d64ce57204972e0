"""``validate`` and ``explain``: the function's decisions, for people and for CI.

Both read plain manifests (files, directories, or stdin), decide exactly as the function
does (``fn.transform.plan``), change nothing, and print: a table on a terminal, plain
lines otherwise, or JSON / Markdown on request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from fn import transform
from fn.cli import PROG, load_config_file, read_input
from fn.errors import FnError
from fn.results import ERROR, INFO, WARNING, Result

YAML_SUFFIXES = (".yaml", ".yml")


def _parser(command: str, description: str, formats: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} {command}", description=description)
    parser.add_argument("paths", nargs="*", metavar="FILE|DIR|-",
                        help="manifests to read (YAML files, directories searched for *.yaml "
                        "and *.yml, or - for stdin; default: stdin)")
    parser.add_argument("--config", metavar="FILE", required=True,
                        help="the function config (ConfigMap or ReplicatedProxy)")
    parser.add_argument("--format", choices=formats, default="text")
    return parser


def read_streams(paths: list[str]):
    """(source name, text) for every input."""
    from fn.stream import Stream

    if not paths:
        paths = ["-"]
    streams = []
    for path in paths:
        if path == "-":
            streams.append(Stream(read_input(sys.stdin.buffer, "stdin"), "stdin"))
            continue
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.is_file():
            files = [p]
        else:
            raise FnError(f"{path}: no such file or directory")
        for f in files:
            with open(f, "rb") as handle:
                streams.append(Stream(read_input(handle, str(f)), str(f), str(f)))
    items = [item for s in streams for item in s.items]
    for i, item in enumerate(items):
        item.index = i
    from fn.resourcelist import check_duplicates

    check_duplicates(items)
    return items


def validate_command(args: list[str]) -> int:
    opts = _parser("validate", "Check manifests: every private image pulled through the "
                   "proxy, every PodSpec with the pull secret, every namespace with a Secret "
                   "that authenticates the proxy and registry. Exit 1 on any problem.",
                   ("text", "json")).parse_args(args)
    settings = load_config_file(opts.config)
    items = read_streams(opts.paths)
    try:
        p = transform.plan(items, settings, validating=True)
        results = transform.validate(p, items, settings)
    except transform.Failed as exc:
        results = [*exc.results, Result(f"validate: {len(exc.results)} problems", ERROR)]
    if opts.format == "json":
        json.dump([r.to_data() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        *findings, last = results
        rows = [(r.severity, _where(r), (r.field or {}).get("currentValue", ""), r.message)
                for r in findings if r.severity != INFO]
        summary = last.message
        _table(("", "RESOURCE", "IMAGE", "PROBLEM"), rows, summary)
    errors = [r for r in results if r.severity == ERROR]
    if errors:
        sys.stdout.flush()
        first = errors[0].line().removeprefix("[error] ")
        print(f"{PROG}: error: {first}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1
                                           else ""), file=sys.stderr)
    return 1 if errors else 0


def explain_command(args: list[str]) -> int:
    opts = _parser("explain", "Show, for each image, where it is used, whether it is private "
                   "and why, and what it becomes.", ("text", "json", "markdown")).parse_args(args)
    settings = load_config_file(opts.config)
    items = read_streams(opts.paths)
    p = transform.plan(items, settings, validating=True)
    rows = []
    for use in p.uses:
        i = use.item
        where = f"{i.kind}/{(i.namespace + '/') if i.namespace else ''}{i.name}"
        verdict = "proxied" if use.new else ("invalid" if use.ref is None and not use.why
                                             else "kept")
        rows.append({"image": use.value, "resource": where, "use": use.image.owner,
                     "decision": verdict, "why": use.why or "not a valid image reference",
                     "newReference": use.new or use.value})
    warnings = [r for r in p.results if r.severity == WARNING]
    if opts.format == "json":
        json.dump({"images": rows, "warnings": [w.to_data() for w in warnings]}, sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
    elif opts.format == "markdown":
        sys.stdout.write(_markdown(rows, p))
    else:
        table = [(r["decision"], r["image"], f"{r['resource']} ({r['use']})", r["why"],
                  r["newReference"] if r["decision"] == "proxied" else "") for r in rows]
        proxied = sum(r["decision"] == "proxied" for r in rows)
        _table(("", "IMAGE", "USED BY", "WHY", "BECOMES"), table,
               f"{proxied} of {len(rows)} image references go through "
               f"{p.proxy.proxy_domain}/proxy/{p.proxy.app_slug}")
        for w in warnings:
            print(w.line())
    return 0


def _markdown(rows: list[dict], p: transform.Plan) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    proxied = sum(r["decision"] == "proxied" for r in rows)
    out = [f"**{proxied} of {len(rows)} image references** go through "
           f"`{p.proxy.proxy_domain}/proxy/{p.proxy.app_slug}`.", "",
           "| | Image | Used by | Why | Becomes |", "|---|---|---|---|---|"]
    for r in rows:
        mark = {"proxied": ":lock:", "kept": ":globe_with_meridians:"}.get(r["decision"],
                                                                          ":warning:")
        becomes = f"`{cell(r['newReference'])}`" if r["decision"] == "proxied" else ""
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


COLOURS = {ERROR: "31", WARNING: "33", "proxied": "36", "kept": "32", "invalid": "33"}


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], summary: str) -> None:
    """A table on a terminal (colour unless NO_COLOR), tab-free plain lines otherwise."""
    rows = list(rows)
    out = sys.stdout
    tty = out.isatty()
    if not tty:
        for row in rows:
            first, *rest = row
            print(f"[{first}] " + " | ".join(c for c in rest if c))
        if summary:
            print(summary)
        return
    colour = "NO_COLOR" not in os.environ
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        if colour and row[0] in COLOURS:
            cells[0] = f"\033[{COLOURS[row[0]]}m{cells[0]}\033[0m"
        print("  ".join(cells).rstrip())
    if summary:
        print(summary)
