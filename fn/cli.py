"""Command line: ``replicated-proxy-fn`` (KRM function), ``--config F`` (manifest stream),
``validate`` and ``explain``. Process I/O, arguments and exit codes live here only; each
command is a reader, ``fn.pipeline.run`` and a writer."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from fn import __version__

PROG = "replicated-proxy-fn"


def main(argv: Sequence[str] | None = None) -> int:
    # A short-lived process whose many small nodes hold no cycles: the cyclic garbage
    # collector would only walk them over and over.
    gc.disable()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in ("validate", "explain"):
            return _check(args[0], args[1:])
        return _function(args)
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
        epilog=_reference() if {"-h", "--help"} & set(args) else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE", help="function config (ConfigMap or "
                        "ReplicatedProxy) for plain stream mode, e.g. as a Helm post-renderer")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream mode: print every result on stderr, not only problems")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    opts = parser.parse_args(args)
    if opts.config is None:
        return _krm()
    return _stream(opts.config, opts.verbose)


def _reference() -> str:
    """--help's closing part: the subcommands and every config field, from fn.schema."""
    import textwrap

    from fn.config import FIELDS
    from fn.schema import DESCRIPTIONS

    lines = ["subcommands:",
             f"  {PROG} validate --config FILE [FILE|DIR|-]...   check manifests (exit 1 on "
             "a problem); --format text|json|sarif|github",
             f"  {PROG} explain --config FILE [FILE|DIR|-]...    each image: used where, "
             "private or not, why, what it becomes; --format text|json|markdown",
             "",
             "config (a ConfigMap's data, or spec of a fn.replicated-proxy/v1alpha1 "
             "ReplicatedProxy):"]
    for name in FIELDS:
        lines += textwrap.wrap(DESCRIPTIONS[name], 96, initial_indent=f"  {name}: ",
                               subsequent_indent="      ")
    return "\n".join(lines)


def _krm() -> int:
    """ResourceList on stdin, ResourceList on stdout; results live in the ResourceList."""
    from fn import inputs, krm
    from fn.problems import Problem

    try:
        text = inputs.read_input(sys.stdin.buffer, "stdin", pack=True)
    except Problem as exc:  # still a ResourceList, with the error, for kpt to show
        sys.stdout.write(krm.error_list([exc.result()]))
        _say(exc.message)
        return 1
    out = krm.resource_list(text, os.environ, inputs.read_named_file)
    return _finish(out, quiet=True, on_error=krm.failed)


def _stream(config: str, verbose: bool) -> int:
    from fn import inputs, stream
    from fn.krm import Output

    def read() -> stream.Stream:
        function_config = inputs.read_config(config)
        source = stream.Stream(inputs.read_input(sys.stdin.buffer, "stdin", pack=True))
        source.function_config = function_config
        return source

    return _finish(stream.process(read, environ=os.environ, read_file=inputs.read_named_file),
                   verbose=verbose,
                   on_error=lambda out: Output("", out.run))


def _finish(out, on_error, quiet: bool = False, verbose: bool = False) -> int:
    """Write the image list (if asked), the output, and the stderr report."""
    from fn.problems import Problem

    try:
        _write_image_list(out.image_list)
    except Problem as exc:  # the error once in the results, then the output made again
        out.run.results.append(exc.result())
        out.run.code = 1
        out = on_error(out)
    out.write_to(sys.stdout)
    _report(out.run, verbose=verbose, quiet=quiet)
    return out.run.code


def _check(command: str, args: list[str]) -> int:
    """``validate`` / ``explain``: files in, a report out."""
    import argparse

    from fn import inputs, pipeline, report

    formats = (("text", "json", "sarif", "github") if command == "validate"
               else ("text", "json", "markdown"))
    description = {
        "validate": "Check manifests: every private image pulled through the proxy, every "
                    "PodSpec with the pull secret, every namespace with a Secret that "
                    "authenticates the proxy and registry. Exit 1 on any problem.",
        "explain": "Show, for each image, where it is used, whether it is private and why, "
                   "and what it becomes."}[command]
    parser = argparse.ArgumentParser(prog=f"{PROG} {command}", description=description)
    parser.add_argument("paths", nargs="*", metavar="FILE|DIR|-",
                        help="manifests to read (YAML files, directories searched for *.yaml "
                        "and *.yml, or - for stdin; default: stdin)")
    parser.add_argument("--config", metavar="FILE", required=True,
                        help="the function config (ConfigMap or ReplicatedProxy)")
    parser.add_argument("--format", choices=formats, default="text")
    parser.add_argument("--allow-empty", action="store_true",
                        help="reading no resources at all is not an error")
    opts = parser.parse_args(args)
    mode = pipeline.VALIDATE if command == "validate" else pipeline.EXPLAIN
    usage = f"{PROG} {command} --config FILE FILE|DIR|-"
    run = pipeline.run(lambda: inputs.Files(opts.paths, opts.config, opts.allow_empty, usage),
                       mode, environ=os.environ, read_file=inputs.read_named_file)
    getattr(report, command)(run, opts.format, sys.stdout)
    sys.stdout.flush()
    first = run.first_error()
    if first:
        _say(first)
    return run.code


def _write_image_list(listing: tuple[str, str] | None) -> None:
    """listImages: merge this run's ``<original> <new>`` lines into the file."""
    if listing is None:
        return
    from fn import imagelist
    from fn.problems import Problem

    path, lines = listing
    try:
        with open(path, encoding="utf-8") as f:
            before = f.read()
    except FileNotFoundError:
        before = ""
    except UnicodeDecodeError:
        raise Problem(f"listImages: {path} is not an image list (not UTF-8 text); "
                      "name a new file") from None
    except OSError as exc:
        raise Problem(f"listImages: cannot read {path}: {exc.strerror}") from None
    if not imagelist.is_list(before):
        raise Problem(f"listImages: {path} is not an image list this function wrote; "
                      "name a new file")
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(imagelist.merge(lines, before))
    except OSError as exc:
        raise Problem(f"listImages: cannot write {path}: {exc.strerror}") from None


def _report(run, verbose: bool, quiet: bool = False) -> None:
    """stderr: one line for an error (what failed); else, unless ``quiet``, warnings and
    the summary (every result when verbose)."""
    first = run.first_error()
    if first:
        _say(first)
    elif quiet:
        return
    elif verbose:
        for r in run.results:
            print(r.line(), file=sys.stderr)
    else:
        for r in run.results:
            if r.severity != "info" or r is run.summary:
                print(r.line(), file=sys.stderr)


def _say(message: str) -> None:
    from fn.results import printable

    print(printable(f"{PROG}: error: {message}"), file=sys.stderr)
