"""Findings for CI: GitHub workflow commands and SARIF 2.1.0, each finding with its file,
line and column (``fn.results.position``)."""

from __future__ import annotations

from typing import Any

from fn import __version__
from fn.results import ERROR, INFO, WARNING, Result

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/replicated-proxy-fn/replicated-proxy-fn"
# rule id -> what it checks (the SARIF rules; every finding has one)
RULES: dict[str, str] = {
    "image-not-on-target": "A private image is pulled from somewhere other than the proxy "
                           "(or the local registry).",
    "pull-secret-missing": "A PodSpec with images does not name the pull secret.",
    "pull-secret-object": "A namespace lacks the pull secret, or it does not authenticate "
                          "the hosts the images use.",
    "image-not-read": "Something that looks like an image could not be read or moved.",
    "input-problem": "The input or the configuration could not be used.",
}
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}


def github(results: list[Result], positions: dict[int, tuple[str, int, int]]) -> str:
    """``::error file=F,line=L,col=C,title=T::message`` lines (warnings and errors)."""
    out = []
    for r in results:
        if r.severity == INFO:
            continue
        props = [f"title={_property(r.rule or 'input-problem')}"]
        at = positions.get(id(r))  # (file, line, column), if known
        if at is not None:
            props[:0] = [f"file={_property(at[0])}", f"line={at[1]}", f"col={at[2]}"]
        out.append(f"::{r.severity} {','.join(props)}::{_data(_text(r))}")
    return "".join(f"{line}\n" for line in out)


def sarif(results: list[Result], positions: dict[int, tuple[str, int, int]]) -> dict[str, Any]:
    """One SARIF 2.1.0 log: a run of this tool, a result per warning and error."""
    findings = [r for r in results if r.severity != INFO]
    used = sorted({r.rule or "input-problem" for r in findings})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "replicated-proxy-fn", "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [{"id": rule, "shortDescription": {"text": RULES[rule]}}
                          for rule in used],
            }},
            "results": [_sarif_result(r, positions, used) for r in findings],
        }],
    }


def _sarif_result(r: Result, positions: dict[int, tuple[str, int, int]],
                  rules: list[str]) -> dict[str, Any]:
    rule = r.rule or "input-problem"
    out: dict[str, Any] = {"ruleId": rule, "ruleIndex": rules.index(rule),
                           "level": LEVELS[r.severity], "message": {"text": _text(r)}}
    at = positions.get(id(r))  # (file, line, column), if known
    if at is not None:
        out["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": at[0]},
            "region": {"startLine": at[1], "startColumn": at[2]}}}]
    return out


def _text(r: Result) -> str:
    line = r.line()
    return line.split("] ", 1)[1] if line.startswith("[") else line


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
