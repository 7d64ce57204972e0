"""Images a container names: words of its ``args``, ``command`` and ``env`` values.

Operators pull images they are told of there: prometheus-operator's
``--prometheus-config-reloader=quay.io/...:v0.93.1`` (kube-prometheus), OLM's
``RELATED_IMAGE_*`` variables. ``fn.uncovered`` finds the words (an image reference with a
registry host and a tag or digest: ``host/path:tag``); here each is decided and rewritten.

A word is decided without a probe, which could reach any host a flag names:

- on an earlier proxy path: re-targeted, as an image field would be;
- by a ``publicImages`` or ``privateImages`` pattern, or, with neither ``proxyAll`` nor
  ``probe`` set, as matching no pattern (public);
- else like an image field with the same reference, when there is one;
- else it is left as is, with an info result saying so: under ``proxyAll``, ``probe`` or a
  local registry a Kubernetes taint (``node-role.kubernetes.io/control-plane:NoSchedule``)
  reads as an image too, and rewriting it would break the flag.

A private word is rewritten in place (an error in validate), unless its value stands
elsewhere (a YAML alias, a ``<<`` merge key: changing the anchor would change every field
that uses it) or it has no proxy path (a registry port): then it is a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fn import patterns
from fn.classify import Verdict
from fn.intents import intend
from fn.problems import Problem
from fn.results import INFO, WARNING, Result
from fn.uncovered import NAMED, Suspect

if TYPE_CHECKING:
    from fn.config import Settings


def decide(suspects: list, verdicts: dict, target, why: str, rules: Settings | None = None,
           known: frozenset = frozenset()) -> tuple[list[Problem], list[Result]]:
    """Set ``new`` on each word to rewrite; the words left as is: warnings (validate makes
    them errors) and info results. ``rules``: the settings when patterns decide (the
    proxy); ``known``: the references of the plan's image fields (``verdicts`` or, without
    a verdict, ``why``)."""
    words = [(item, s) for item, s in suspects if s.form == NAMED and s.ref is not None]
    paths: dict[int, set[str]] = {}
    for _item, s in words:
        paths.setdefault(id(s.node), set()).add(s.path)
    problems: list[Problem] = []
    infos: list[Result] = []
    for item, s in words:
        settled = target.settle(s.value)
        if settled is not None:
            new, s.why = settled
            if new is None:  # already on the target
                continue
        else:
            verdict = _verdict(s, verdicts, why, rules, known)
            if verdict is None:
                infos.append(_left(item, s, "if it is an image, only " + (
                    "a privateImages or publicImages pattern, or " if rules else "") +
                    "an image field with the same reference decides such a word"))
                continue
            if not verdict.private:
                continue
            s.why = verdict.why
            try:
                new = target.rewrite(s.ref, verdict)
            except Problem as exc:  # no proxy path for it (a registry port)
                problems.append(_warning(item, s, exc.message))
                continue
        if s.aliased or len(paths[id(s.node)]) > 1:
            problems.append(_warning(item, s, f"private ({s.why}), but its value stands "
                                     "elsewhere (a YAML alias or merge key) and other fields "
                                     f"may use it: left as is; set it to {new} by hand"))
            continue
        s.new = new
    return problems, infos


def _verdict(s: Suspect, verdicts: dict, why: str, rules: Settings | None, known: frozenset
             ) -> Verdict | None:
    if rules is not None:
        found = patterns.first_match(rules.public, s.ref)
        if found is not None:
            return Verdict(False, f"matches publicImages {found.text!r}")
        found = patterns.first_match(rules.private, s.ref)
        if found is not None:
            return Verdict(True, f"matches privateImages {found.text!r}")
        if not (rules.proxy_all or rules.probe):
            return Verdict(False, "matches no privateImages pattern")
    if s.ref in known:
        return verdicts.get(s.ref) or Verdict(True, why)
    return None


def _warning(item, s: Suspect, what: str) -> Problem:
    return Problem(f"image {s.value} named in a container's {named_in(s.path)}: {what}",
                   severity=WARNING, field=s.path, resource=item.ref(), file=item.file())


def _left(item, s: Suspect, what: str) -> Result:
    r = Result(f"{s.value} in a container's {named_in(s.path)} left as is: {what}",
               INFO, item.ref(), {"path": s.path, "currentValue": s.value}, item.file())
    r.offset = (item.editor.text, s.node.start)
    return r


def result(item, s: Suspect, message: str, severity: str, rule: str = "") -> Result:
    """A result on a word to rewrite: its scalar's path, the word and what it becomes."""
    r = Result(f"{message} ({s.why}); named in a container's {named_in(s.path)}", severity,
               item.ref(), {"path": s.path, "currentValue": s.value, "proposedValue": s.new},
               item.file())
    r.rule = rule
    r.offset = (item.editor.text, s.node.start)
    return r


def rewrite(named: list, verb: str, results: list[Result], edited: set) -> None:
    """Each word replaced in its scalar (the scalar written once), with an info result."""
    scalars: dict[int, tuple[object, list[Suspect]]] = {}
    for item, s in named:
        scalars.setdefault(id(s.node), (item, []))[1].append(s)
    for key, (item, words) in scalars.items():
        if key in edited:
            continue
        edited.add(key)
        value = words[0].node.value
        for s in sorted(words, key=lambda w: w.span, reverse=True):
            value = value[:s.span[0]] + s.new + value[s.span[1]:]
        intend(item, "set", words[0].path, value)
        item.editor.set_scalar(words[0].node, value)  # type: ignore[attr-defined]
        results += [result(item, s, verb, INFO) for s in words]


def named_in(path: str) -> str:
    """"args", "command" or "env", from the path of a word's value."""
    last = path.rsplit(".", 1)[-1]
    return "env" if last == "value" else last.split("[", 1)[0]
