"""A large input held compressed: 64 KB blocks of LZ4, read back a block at a time.

The function must hold its whole input until the end (a run that fails echoes it back),
and a large ResourceList is most of the function's memory. An input of more than
``PACK_FROM`` bytes that libyaml could read in place (ASCII, no CR, no control character:
nearly every rendered manifest) is kept as a Packed (fn._packed, in C): its blocks
compressed as they are read (about a fifth of the text for generated manifests), so that
the text is never resident whole. The compiled reader (fn._yamlwalk) walks it a window at
a time; the rest of the function reads it through what it asks of a str: its length,
slices, single characters, find/rfind/count/startswith, ``in``. Anything else a str has,
it has not: a use that was not thought of fails loudly, it cannot go wrong quietly.

Without lz4 or the compiled parts (fn._packed, and fn._yamlwalk, which alone walks a
Packed) the text stays a str.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fn._packed import Packed

BLOCK = 1 << 16  # characters (bytes: ASCII) a block
PACK_FROM = 1 << 20  # inputs larger than this are packed (tests set it to 0)


def packed_type() -> type[Packed]:
    """fn._packed.Packed, its LZ4 the lz4 package's (ImportError without either)."""
    from lz4 import block  # noqa: F401 (loads the extension LZ4 is taken from)

    from fn import _packed

    _packed.use_lz4(sys.modules["lz4.block._block"].__file__)
    return _packed.Packed


class Reader:
    """A Packed read from its start: what PyYAML's C loader reads a stream by."""

    def __init__(self, packed: Packed) -> None:
        self.packed, self.at = packed, 0

    def read(self, size: int = -1) -> str:
        p = self.packed
        end = p.length if size < 0 else min(p.length, self.at + size)
        data, self.at = p[self.at:end], end
        return data


def loadable(text: str | Packed) -> str | Reader:
    """What a YAML loader is given to read ``text``: the str itself, or a Packed's stream."""
    return text if isinstance(text, str) else Reader(text)


def read_on(head: str | bytes, fd: int, limit: int) -> str | bytes | Packed:
    """The rest of an input of which ``head`` (more than PACK_FROM characters, as
    fn._yamlwalk.read_text read them) was read: Packed when all of it can be, else bytes
    (decoded by the caller, as any input). At most ``limit`` + 1 characters."""
    try:
        from lz4.block import compress

        from fn._yamlwalk import packable

        made = packed_type()
    except ImportError:
        compress = packable = made = None  # type: ignore[assignment]
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
    if blocks is None or not packable(pending):  # type: ignore[misc]
        pending[:0] = b"".join(_unpacked(blocks or []))
        return bytes(pending)
    if pending:
        blocks.append(compress(pending, store_size=False))  # type: ignore[misc]
    return made(blocks, total, BLOCK)  # type: ignore[misc]


def _pack_whole_blocks(blocks: list[bytes], pending: bytearray, compress, packable) -> bool:
    """Every whole block at the start of ``pending`` compressed onto ``blocks``; False
    (and ``pending`` as it was from the first) when one cannot be packed."""
    while len(pending) >= BLOCK:
        with memoryview(pending) as view:  # (read in place: no copy of the block)
            if not packable(view[:BLOCK]):
                return False
            blocks.append(compress(view[:BLOCK], store_size=False))
        del pending[:BLOCK]
    return True


def pack(data: bytes, size: int = BLOCK) -> Packed:
    """``data`` as a Packed of blocks of ``size`` (ValueError unless it is packable:
    fn._yamlwalk.packable, which the compiled reader, reading a Packed, relies on)."""
    from lz4.block import compress

    from fn._yamlwalk import packable

    if not packable(data):
        raise ValueError("not packable: ASCII with no CR and no control character only")
    blocks = [compress(data[i:i + size], store_size=False) for i in range(0, len(data), size)]
    return packed_type()(blocks, len(data), size)


def _unpacked(blocks: list[bytes]) -> list[bytes]:
    from lz4.block import decompress

    return [decompress(b, uncompressed_size=BLOCK) for b in blocks]
