"""Images a container names: words of its ``args``, ``command`` and ``env`` values.

Operators pull images they are told of there: prometheus-operator's
``--prometheus-config-reloader=quay.io/...:v0.93.1`` (kube-prometheus), OLM's
``RELATED_IMAGE_*`` variables. ``fn.uncovered`` finds the words (an image reference with a
registry host: ``host/path:tag``); here each is decided and rewritten. A word with no tag
or digest is never rewritten: if a ``privateImages`` pattern matches it, it is a warning.

A word is decided without a probe, which could reach any host a flag names:

- the value of an image field rewritten (``value: *img``, its anchor on the image): it
  changes with the field;
- on an earlier proxy path: re-targeted, as an image field would be;
- by a ``publicImages`` or ``privateImages`` pattern;
- else like an image field of the same repository, when there is one;
- else, with ``proxyAll``, ``probe`` or a local registry (any reference may be private),
  it is a warning: a Kubernetes taint (``node-role.kubernetes.io/control-plane:NoSchedule``)
  reads as an image too, and only a pattern tells them apart; without them, it matches no
  ``privateImages`` pattern: public.

A private word is rewritten in place (an error in validate), unless its value stands
elsewhere (a YAML alias, a ``<<`` merge key: changing the anchor would change every field
that uses it) or it has no proxy path (a registry port): then it is a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fn import retarget
from fn.classify import Verdict, by_patterns
from fn.intents import intend
from fn.problems import Problem
from fn.results import INFO, WARNING, Result
from fn.uncovered import NAMED, Suspect

if TYPE_CHECKING:
    from fn.config import Settings


def decide(p, verdicts: dict, why: str, rules: Settings, everything: bool) -> list[Problem]:
    """Set ``new`` on each word to rewrite (``follows`` on one that is an image field's
    own value, rewritten with it); the words left as is: warnings (validate makes them
    errors). ``everything``: whether any reference may be private (``proxyAll``, ``probe``,
    a local registry), so that only a pattern or an image field decides a word; ``why``:
    an image field's verdict when ``verdicts`` has none."""
    words = [(item, s) for item, s in p.suspects if s.form == NAMED and s.ref is not None]
    shared = _shared(words)
    known = _known(p, verdicts, why)
    moving = _moving(p.uses)
    problems: list[Problem] = []
    for item, s in words:
        if id(s.node) in moving:  # "value: *img", the anchor on an image field rewritten
            s.follows = moving[id(s.node)]
            continue
        try:
            new = _new(s, p.target, rules, known, everything)
        except Problem as exc:
            problems.append(_warning(item, s, exc.message))
            continue
        if new is not None and (s.aliased or id(s.node) in shared):
            problems.append(_warning(item, s, f"private ({s.why}), but its value stands "
                                     "elsewhere (a YAML alias or merge key) and other fields "
                                     f"may use it: left as is; set it to {new} by hand"))
        elif new is not None:
            s.new = new
    return problems


def _shared(words: list) -> set[int]:
    """The scalars reached at more than one path (of one item or of several): aliases."""
    paths: dict[int, set[tuple[int, str]]] = {}
    for item, s in words:
        paths.setdefault(id(s.node), set()).add((id(item), s.path))
    return {key for key, found in paths.items() if len(found) > 1}


def _moving(uses: list) -> dict[int, str]:
    """The image fields' scalars rewritten where they stand, and their new values."""
    return {id(u.field.node): u.new for u in uses if u.new is not None
            and u.field.alias_at is None and u.field.merged_in is None}


def _new(s: Suspect, target, rules: Settings, known: dict, everything: bool) -> str | None:
    """What the word becomes (None: it stays); Problem when it should move but cannot."""
    settled = target.settle(s.value)
    if settled is not None:  # on the target (None), or on an earlier proxy path
        new, s.why = settled
        return new
    if not (s.ref.tag or s.ref.digest):  # a repository prefix, a URL, a path ...
        return _repository(s, target, rules)
    verdict = _verdict(s.ref, rules, known, everything)
    if verdict is None:
        raise Problem("left as is: under proxyAll, probe or a local registry any reference "
                      "may be private, and only a pattern tells an image from a word that "
                      "looks like one: list it in privateImages to move it, or in "
                      "publicImages to leave it")
    if not verdict.private:
        return None
    s.why = verdict.why
    return target.rewrite(s.ref, verdict)  # Problem: no proxy path (a registry port)


def _repository(s: Suspect, target, rules: Settings) -> None:
    """A word with no tag or digest moves by hand only: what names it may complete it
    (``--base-image=quay.io/acme/alertmanager``), or it may be no image at all. One a
    ``privateImages`` pattern matches is a warning (Problem); the rest stay as they are."""
    verdict = by_patterns(s.ref, rules)
    if verdict is None or not verdict.private:
        return None
    new = target.rewrite(s.ref, verdict)  # (Problem: no proxy path)
    raise Problem(f"private ({verdict.why}), but with no tag or digest it may be a "
                  "repository the program completes, or no image: left as is; if it is "
                  f"pulled, set it to {new} by hand")


