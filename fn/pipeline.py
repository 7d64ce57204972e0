"""The function, one pipeline for every entry point:

    read → settings → license → target → locate → classify (probe) → decide
         → mutate | validate | explain → outcome

``run`` takes a reader (ResourceList, manifest stream, files) and gives an ``Outcome``;
writers (``fn.krm``, ``fn.stream``, ``fn.report``) turn it into text.
Every problem, wherever raised, is collected here, once. No process I/O here: the
environment comes in as ``environ`` (``fn.cli`` passes ``os.environ``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fn import (
    agreement,
    classify,
    config,
    crdrows,
    kots,
    license,
    named,
    patterncount,
    plan,
    rowcount,
    secrecy,
    suspects,
    targets,
)
from fn.config import Settings
from fn.mutate import Outcome, mutate
from fn.nodes import string
from fn.problems import Problem, Problems, results_of
from fn.results import ERROR, WARNING
from fn.textedit import first
from fn.validate import explain, validate

MUTATE, VALIDATE, EXPLAIN = "mutate", "validate", "explain"


class Run(Outcome):
    """An outcome, with what it came from: ``source`` (None: the input was unreadable),
    ``plan`` (None: the run failed before deciding, or mutated), ``code`` and ``mode``."""

    def __init__(self, outcome: Outcome, code: int, mode: str, source: object = None,
                 p: plan.Plan | None = None, settings: Settings | None = None,
                 rows: list[dict] | None = None) -> None:
        super().__init__(outcome.results, outcome.new_items, outcome.drop, outcome.images,
                         outcome.summary)
        self.code = code
        self.mode = mode
        self.source = source
        self.plan = p
        self.settings = settings
        self.rows = rows or []

    @property
    def failed(self) -> bool:
        return self.code != 0

    def first_error(self) -> str | None:
        """"<first error> (and N more)" for a one-line message, or None."""
        errors = [r for r in self.results if r.severity == ERROR and r is not self.summary]
        if not errors:
            return None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return errors[0].line().removeprefix("[error] ") + more


def run(read: Callable[[], object], mode: str | None = None,
        settings: Settings | None = None, environ: Mapping[str, str] | None = None,
        read_file: Callable[[str], str] | None = None) -> Run:
    """``read`` gives the source (``.items``, ``.problems``, ``.function_config``);
    ``mode`` None means the settings' mode; ``settings`` None means the source's
    functionConfig; ``read_file`` reads a file the config names (``licenseFile``)."""
    source = None
    s = settings
    try:
        source = read()
        if source.problems:  # type: ignore[attr-defined]
            raise Problems(source.problems)  # type: ignore[attr-defined]
        s = settings or config.load(source.function_config)  # type: ignore[attr-defined]
        source = _with_user_rows(source, s)
        mode = mode or s.mode
        run = _decide_and_act(source, s, mode, environ or {}, read_file)
    except (Problem, Problems) as exc:
        run = Run(Outcome(results_of(exc)), 1, mode or MUTATE, source, settings=s)
    secrecy.redact(run.results, _secrets(source, s, environ or {}), run.rows)
    return run


def _secrets(source: object, s: Settings | None, environ: Mapping[str, str]) -> set[str]:
    """Every license ID this run could know of (for ``fn.secrecy``)."""
    texts: list[str | None] = [string(first(i.node, "data", "license.yaml"))
                               for i in getattr(source, "items", ()) if i.kind == "ConfigMap"]
    values: list[object] = []
    if s is not None:
        values.append(s.license_id.reveal() if s.license_id is not None else None)
        name = getattr(s, "license_id_env", None)
        values.append(environ.get(name) if name else None)
        texts.append(s.license_doc if isinstance(s.license_doc, str) else None)
    return secrecy.known(getattr(source, "function_config", None), texts, values)


def _with_user_rows(source, s: Settings):
    """The source read again with the user's ``imageFields``/``pullSecretFields``: the
    items were read (and let go of) before the functionConfig, which names them."""
    if not (s.image_fields or s.pull_secret_fields) or not hasattr(source, "reread"):
        return source
    again = source.reread(crdrows.table(s.image_fields, s.pull_secret_fields))
    if again.problems:
        raise Problems(again.problems)
    return again


def _decide_and_act(source, s: Settings, mode: str, environ: Mapping[str, str],
                    read_file: Callable[[str], str] | None) -> Run:
    items = source.items
    if mode == VALIDATE and getattr(source, "kpt_paths", True) and all(
            i.is_kptfile or i.local_config for i in items):
        raise Problem("validate read no resources (the ResourceList has none but the Kptfile "
                      "and local-config items): nothing was checked")
    p, s = _plan(items, s, mode, environ, read_file)
    if mode == VALIDATE:
        results = validate(p, items, s)
        return Run(Outcome(results, summary=results[0]), 1 if plan.errors(results[1:]) else 0,
                   mode, source, p, s)
    if mode == EXPLAIN:
        results = p.results + p.unseen_results(WARNING)
        return Run(Outcome(results), 0, mode, source, p, s, explain(p))
    outcome = mutate(p, items, s, kpt_paths=getattr(source, "kpt_paths", True))
    return Run(outcome, 0, mode, source, None, s)  # (its edits made, the plan is let go:
    # only explain reads it again, and its uses are a fair part of a large run's memory)


def _plan(items: list, s: Settings, mode: str, environ: Mapping[str, str],
          read_file: Callable[[str], str] | None) -> tuple[plan.Plan, Settings]:
    s, kots_license, kots_doc, notes = kots.settle(items, s, environ, read_file)
    license_item, license_text = license.from_items(items, s)
    if license_text is None:
        license_text = kots_doc
    notes += agreement.check(s, license_text)
    target = targets.make(s, license_text, need_id=mode == MUTATE, environ=environ)
    p = plan.gather(items, target, license_item or kots_license)
    if kots_license is not None and license_item is not None:
        p.consumed.append(kots_license)
    p.results += notes
    p.results += [problem.result() for problem in rowcount.problems(items, s)]
    refs = plan.candidates(p)
    refs += suspects.candidates(p.suspects, target)
    verdicts: dict = {}
    why = f"localRegistry is {target.where}"
    if isinstance(target, targets.ProxyTarget):
        verdicts, found = classify.classify(list(dict.fromkeys(refs)), s)  # may probe
        p.results += found
        why = ""
    plan.decide(p, verdicts, why)
    plan.unplaced(p, s.namespaces)
    p.unseen += suspects.report(p.suspects, verdicts, target, why)
    p.unseen += named.decide(p, verdicts, why, s, s.proxy_all or s.probe or not isinstance(
        target, targets.ProxyTarget))
    plan.one_image_each(p)  # (image fields and named words alike)
    if isinstance(target, targets.ProxyTarget):
        patterncount.account(p, s)
    return p, s
