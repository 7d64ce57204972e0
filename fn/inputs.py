"""Reading what the user names: stdin, files, directories (the CLI's input side)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from fn import nodes, packedtext, resourcelist
from fn.config import Settings, load
from fn.fieldspecs import Table
from fn.problems import Problem
from fn.stream import Stream

if TYPE_CHECKING:
    from pathlib import Path

    from fn.packedtext import Packed

MAX_INPUT = 256 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")


def read_input(stream, name: str, pack: bool = False) -> str:
    """All of a binary stream nothing was read from yet, as text (``pack``: a large one
    may come as fn.packedtext.Packed, which reads like a str)."""
    data = _read_all(stream, pack)
    if len(data) > MAX_INPUT:
        raise Problem(f"{name}: input larger than {MAX_INPUT // (1024 * 1024)} MiB")
    if not isinstance(data, bytes):
        return data  # type: ignore[return-value]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(f"{name}: input is not UTF-8 text (bad byte at offset {exc.start})"
                      ) from None


def _read_all(stream, pack: bool) -> bytes | str | Packed:
    """Up to MAX_INPUT + 1 bytes; a str when they are ASCII and the compiled reader read
    them from the stream's file straight into it (no bytes object beside the text);
    ``pack``: Packed when they are more than packedtext.PACK_FROM and can be."""
    try:
        from fn._yamlwalk import read_text

        fd = stream.fileno()
    except (ImportError, AttributeError, OSError, ValueError):  # not built; not a file
        return stream.read(MAX_INPUT + 1)
    if not pack:
        return read_text(fd, MAX_INPUT)
    head = read_text(fd, packedtext.PACK_FROM)
    if len(head) <= packedtext.PACK_FROM:
        return head
    return packedtext.read_on(head, fd, MAX_INPUT)


def read_config(path: str) -> object:
    """The function config in a file, as plain data (``fn.config.load`` checks it)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_INPUT)
    except OSError as exc:
        raise Problem(f"cannot read config {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise Problem(f"config {path} is not UTF-8 text") from None
    root = resourcelist.parse(text, "all", f"config {path}")
    try:
        data = nodes.to_python(root)
    except Exception as exc:  # ValueError, and what PyYAML constructors raise
        raise Problem(f"config {path} could not be read: {exc}") from None
    return data


def read_named_file(path: str) -> str:
    """A file the config names (``licenseFile``), as text."""
    try:
        with open(path, "rb") as handle:
            return read_input(handle, path)
    except OSError as exc:
        raise Problem(f"cannot read {path}: {exc.strerror}") from None


def load_config_file(path: str) -> Settings:
    return load(read_config(path))


class Files:
    """The items of every named input, as one source."""

    kpt_paths = False

    def __init__(self, paths: list[str], config: str, allow_empty: bool = False,
                 usage: str = "") -> None:
        """Reading no resource at all is an error unless ``allow_empty``; stdin is never
        waited on when it is a terminal (``usage`` says what to give instead)."""
        self.function_config = read_config(config)
        self.problems: list[Problem] = []
        streams = []
        for path in paths or ["-"]:
            if path == "-":
                if sys.stdin.isatty():
                    raise Problem(f"no manifests: stdin is a terminal; usage: {usage}")
                text = read_input(sys.stdin.buffer, "stdin", pack=True)
                streams.append(Stream(text, "stdin"))
                continue
            for f in _files(path, self.problems):
                with open(f, "rb") as handle:
                    text = read_input(handle, str(f), pack=True)
                    streams.append(Stream(text, str(f), str(f)))
        self._gather(streams)
        if not self.items and not allow_empty:
            names = ", ".join(paths or ["stdin"])
            raise Problem(f"read no resources from {names} (YAML files: *.yaml, *.yml); "
                          "pass --allow-empty if that is expected")

    def _gather(self, streams: list[Stream]) -> None:
        self.streams = streams
        self.items = [item for s in streams for item in s.items]
        for i, item in enumerate(self.items):
            item.index = i
        resourcelist.check_duplicates(self.items)

    def reread(self, table: Table) -> Files:
        """The same texts read with the user's rows as well (``imageFields``)."""
        again = Files.__new__(Files)
        again.function_config = self.function_config
        again.problems = []
        again._gather([s.reread(table) for s in self.streams])
        return again


def _files(path: str, problems: list[Problem]) -> list[Path]:
    """The file, or a directory's YAML files (as kpt reads a package); a manifest in JSON
    there is not read, and a problem in ``problems`` says so (kubectl would apply it)."""
    from pathlib import Path  # (files are read by validate and explain only)

    p = Path(path)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.suffix in (*YAML_SUFFIXES, ".json")
                       and f.is_file() and not any(part.startswith(".") for part in
                                                   f.relative_to(p).parts))
        problems += [Problem(f"{f}: a manifest in JSON, not read (in a directory only "
                             "*.yaml and *.yml files are read): name the file to read it")
                     for f in found if f.suffix == ".json" and _is_manifest(f)]
        return [f for f in found if f.suffix != ".json"]
    if p.is_file():
        return [p]
    raise Problem(f"{path}: no such file or directory")


def _is_manifest(path: Path) -> bool:
    """Whether a JSON file holds a Kubernetes object (an apiVersion and a kind)."""
    import json

    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(MAX_INPUT))
    except (OSError, ValueError, RecursionError):  # (not JSON, not UTF-8, nested past
        #                                            what json reads: no manifest)
        return False
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data