def _known(p, verdicts: dict, why: str) -> dict[tuple[str, str], Verdict]:
    """The verdict of each repository an image field of the plan names (already on the
    target: private, as it was moved)."""
    out: dict[tuple[str, str], Verdict] = {}
    for use in p.uses:
        if use.ref is not None:
            out[(use.ref.domain, use.ref.path)] = verdicts.get(use.ref) or Verdict(True, why)
            continue
        ref = retarget.original(use.value, p.target)  # (settled: on the target)
        if ref is not None:
            out.setdefault((ref.domain, ref.path), Verdict(
                True, "as the image field with the same repository, already on the target"))
    return out


def _verdict(ref, rules: Settings, known: dict, everything: bool) -> Verdict | None:
    verdict = by_patterns(ref, rules) or known.get((ref.domain, ref.path))
    if verdict is not None or everything:
        return verdict
    return Verdict(False, "matches no privateImages pattern")


def _warning(item, s: Suspect, what: str) -> Problem:
    found = Problem(f"image {s.value} named in a container's {named_in(s.path)}: {what}",
                    severity=WARNING, field=s.path, resource=item.ref(), file=item.file())
    found.offset = (item.editor.text, s.node.start)  # type: ignore[union-attr]
    return found


def result(item, s: Suspect, message: str, severity: str, rule: str = "") -> Result:
    """A result on a word to rewrite: its scalar's path, the word and what it becomes."""
    r = Result(f"{message} ({s.why}); named in a container's {named_in(s.path)}", severity,
               item.ref(), {"path": s.path, "currentValue": s.value, "proposedValue": s.new},
               item.file())
    r.rule = rule
    r.offset = (item.editor.text, s.node.start)
    return r


def rewrite(suspects: list, verb: str, results: list[Result], edited: set) -> None:
    """Each word to rewrite replaced in its scalar (the scalar written once), with an info
    result; a word that is an image field's own value only says so (``fn.intents``)."""
    scalars: dict[object, tuple[object, list[Suspect]]] = {}  # node -> (item, words)
    for item, s in suspects:
        if s.form == NAMED and s.follows is not None:
            intend(item, "set", s.path, s.follows)
        elif s.form == NAMED and s.new is not None:
            scalars.setdefault(s.node, (item, []))[1].append(s)
    for key, (item, words) in scalars.items():
        if key in edited:
            continue
        edited.add(key)
        node, editor = words[0].node, item.editor  # type: ignore[attr-defined]
        value = node.value
        spans = {w.span: w for w in words}  # (each span once, whatever reached it)
        for span, w in sorted(spans.items(), reverse=True):
            value = value[:span[0]] + w.new + value[span[1]:]
        intend(item, "set", words[0].path, value)
        places = _in_place(editor.text, node, list(spans))
        if places is None:
            editor.set_scalar(node, value)
        else:
            for (start, end), w in zip(places, spans.values(), strict=True):
                editor.splice(start, end, w.new)
        results += [result(item, w, verb, INFO) for w in spans.values()]


def _in_place(text: str, node, spans: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
    """Where each span of the scalar's value stands in ``text``, so that a word is replaced
    there and the scalar keeps its style: a one-line plain or quoted scalar without
    escapes, or a literal block (``|``) without an indentation indicator. None when the
    value is not its text so simply (the scalar is then written anew)."""
    source = text[node.start:node.end]
    if node.style in ("", "'", '"') and "\n" not in source:
        quote = len(node.style)
        if source[quote:len(source) - quote] != node.value:  # '' or \ escapes
            return None
        return [(node.start + quote + a, node.start + quote + b) for a, b in spans]
    header, _, body = source.partition("\n")
    if node.style != "|" or any(c.isdigit() for c in header):
        return None
    starts = _literal_lines(body, node.value, node.start + len(header) + 1)
    if starts is None:
        return None
    value = node.value
    return [(at, at + b - a) for a, b in spans
            for at in [starts[value.count("\n", 0, a)] + a - (value.rfind("\n", 0, a) + 1)]]


def _literal_lines(body: str, value: str, at: int) -> list[int] | None:
    """The offset of each value line's first character in a literal block's ``body``
    (which starts at ``at``), when every line is the block's indentation and the value's
    line; else None."""
    lines = body.split("\n")
    indent = next((len(x) - len(x.lstrip(" ")) for x in lines if x.strip()), 0)
    starts = []
    for k, line in enumerate(value.split("\n")):
        if line and (k >= len(lines) or lines[k].removesuffix("\r") != " " * indent + line):
            return None
        starts.append(at + indent)
        at += len(lines[k]) + 1 if k < len(lines) else 0
    return starts


def named_in(path: str) -> str:
    """"args", "command" or "env", from the path of a word's value."""
    last = path.rsplit(".", 1)[-1]
    return "env" if last == "value" else last.split("[", 1)[0]
