"""The output by input offsets, without making it whole: the editor's splices as a map
from input offsets to output offsets (``Shifts``), and any slice of the output made from
the input and the splices (``Slices``), for fn.selfcheck's item-by-item reading."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right


class Shifts:
    """Output offsets for input offsets, from the editor's splices."""

    def __init__(self, edits: list[tuple[int, int, int, str]]) -> None:
        """``edits``: in text order (fn.textedit.Editor.ordered)."""
        self.edits = edits
        self.starts = [e[0] for e in edits]
        self.sums = array("q", [0])  # (C integers: an int object each would be 4x that)
        total = 0
        for start, end, _, new in edits:
            total += len(new) - (end - start)
            self.sums.append(total)
        self.new_ends: array | None = None  # where each splice's text ends (made on use)

    def before(self, pos: int) -> int:
        """Where ``pos`` is in the output, before anything inserted at ``pos``."""
        return pos + self.sums[bisect_left(self.starts, pos)]

    def after(self, pos: int) -> int:
        """Where ``pos`` is, after insertions at ``pos`` (not a replacement starting there)."""
        i = bisect_left(self.starts, pos)
        while i < len(self.edits) and self.edits[i][0] == pos == self.edits[i][1]:
            i += 1
        return pos + self.sums[i]

    def text(self, source: str, lo: int, hi: int | None = None) -> str:
        """The output from ``lo`` to ``hi`` (output offsets; None: its end), made of
        ``source`` and the splices (as fn.textedit.Editor.chunks makes the whole)."""
        if self.new_ends is None:
            self.new_ends = array("q", (s + d + len(new) for (s, _, _, new), d in zip(
                self.edits, self.sums, strict=False)))
        hi = len(source) + self.sums[-1] if hi is None else hi
        i = bisect_right(self.new_ends, lo)  # the first splice whose text ends after lo
        src = self.edits[i - 1][1] if i else 0  # where the input goes on before it
        parts = []
        while True:
            start, end, _, new = self.edits[i] if i < len(self.edits) else (
                len(source), len(source), 0, "")
            shift = self.sums[i]
            a, b = max(src, lo - shift), min(start, hi - shift)  # input up to the splice
            if a < b:
                parts.append(source[a:b])
            a, b = max(0, lo - start - shift), min(len(new), hi - start - shift)
            if a < b:
                parts.append(new[a:b])
            if i >= len(self.edits) or start + shift + len(new) >= hi:
                return "".join(parts)
            src = end
            i += 1


class Slices:
    """The output, read in slices (output offsets) made from the input and the splices:
    the whole output is never one string for the fast path."""

    def __init__(self, source: str, shifts: Shifts) -> None:
        self.source = source
        self.shifts = shifts

    def __getitem__(self, part: slice) -> str:
        return self.shifts.text(self.source, part.start or 0, part.stop)
