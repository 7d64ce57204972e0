"""The license ID never leaves in a message: whatever a message quotes (a license's kind,
a config key, a resource name) is searched for every license ID the run could know, and
each is replaced by ``<redacted>`` before results are written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from fn.results import Result

REDACTED = "<redacted>"
MIN_LENGTH = 8  # shorter values are no license IDs, and would blank out common words
_IN_TEXT = re.compile(r"licenseID[\"']?\s*:\s*[\"']?([A-Za-z0-9._~+/=-]+)")


def known(function_config: object, texts: Iterable[str | None] = (),
          values: Iterable[object] = ()) -> set[str]:
    """License IDs in the raw function config (``licenseID`` values, license documents),
    in license texts, and given directly (settings, environment)."""
    found: set[str] = set()
    _walk(function_config, found, 0)
    for text in texts:
        if isinstance(text, str):
            found.update(_IN_TEXT.findall(text))
    found.update(v for v in values if isinstance(v, str))
    return {s for s in found if len(s) >= MIN_LENGTH}


def _walk(node: object, found: set[str], depth: int) -> None:
    if depth > 20:
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "licenseID" and isinstance(value, str):
                found.add(value)
            elif isinstance(value, str):
                found.update(_IN_TEXT.findall(value))
            else:
                _walk(value, found, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found, depth + 1)


def redact(results: list[Result], secrets: set[str], rows: list[dict] | None = None) -> None:
    """Every license ID out of the results (message, field, resource and file: a name or a
    kpt path may hold one) and out of explain's ``rows``."""
    if not secrets:
        return
    for r in results:
        ref, file = r.resource_ref, r.file  # (read once: they may be made from its item)
        for secret in secrets:
            if secret in r.message:
                r.message = r.message.replace(secret, REDACTED)
            if (field := _without(r.field, secret)) is not None:
                r.field = field
            if (new := _without(ref, secret)) is not None:
                ref = r.resource_ref = new
            if (new := _without(file, secret)) is not None:
                file = r.file = new
    for i, row in enumerate(rows or []):
        for secret in secrets:
            if (new := _without(row, secret)) is not None:
                row = rows[i] = new


def _without(data: dict | None, secret: str) -> dict | None:
    """``data`` with ``secret`` replaced in its values; None when none holds it."""
    if not data or not any(secret in str(v) for v in data.values()):
        return None
    return {k: str(v).replace(secret, REDACTED) if secret in str(v) else v
            for k, v in data.items()}
