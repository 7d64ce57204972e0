"""New YAML text, in the style kpt and kustomize write: block style, two spaces,
sequences "compact" under their key, or JSON inside flow collections; scalars plain when
that reads back as the same string, else quoted."""

from __future__ import annotations

import functools
import re
from json.encoder import encode_basestring  # (json: imported by fn.fieldpath anyway)

from fn.nodes import STR, resolve

# ("-" first before a letter or "-": "--flag=x", "-v"; not "- x", nor "-.5" or "-1e3", which
# YAML 1.2 readers take for numbers)
_PLAIN = re.compile(r"(?:[A-Za-z0-9_./]|-(?=[A-Za-z-]))[A-Za-z0-9_./:@+=~-]*\Z")
# Left raw by json.dumps(ensure_ascii=False) but refused by libyaml's reader (DEL, C1
# controls, BOM, U+FFFE/F) or read as a line break (NEL, LS, PS): written as escapes.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _escape(json_text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", json_text)

Data = str | int | bool | None | list["Data"] | dict[str, "Data"]


def scalar(value: str | int | bool | None, style: str = "") -> str:
    """A scalar as YAML text: plain when that reads back as the same string, else quoted."""
    if value.__class__ is str and not style:  # (the most common: results, new keys)
        return value if plain_ok(value) else _quoted(value)  # type: ignore[arg-type]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if style == "'" and "\n" not in value and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and plain_ok(value):
        return value
    return _quoted(value)


def _quoted(value: str) -> str:
    """A double-quoted scalar: JSON's string (``json.dumps(value, ensure_ascii=False)``)."""
    return _escape(encode_basestring(value))


@functools.lru_cache(maxsize=4096)  # keys and values repeat over many results
def plain_ok(value: str) -> bool:
    return (
        bool(_PLAIN.match(value))
        and not value.endswith(":")
        and resolve(value) == STR
    )


def literal_ok(value: str) -> bool:
    """A multi-line string that a "|" block scalar holds exactly."""
    return (value.endswith("\n") and not value.endswith("\n\n") and "\n" in value[:-1]
            and not value[0].isspace() and all(line.isprintable() and line == line.rstrip(" ")
                                                for line in value[:-1].split("\n")))


def flow(value: Data) -> str:
    """A value as one line of flow YAML (JSON, which YAML reads the same)."""
    import json

    return _escape(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def block(value: Data, indent: int) -> list[str]:
    """A mapping or sequence as block lines at ``indent`` (sequences under a key: compact)."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if v.__class__ is str and not v.endswith("\n"):  # (no "|" block: see literal_ok)
                out.append(f"{pad}{scalar(k)}: {scalar(v)}")
            elif isinstance(v, dict) and v:
                out.append(f"{pad}{scalar(k)}:")
                out.extend(block(v, indent + 2))
            elif isinstance(v, list) and v:
                out.append(f"{pad}{scalar(k)}:")
                out.extend(block(v, indent))
            elif isinstance(v, dict | list):
                out.append(f"{pad}{scalar(k)}: {flow(v)}")
            elif isinstance(v, str) and literal_ok(v):
                out.append(f"{pad}{scalar(k)}: |")
                out.extend(f"{pad}  {line}" if line else "" for line in v[:-1].split("\n"))
            else:
                out.append(f"{pad}{scalar(k)}: {scalar(v)}")
        return out
    assert isinstance(value, list)
    for v in value:
        if isinstance(v, dict | list) and v:
            lines = block(v, indent + 2)
            lines[0] = f"{pad}- {lines[0][indent + 2:]}"
            out.extend(lines)
        elif isinstance(v, dict | list):
            out.append(f"{pad}- {flow(v)}")
        else:
            out.append(f"{pad}- {scalar(v)}")
    return out


_TAGS = {bool: "bool", int: "int", type(None): "null"}


def as_read(data: Data) -> object:
    """Data as ``block`` writes it and fn.nodes.plain reads it back: a scalar other than a
    string as its tag and text (fn.selfcheck compares results so, in C)."""
    if isinstance(data, dict):  # (strings, most of all, as they are)
        return {k: v if v.__class__ is str else as_read(v) for k, v in data.items()}
    if isinstance(data, list):
        return [v if v.__class__ is str else as_read(v) for v in data]
    if isinstance(data, str):
        return data
    text = "null" if data is None else str(data).lower() if isinstance(data, bool) else str(
        data)
    return ("tag:yaml.org,2002:" + _TAGS.get(type(data), "?"), text)
