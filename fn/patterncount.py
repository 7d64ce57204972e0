"""Every pattern accounts for itself: how many images each ``privateImages`` /
``publicImages`` pattern matched. A pattern that matched none (a typo such as
``quay.io/acmee/``) is a warning, or with ``strict: "true"`` an error; the counts go into
the summary.

Images already on the proxy count by their original name (``<proxy>/proxy/<slug>/<image>``
counts as ``<image>``), so a re-run on the function's own output counts the same.
"""

from __future__ import annotations

from fn import imageref, retarget
from fn.config import Settings
from fn.problems import Problem
from fn.results import ERROR, WARNING
from fn.uncovered import NAMED


def names(p, suspects: list) -> list[imageref.ImageRef]:
    """The distinct images of the plan (and of uncovered fields), by original name."""
    out: dict = {}
    values = [(u.value, False) for u in p.uses] + [  # (a suspect as read: fn.suspects)
        (s.value if s.ref is None else s.ref.written, s.form == NAMED) for _, s in suspects]
    for value, word in dict.fromkeys(values):
        ref = retarget.original(value, p.target)
        if ref is not None and (not word or ref.tag or ref.digest):  # (word: fn.named)
            out[ref] = None
    return list(out)


def hits(refs: list[imageref.ImageRef], s: Settings) -> list[tuple[str, object, list]]:
    """(field, pattern, the images it matched) for every pattern: each pattern tried once
    on each image (counts and overrides are read off these)."""
    return [(field, pattern, [r for r in refs if pattern.matches(r)])
            for field, patterns in (("privateImages", s.private), ("publicImages", s.public))
            for pattern in patterns]


def count(found: list[tuple[str, object, list]]) -> list[tuple[str, str, int]]:
    """(field, pattern as written, images it matched) for every pattern."""
    return [(field, pattern.text, len(mine)) for field, pattern, mine in found]


def problems(counts: list[tuple[str, str, int]], strict: bool) -> list[Problem]:
    severity = ERROR if strict else WARNING
    return [Problem(f"{field} pattern {text!r} matched no image: is it misspelt?",
                    severity=severity, field=field) for field, text, n in counts if n == 0]


def shadowed(found: list[tuple[str, object, list]], strict: bool) -> list[Problem]:
    """A ``privateImages`` pattern each of whose images a ``publicImages`` pattern matches
    too decides nothing (public wins): a warning naming them (an error with strict)."""
    public = [(p.text, set(mine)) for field, p, mine in found if field == "publicImages"]
    taken = set().union(*(mine for _, mine in public))
    return [Problem(f"privateImages pattern {p.text!r} decides nothing: every image it "
                    "matches is matched by publicImages "
                    f"{', '.join(repr(t) for t, them in public if them.intersection(mine))} "
                    "too, and publicImages wins", severity=ERROR if strict else WARNING,
                    field="privateImages")
            for field, p, mine in found
            if field == "privateImages" and mine and taken.issuperset(mine)]


def summary(counts: list[tuple[str, str, int]]) -> str:
    """``; patterns: privateImages 'quay.io/acme/' 3, ...`` (empty without patterns)."""
    if not counts:
        return ""
    return "; patterns: " + ", ".join(f"{field} {text!r} {n}" for field, text, n in counts)


def account(p, s: Settings) -> None:
    """Count, warn (or, strict, fail) and leave the counts for the summary (``p.note``)."""
    matched = hits(names(p, p.suspects), s)
    counts = count(matched)
    found = problems(counts, s.strict) + shadowed(matched, s.strict)
    if found and s.strict:
        from fn.problems import Problems

        raise Problems(found)
    p.results += [f.result() for f in found]
    p.note += summary(counts)
