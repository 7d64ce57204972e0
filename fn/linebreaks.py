"""What a line break is: one definition for the reader and the editor.

libyaml takes CR LF, LF, CR, NEL (U+0085), LS (U+2028) and PS (U+2029) for line breaks.
The editor finds lines in ``as_lf(text)``: the same text, character for character, with
every break other than LF and CR LF written as LF, so that offsets stay the same and
every search for a line needs to know only LF.
"""

from __future__ import annotations

import re

from fn import lazyre

BREAKS = "\r\n\x85\u2028\u2029"
_OTHER = lazyre.later("\r(?!\n)|[\x85\u2028\u2029]")
_FIRST = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def as_lf(text: str) -> str:
    """``text`` with CR, NEL, LS and PS as LF: the same length, the same offsets."""
    return _OTHER.sub("\n", text) if other_breaks(text) else text


def _packed(text: str) -> bool:
    """A fn.packedtext.Packed: ASCII with no CR, LF its only line break."""
    return not isinstance(text, str)


def other_breaks(text: str) -> bool:
    """Whether ``text`` has a break other than LF and CR LF (``in`` scans at C speed, and
    an ASCII text, known as such without a scan, is only looked at for CRs; the regular
    expression only runs on a text with CRs)."""
    if _packed(text):
        return False
    if not text.isascii() and ("\x85" in text or "\u2028" in text or "\u2029" in text):
        return True
    return "\r" in text and _OTHER.search(text) is not None


def newline(text: str) -> str:
    """The break new lines get: the text's own first one (LF when it has none)."""
    if _packed(text):
        return "\n"
    m = _FIRST.search(text)
    return m.group() if m else "\n"


def line_from(text: str, pos: int) -> str:
    """``text`` (as_lf) from ``pos`` to the end of its line, its LF included: what a pattern
    for one line is matched in (a packed text, fn.packedtext, has no str to match in)."""
    nl = text.find("\n", pos)
    return text[pos:len(text) if nl < 0 else nl + 1]
