"""Command line: ``replicated-proxy-fn`` (KRM function), ``--config F`` (manifest stream),
``validate`` and ``explain``. Process I/O, exit codes and messages live here only."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from fn import __version__
from fn.errors import FnError
from fn.results import ERROR, Result

MAX_INPUT = 256 * 1024 * 1024
PROG = "replicated-proxy-fn"


def main(argv: Sequence[str] | None = None) -> int:
    # A short-lived process whose many small nodes hold no cycles: the cyclic garbage
    # collector would only walk them over and over.
    gc.disable()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "validate":
            from fn import report

            return report.validate_command(args[1:])
        if args and args[0] == "explain":
            from fn import report

            return report.explain_command(args[1:])
        return _function(args)
    except FnError as exc:
        _say(exc.message)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. "| head"): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # never a traceback (it could carry input) unless asked for
        if os.environ.get("REPLICATED_PROXY_FN_DEBUG"):
            raise
        _say(f"internal error ({type(exc).__name__}); set REPLICATED_PROXY_FN_DEBUG=1 for details")
        return 1


def _function(args: list[str]) -> int:
    if not args:  # the KRM function proper: no argument parsing to pay for
        return _krm()
    import argparse

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="KRM function: pull private images through the Replicated proxy registry. "
        "With no arguments: ResourceList on stdin, ResourceList on stdout. With --config: a "
        "stream of manifests on stdin (helm template, kustomize build), manifests on stdout.",
    )
    parser.add_argument("--config", metavar="FILE", help="function config (ConfigMap or "
                        "ReplicatedProxy) for plain stream mode, e.g. as a Helm post-renderer")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream mode: print every result on stderr, not only problems")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    opts = parser.parse_args(args)
    if opts.config is None:
        return _krm()
    from fn import stream

    settings = load_config_file(opts.config)
    run = stream.run(read_input(sys.stdin.buffer, "stdin"), settings)
    _write_image_list(run)
    sys.stdout.write(run.stdout)
    _report(run.results, verbose=opts.verbose)
    return run.code


def _krm() -> int:
    """ResourceList on stdin, ResourceList on stdout; results live in the ResourceList."""
    from fn import pipeline, resourcelist

    try:
        text = read_input(sys.stdin.buffer, "stdin")
    except FnError as exc:  # still a ResourceList, with the error, for kpt to show
        sys.stdout.write(resourcelist.error_list([Result(exc.message, ERROR)]))
        raise
    run = pipeline.resource_list(text)
    _write_image_list(run)
    run.write_to(sys.stdout)
    _report(run.results, verbose=False, quiet=True)
    return run.code


def _write_image_list(run) -> None:
    """listImages: merge this run's ``<original> <new>`` lines into the file."""
    if run.image_list is None or run.code != 0:
        return
    path, lines = run.image_list
    try:
        with open(path, encoding="utf-8") as f:
            before = f.read()
    except FileNotFoundError:
        before = ""
    except OSError as exc:
        raise FnError(f"listImages: cannot read {path}: {exc.strerror}") from None
    merged = sorted({line for line in (before + lines).splitlines() if line.strip()})
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(f"{line}\n" for line in merged))
    except OSError as exc:
        raise FnError(f"listImages: cannot write {path}: {exc.strerror}") from None


def read_input(stream, name: str) -> str:
    data = stream.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        raise FnError(f"{name}: input larger than {MAX_INPUT // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FnError(f"{name}: input is not UTF-8 text (bad byte at offset {exc.start})") from None


def load_config_file(path: str):
    from fn import config, nodes, resourcelist

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_INPUT)
    except OSError as exc:
        raise FnError(f"cannot read config {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FnError(f"config {path} is not UTF-8 text") from None
    root = resourcelist.parse(text, "all", f"config {path}")
    try:
        data = nodes.to_python(root)
    except Exception as exc:  # ValueError, and what PyYAML constructors raise
        raise FnError(f"config {path} could not be read: {exc}") from None
    return config.load(data)


def _report(results: list[Result], verbose: bool, quiet: bool = False) -> None:
    """stderr: one line for an error (what failed); else, unless ``quiet``, warnings and
    the summary (every result when verbose)."""
    errors = [r for r in results if r.severity == ERROR]
    if errors:
        more = f" (and {len(errors) - 1} more errors in results)" if len(errors) > 1 else ""
        _say(errors[0].line().removeprefix("[error] ") + more)
    elif quiet:
        return
    elif verbose:
        for r in results:
            print(r.line(), file=sys.stderr)
    else:
        for r in results:
            if r.severity != "info" or r is results[-1]:
                print(r.line(), file=sys.stderr)


def _say(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)
