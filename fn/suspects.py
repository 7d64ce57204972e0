"""What the suspects of ``fn.uncovered`` come to: the references that need a verdict, then a
warning (validate: an error) for each private one, which no location covers.

A suspect's value that is no valid reference as written is read for the image it stands
for, for the verdict only: an override's new image (``web=quay.io/acme/web:2``, Argo CD's
kustomize ``images``), the name before a template's part (``quay.io/acme/r:{{tag}}``), or
the value without surrounding blanks and in lower case (``quay.io/acme/api:1 ``,
``quay.io/acme/Sidecar:1``). Private so, it is reported as
written, with how it was read. One that does not read even so (``Ubuntu 22.04``) names no
image any registry serves, and no rule can call it private.
"""

from __future__ import annotations

import re

from fn.classify import Verdict
from fn.imagekeys import overridden
from fn.problems import InvalidReference, Problem
from fn.results import WARNING
from fn.uncovered import FIELD, LISTED, NAMED, SPLIT, TEXT

_TEMPLATE = re.compile(r"[:@]?(\{\{|\$\(|\$\{)")  # where a template's part begins


def candidates(suspects: list, target) -> list:
    """The parsed references of the suspects that need a verdict (a NAMED word is parsed
    only: ``fn.named`` decides it, never by a probe)."""
    refs = []
    for _item, suspect in suspects:
        if suspect.form != NAMED and target.settle(suspect.value) is not None:
            continue
        try:
            ref = target.parse(suspect.value)
        except InvalidReference as exc:
            ref = None if suspect.form == NAMED else _as_meant(suspect, target, exc)
            if ref is None:
                continue
        suspect.ref = ref
        if suspect.form == NAMED:  # (decided by fn.named)
            continue
        refs.append(ref)
    return refs


def _as_meant(suspect, target, exc: InvalidReference) -> object | None:
    """The reference an invalid value stands for, or None; ``suspect.read_as`` says how."""
    image = overridden(suspect.value)
    filled = _TEMPLATE.search(suspect.value)  # ("{{inputs.parameters.tag}}": filled later)
    meant = (image if image is not None else suspect.value[:filled.start()].rstrip(":@")
             if filled else suspect.value.strip().lower())
    if meant == suspect.value or not meant or target.settle(meant) is not None:
        return None
    try:
        ref = target.parse(meant)
    except InvalidReference:
        return None
    suspect.read_as = ((OVERRIDE, "") if image is not None else (TEMPLATE, "") if filled
                       else (INVALID, str(exc)))
    return ref


OVERRIDE, TEMPLATE, INVALID = "override", "template", "invalid"  # how _as_meant read it
_READ_AS = {  # how: (what the message adds after "covers", the value it shows, "correct it")
    OVERRIDE: (", set by the override {value!r}", overridden, False),  # (the image it sets)
    TEMPLATE: (", a template filled in where it runs", repr, True),
    INVALID: (", not a valid reference as written ({detail})", repr, True)}


_HOW = {  # what to do, by the suspect's form (FIELD: the imageFields entry that covers it)
    SPLIT: "it is a {{registry, repository, tag}} mapping, which imageFields cannot rewrite: "
           "set it to the proxy path by hand",
    LISTED: "it is an entry of a list of images, which imageFields cannot name: set it to "
            "the proxy path by hand",
    TEXT: "it is the {} of a manifest written as a string, which the function does not "
          "edit: set it to the proxy path, and give its pods the pull secret, by hand"}


def report(suspects: list, verdicts: dict, target, why: str = "") -> list[Problem]:
    """A problem (a warning; validate makes it an error) for each private suspect."""
    out = []
    for item, suspect in suspects:
        if suspect.ref is None or suspect.form == NAMED:  # (NAMED: fn.named)
            continue
        verdict: Verdict = verdicts.get(suspect.ref) or Verdict(True, why)
        if not verdict.private:
            continue
        how = (f"to rewrite it, add {suspect.entry()}" if suspect.form == FIELD else
               _HOW[suspect.form].format(suspect.follows))
        value, added = suspect.value, ""
        if suspect.read_as is not None:
            read, detail = suspect.read_as
            text, shown, correct = _READ_AS[read]
            value, added = shown(value), text.format(value=value, detail=detail)
            how = f"correct it ({how})" if correct else how
        found = Problem(f"private image {value} ({verdict.why}) in a field no location "
                        f"covers{added}: left as is; {how}", severity=WARNING,
                        field=suspect.path, resource=item.ref(), file=item.file())
        if suspect.node is not None:  # (its line and column)
            found.offset = (item.editor.text, suspect.node.start)
        out.append(found)
    return out
