"""A large input held compressed: 64 KB blocks of LZ4, read back a block at a time.

The function must hold its whole input until the end (a run that fails echoes it back),
and a large ResourceList is most of the function's memory. An input of more than
``PACK_FROM`` bytes that libyaml could read in place (ASCII, no CR, no control character:
nearly every rendered manifest) is kept as ``Packed``: its blocks compressed as they are
read (about a fifth of the text for generated manifests), so that the text is never
resident whole. The compiled reader (fn._yamlwalk) walks it a window at a time; the rest
of the function reads it through what it asks of a str: its length, slices, single
characters, find/rfind/count/startswith. Anything else a str has, it has not: a use
that was not thought of fails loudly, it cannot go wrong quietly.

Without lz4 (or without the compiled reader, which alone walks a Packed) the text stays
a str.
"""

from __future__ import annotations

import os

BLOCK = 1 << 16  # characters (bytes: ASCII) a block
PACK_FROM = 1 << 20  # inputs larger than this are packed (tests set it to 0)
_KEEP = 4  # blocks kept decompressed: the one being read and those just before it


class Packed:
    """An ASCII text (no CR) as LZ4 blocks of ``BLOCK`` characters, read like a str."""

    __slots__ = ("_at", "_held", "_last", "_lines", "blocks", "length", "size")

    def __init__(self, blocks: list[bytes], length: int, size: int = BLOCK) -> None:
        self.blocks, self.length, self.size = blocks, length, size  # (size: tests vary it)
        self._held: dict[int, str] = {}
        self._lines: list[int] | None = None  # line breaks before each block
        self._at, self._last = -1, ""  # the block read last (most reads are in it)

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"<Packed: {self.length} characters in {len(self.blocks)} blocks>"

    def isascii(self) -> bool:
        return True

    def block(self, i: int) -> str:
        """Block ``i``'s characters."""
        if i == self._at:
            return self._last
        held = self._held
        s = held.get(i)
        if s is None:
            from lz4.block import decompress

            s = decompress(self.blocks[i], uncompressed_size=self.size).decode("ascii")
            if len(held) >= _KEEP:
                del held[next(iter(held))]
            held[i] = s
        self._at, self._last = i, s
        return s

    def span(self, a: int, b: int) -> str:
        """Characters ``a``..``b`` (0 <= a <= b <= len)."""
        if b <= a:
            return ""
        size = self.size
        i, j = a // size, (b - 1) // size
        if i == j:
            return self.block(i)[a - i * size:b - i * size]
        parts = [self.block(i)[a - i * size:]]
        parts += [self.block(k) for k in range(i + 1, j)]
        parts.append(self.block(j)[:b - j * size])
        return "".join(parts)

    def __getitem__(self, key: int | slice) -> str:
        size = self.size
        if key.__class__ is slice:
            a, b = key.start, key.stop  # (the short way first: within one block)
            if (a.__class__ is int and b.__class__ is int and key.step is None
                    and 0 <= a < b <= self.length and (b - 1) // size == a // size):
                i = a // size
                block = self._last if i == self._at else self.block(i)
                return block[a - i * size:b - i * size]
            a, b, step = key.indices(self.length)  # type: ignore[union-attr]
            if step != 1:
                raise ValueError("a Packed text is sliced with step 1 only")
            return self.span(a, b)
        if key < 0:  # type: ignore[operator]
            key += self.length  # type: ignore[operator]
        if not 0 <= key < self.length:  # type: ignore[operator]
            raise IndexError("Packed index out of range")
        i = key // size  # type: ignore[operator]
        return (self._last if i == self._at else self.block(i))[key - i * size]

    def _range(self, sub: str, start: int | None, end: int | None) -> tuple[int, int]:
        if not sub:
            raise ValueError("a Packed text is not searched for an empty string")
        if start.__class__ is int and end.__class__ is int and 0 <= start <= end <= self.length:
            return start, end  # type: ignore[return-value]
        a, b, _ = slice(start, end).indices(self.length)
        return a, b

    def find(self, sub: str, start: int | None = None, end: int | None = None) -> int:
        a, b = self._range(sub, start, end)
        if len(sub) != 1:  # (not what the function looks for but in a few places)
            k = self.span(a, b).find(sub)
            return -1 if k < 0 else a + k
        size = self.size
        while a < b:
            i = a // size
            base = i * size
            k = (self._last if i == self._at else self.block(i)).find(sub, a - base, b - base)
            if k >= 0:
                return base + k
            a = base + size
        return -1

    def rfind(self, sub: str, start: int | None = None, end: int | None = None) -> int:
        a, b = self._range(sub, start, end)
        if len(sub) != 1:
            k = self.span(a, b).rfind(sub)
            return -1 if k < 0 else a + k
        size = self.size
        while a < b:
            i = (b - 1) // size
            base = i * size
            k = (self._last if i == self._at else self.block(i)).rfind(
                sub, a - base if a > base else 0, b - base)
            if k >= 0:
                return base + k
            b = base
        return -1

    def count(self, sub: str, start: int | None = None, end: int | None = None) -> int:
        a, b = self._range(sub, start, end)
        if sub != "\n":
            return self.span(a, b).count(sub)
        if b <= a:
            return 0
        lines, size = self._line_starts(), self.size
        i, j = a // size, b // size
        if i == j:
            return self.block(i).count("\n", a - i * size, b - i * size)
        n = lines[j] - lines[i + 1] + self.block(i).count("\n", a - i * size)
        return n + (self.block(j).count("\n", 0, b - j * size) if b > j * size else 0)

    def _line_starts(self) -> list[int]:
        """Line breaks before each block (and after the last): counted once, for lines."""
        if self._lines is None:
            counts, n = [0], 0
            for i in range(len(self.blocks)):
                n += self.block(i).count("\n")
                counts.append(n)
            self._lines = counts
        return self._lines

    def startswith(self, prefix: str, start: int = 0) -> bool:
        return self[start:start + len(prefix)] == prefix

    def __contains__(self, sub: str) -> bool:
        return self.find(sub) >= 0

    def read(self) -> Reader:
        """The text as a stream, a block at a time (for PyYAML's loader)."""
        return Reader(self)


class Reader:
    """A Packed read from its start: what PyYAML's C loader reads a stream by."""

    def __init__(self, packed: Packed) -> None:
        self.packed, self.at = packed, 0

    def read(self, size: int = -1) -> str:
        p = self.packed
        end = p.length if size < 0 else min(p.length, self.at + size)
        data, self.at = p.span(self.at, end), end
        return data


def loadable(text: str | Packed) -> str | Reader:
    """What a YAML loader is given to read ``text``: the str itself, or a Packed's stream."""
    return text if isinstance(text, str) else text.read()


def read_on(head: str | bytes, fd: int, limit: int) -> str | bytes | Packed:
    """The rest of an input of which ``head`` (more than PACK_FROM characters, as
    fn._yamlwalk.read_text read them) was read: Packed when all of it can be, else bytes
    (decoded by the caller, as any input). At most ``limit`` + 1 characters."""
    try:
        from lz4.block import compress

        from fn._yamlwalk import packable
    except ImportError:
        compress = packable = None  # type: ignore[assignment]
    pending = bytearray(head.encode("ascii") if isinstance(head, str) else head)
    blocks: list[bytes] | None = [] if isinstance(head, str) and compress else None
    total = len(pending)
    while True:
        if blocks is not None and not _pack_whole_blocks(blocks, pending, compress, packable):
            pending[:0] = b"".join(_unpacked(blocks))
            blocks = None
        if total > limit:
            break
        got = os.read(fd, BLOCK if blocks is not None else max(BLOCK, total))
        if not got:
            break
        pending += got
        total += len(got)
    if blocks is None or not packable(bytes(pending)):  # type: ignore[misc]
        pending[:0] = b"".join(_unpacked(blocks or []))
        return bytes(pending)
    if pending:
        blocks.append(compress(bytes(pending), store_size=False))  # type: ignore[misc]
    return Packed(blocks, total)


def _pack_whole_blocks(blocks: list[bytes], pending: bytearray, compress, packable) -> bool:
    """Every whole block at the start of ``pending`` compressed onto ``blocks``; False
    (and ``pending`` as it was from the first) when one cannot be packed."""
    while len(pending) >= BLOCK:
        chunk = bytes(pending[:BLOCK])
        if not packable(chunk):
            return False
        blocks.append(compress(chunk, store_size=False))
        del pending[:BLOCK]
    return True


def pack(data: bytes, size: int = BLOCK) -> Packed:
    """``data`` (packable, fn._yamlwalk.packable) as a Packed of blocks of ``size``."""
    from lz4.block import compress

    blocks = [compress(data[i:i + size], store_size=False) for i in range(0, len(data), size)]
    return Packed(blocks, len(data), size)


def _unpacked(blocks: list[bytes]) -> list[bytes]:
    from lz4.block import decompress

    return [decompress(b, uncompressed_size=BLOCK) for b in blocks]
