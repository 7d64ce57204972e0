"""Change a YAML text through its nodes (``fn.nodes``): small splices, nothing else moves.

New content is written by ``fn.yamlwrite`` (block style as kpt and kustomize write it, or
JSON inside flow collections)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise

from fn import lazyre
from fn.linebreaks import as_lf, line_from, newline
from fn.nodes import Mapping, Node, Scalar, Sequence
from fn.yamlwrite import Data, block, flow, scalar

__all__ = ["Data", "Editor", "block", "first", "flow", "scalar"]
_ALIAS = lazyre.later(r"[ \t]*:[ \t]*(\*[^\s,\[\]{}]+)")  # ": *name", after a key

# The order of edits at one place (the third field; lower goes first): a block scalar's
# header ("|" made "|-"), what fills the place ("key:" + " value"), a line break added
# after the text's unbroken last line, inserted lines (innermost first, _RANK per level),
# then the rest in the order they were made.
_HEADER = -(1 << 63)
_FILL = -(1 << 62)
_EOF_BREAK = -(1 << 61)
_RANK = 1 << 32


class Editor:
    """Collects splices on one text and applies them at once."""

    def __init__(self, text: str) -> None:
        self.source = text          # what the output is made of
        self.text = as_lf(text)     # the same, with one kind of line break: for finding lines
        self.edits: list[tuple[int, int, int, str]] = []  # (start, end, order, new text)
        self.flow_inserts: set[int] = set()  # closing brackets something went before
        self.dropped: dict[int, set[int]] = {}  # id(block sequence) -> entries deleted
        self.emptied: dict[int, tuple[int, int, int, str]] = {}  # id -> its "[]" splice
        self.headers: list[tuple[int, int, int, str]] = []  # "|" made "|-" (_strip)
        self.eof_break = False  # a line break was added after the text's unbroken last line
        self.newline = newline(text)  # inserted lines end like the input's (CRLF stays CRLF)
        self.aliases: list = []  # aliases the function may change unawares (fn.aliases)
        self.grown: list[tuple[int, int]] = []  # (start, end): block collections given lines
        #                                        (noted when there are aliases, set first)
        self.unaliased = False  # one of them was written out
        self.shared: dict = {}  # what every PodSpec gets alike (lines, intents): one copy

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def splice(self, start: int, end: int, new: str) -> None:
        # what fills a place ("key:" + " value") goes before lines inserted there, and
        # before the line break that may come first (at the end of the text)
        self.edits.append((start, end, len(self.edits) + (_FILL if start == end else 0), new))

    def insert_lines(self, pos: int, lines: list[str], after: Node | None = None) -> None:
        """Insert whole lines at ``pos`` (a line start, or the end of a text without a final
        line break), after the collection ``after`` if given."""
        lines.append("")  # (ends with a line break: one join, no copy of all of it after)
        text = self.newline.join(lines)
        lines.pop()
        text = self.shared.setdefault(text, text)  # ("- name: <secret>" on every PodSpec)
        if after is not None and self.aliases:  # (lines at its end are in it: fn.aliases
            self.grown.append((after.start, after.end))  # asks, when there are aliases)
        if pos > 0 and self.text[pos - 1] != "\n":
            line = self.text.rfind("\n", 0, pos) + 1
            last = self.text[line:pos]
            block, parent = self._final_block(after)
            if not last.strip(" \t") and (block is None or len(last) <= self._indent(block,
                                                                                     parent)):
                pos = line  # before the last line, which holds only blanks
            elif not self.eof_break:  # a line break first, before all that goes there
                self.edits.append((pos, pos, _EOF_BREAK, self.newline))
                self.eof_break = True
                if block is not None:
                    self._strip(block)
        self.insert(pos, text, lines[0])

    def insert(self, pos: int, text: str, first: str) -> None:
        """Insert block lines whose first line is ``first``. Insertions at one place (the
        end of a collection and of the ones around it) go innermost first: deeper lines,
        and "- " entries before keys at the same indentation (a compact sequence)."""
        body = first.lstrip(" ")
        rank = (len(first) - len(body)) * 2 + body.startswith("-")
        self.edits.append((pos, pos, len(self.edits) - rank * _RANK, text))

    def _final_block(self, node: Node | None) -> tuple[Scalar | None, int]:
        """The block scalar that ends the text (without a line break) after ``node``, and
        the indentation of the collection holding it."""
        parent = 0
        while node is not None and getattr(node, "flow", True) is False:
            parent = node.indent  # type: ignore[attr-defined]
            kids = [v for _, v in node.pairs] if hasattr(node, "pairs") else node.entries
            node = kids[-1] if kids else None
        if node is None or getattr(node, "style", "") not in ("|", ">") or any(
                s <= node.start < e for s, e, _, _ in self.edits):  # (replaced by set_scalar)
            return None, parent
        return node, parent  # type: ignore[return-value]

    def _indent(self, node: Scalar, parent: int) -> int:
        """The indentation of a block scalar's content: spaces beyond it on a last,
        unbroken line are content."""
        header = self.text[node.start:self.text.find("\n", node.start)]
        digits = "".join(c for c in header[1:3] if c.isdigit())
        if digits:  # "|2": given
            return parent + int(digits)
        for line in self.text[self.text.find("\n", node.start) + 1:].split("\n"):
            if line.strip(" "):
                return len(line) - len(line.lstrip(" "))
        return 1 << 30

    def _strip(self, node: Scalar) -> None:
        """The line break now added after a block scalar that ended the text would go
        into its value (``|``, ``|+``): make it ``|-``, which reads the same there."""
        h = end = node.start + 1
        while self.text[end:end + 1] in ("+", "-", *"0123456789") and end < len(self.text):
            end += 1
        indicators = self.text[h:end]
        if "-" not in indicators:  # (first of all there: "Ijj: |" may end the text)
            self.edits.append((h, end, _HEADER, indicators.replace("+", "") + "-"))
            self.headers.append(self.edits[-1])

    def set_scalar(self, node: Scalar, value: str) -> None:
        new = scalar(value, node.style if node.style in ("'", '"') else "")
        old = self.text[node.start:node.end]
        if node.style in ("|", ">") and old.endswith("\n"):
            new += self._break_before(node.end)
        if node.start == node.end and self.text[node.start - 1:node.start] not in ("", " ", "\t",
                                                                                 "\n"):
            new = " " + new  # "key:" or "-" with no value: "key: new", not "key:new"
        if self.text[node.end:node.end + 1] == "#" and not old.endswith("\n"):
            new += " "  # "'x'#c": libyaml's comment; a plain "x#c" would not end there
        for h in [h for h in self.headers if node.start <= h[0] < node.end]:
            self.edits.remove(h)  # the whole block scalar goes: no need to change its header
        self.splice(node.start, node.end, new)

    def set_value(self, mapping: Mapping, key: str, value: Data) -> None:
        """Give ``key`` (present, usually null) a new value, written in flow style."""
        for k, v in mapping.pairs:
            if k.value == key:
                if v.start < k.end:  # "key: *alias": the value stands elsewhere
                    self._replace_alias(k.end, value)
                    return
                colon = self.text.find(":", k.end, max(v.start, k.end))
                if colon < 0:  # "{a, b}" or "? a": a key without ':'
                    pad = "" if mapping.flow else self.newline + " " * mapping.indent
                    self.splice(k.end, k.end, pad + ": " + flow(value))
                    return
                end = v.end if hasattr(v, "style") and v.end > colon else colon + 1  # a scalar
                new = " " + flow(value)
                if "&" in self.text[colon + 1:v.start] and end > colon + 1:
                    colon = v.start - 1  # "key: &anchor ~": the anchor stays, with the value
                    new = new[1:] if v.end > v.start else new  # ("key: &anchor": a space)
                if self.text[end - 1] == "\n":  # a block scalar: keep its last line break
                    new += self._break_before(end)
                elif self.text[end:end + 1] == "#":  # "'x'#c": libyaml's comment, not ours
                    new += " "
                self.splice(colon + 1, end, new)
                return
        raise KeyError(key)

    def _break_before(self, end: int) -> str:
        """The line break that ends at ``end`` (a block scalar's last), as written."""
        return "\r\n" if self.source[end - 2:end] == "\r\n" else self.source[end - 1]

    def _replace_alias(self, key_end: int, value: Data) -> None:
        self.replace_alias(key_end, flow(value))

    def replace_alias(self, key_end: int, text: str) -> None:
        """Put ``text`` where the alias after ``key_end`` is (the anchored value stays)."""
        m = _ALIAS.match(line_from(self.text, key_end))
        if m is None:
            raise ValueError("an alias the editor cannot find")
        self.splice(key_end + m.start(1), key_end + m.end(1), text)

    def add_key(self, mapping: Mapping, key: str, value: Data) -> None:
        if mapping.flow and self.text[mapping.end - 1:mapping.end] != "}":
            self.splice(mapping.start, mapping.start, "{")  # "[a: 1]": a pair in a flow
            self.splice(mapping.end, mapping.end, f", {flow(key)}: {flow(value)}}}")  # list
        elif mapping.flow:
            self._flow_insert(mapping.end - 1, f"{flow(key)}: {flow(value)}")
        else:  # (after the comments that end its last value, as an entry appended there)
            self.insert_lines(self.past_foot_comments(mapping), block({key: value},
                                                                      mapping.indent), mapping)

    def add_list(self, mapping: Mapping, key: str, entries: Iterable[Data]) -> None:
        """``add_key(mapping, key, list(entries))``, each entry written as it comes (a long
        list of results is never all data and all lines at once) when in block style."""
        if mapping.flow:
            self.add_key(mapping, key, list(entries))
            return
        lines = [f"{' ' * mapping.indent}{scalar(key)}:"]
        for entry in entries:  # (an entry's lines joined at once: not a str a line for all)
            lines.append(self.newline.join(block([entry], mapping.indent)))
        if len(lines) == 1:
            lines[0] += " []"
        self.insert_lines(self.past_foot_comments(mapping), lines, mapping)

    def append(self, seq: Sequence, value: Data) -> None:
        if seq.flow:
            self._flow_insert(seq.end - 1, flow(value))
        else:
            emptied = self.emptied.pop(id(seq), None)
            if emptied is not None:
                self.edits.remove(emptied)  # it gets an entry again: no "[]"
            self.insert_lines(self.past_foot_comments(seq), block([value], seq.indent), seq)

    def past_foot_comments(self, seq: Sequence | Mapping) -> int:
        """After the comments that end the last entry (indented more than its "-", or than
        a mapping's keys, such as kpt's "  # [END my-app]"): a new entry goes after them,
        not between; so does a new key, after any entry appended to a list it ends with."""
        text, pos = self.text, seq.end
        if (isinstance(seq, Sequence) and not seq.entries) or (pos > 0 and text[pos - 1] != "\n"):
            return pos
        end = pos
        while end < len(text):
            nl = text.find("\n", end)
            line = text[end:len(text) if nl < 0 else nl]
            body = line.lstrip(" ")
            if body.strip(" \t\r"):
                if not body.startswith("#") or len(line) - len(body) <= seq.indent:
                    break
                pos = len(text) if nl < 0 else nl + 1
            if nl < 0:
                break
            end = nl + 1
        return pos

    def delete_entry(self, seq: Sequence, index: int) -> None:
        """Drop one entry of a sequence, with its "- " (block) or its comma (flow)."""
        entry = seq.entries[index]
        text = self.text
        if seq.flow:
            if index + 1 < len(seq.entries):
                self.splice(entry.start, seq.entries[index + 1].start, "")
            elif index > 0:
                self.splice(seq.entries[index - 1].end, entry.end, "")
            else:  # the only entry, and a trailing comma if there is one
                end = entry.end
                if text[end:seq.end - 1].strip(" \t\n") == ",":
                    end = seq.end - 1
                self.splice(entry.start, end, "")
            return
        start = text.rfind("\n", 0, entry.start) + 1
        while text[start + seq.indent:start + seq.indent + 1] != "-":  # "- # comment" above
            start = text.rfind("\n", 0, start - 1) + 1
        end = entry.end
        if end > 0 and text[end - 1] != "\n":  # (a block collection or scalar ends at a line start)
            end = text.find("\n", end) + 1 or len(text)
        while end < seq.end:  # blank lines after it too, and comments indented more than
            nl = text.find("\n", end, seq.end)  # its "-": they would go into a block scalar
            line = text[end:nl].lstrip(" ")       # that ends the entry before
            if nl < 0 or (line.strip(" \t") and not (
                    line[0] == "#" and nl - end - len(line) > seq.indent)):
                break
            end = nl + 1
        dash = start + seq.indent
        if text[start:dash].strip(" "):  # "- - a": the outer "- " stays, the rest moves down
            self.splice(dash, end, self.newline)
        else:
            self.splice(start, end, "")
        dropped = self.dropped.setdefault(id(seq), set())
        dropped.add(index)
        if len(dropped) == len(seq.entries):  # all gone: an empty list, not null
            pos = seq.end
            line = " " * (seq.indent + 1) + "[]" + (self.newline if text[pos - 1:pos] == "\n"
                                                    else "")
            self.insert(pos, line, line)
            self.emptied[id(seq)] = self.edits[-1]
            if self.aliases:
                self.grown.append((seq.start, seq.end))

    def _flow_insert(self, close: int, item: str) -> None:
        """Insert before a flow collection's closing bracket, after a comma if needed."""
        end = close
        while end > 0 and self.text[end - 1] in " \t\r\n":
            end -= 1
        if self.text[end - 1:end] not in (",", "[", "{") or close in self.flow_inserts:
            item = ", " + item
        self.flow_inserts.add(close)
        self.splice(close, close, item)

    def render(self) -> str:
        return "".join(self.chunks())

    def ordered(self) -> list[tuple[int, int, int, str]]:
        """The splices in text order; ValueError when two overlap (no output can be made)."""
        edits = sorted(self.edits)
        if any(b[0] < a[1] for a, b in pairwise(edits)):
            raise ValueError("overlapping edits")
        return edits

    def chunks(self) -> Iterator[str]:
        """The changed text, piece by piece (so a large output is never one string)."""
        pos = 0
        for start, end, _, new in self.ordered():
            yield self.source[pos:start]
            yield new
            pos = end
        yield self.source[pos:]


def first(node: Node | None, *path: str | int) -> Node | None:
    """Follow mapping keys and list indices; None where the path ends early or meets
    something else."""
    for key in path:
        if isinstance(key, int):
            node = (node.entries[key] if isinstance(node, Sequence)
                    and 0 <= key < len(node.entries) else None)
        elif isinstance(node, Mapping):
            node = node.get(key)
        else:
            return None
    return node
