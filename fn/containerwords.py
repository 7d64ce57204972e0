"""The words a container may name images with (fn.uncovered's NAMED suspects): its
``args`` and ``command`` entries and its ``env`` values, with the name of each env
variable (``WORKER_IMAGE``: an image key, whose whole value is one image)."""

from __future__ import annotations

from fn.nodes import Mapping, Node, Scalar, Sequence, string

NAMING_LISTS = ("args", "command", "env")  # (env: its values)
_NAMING = frozenset(NAMING_LISTS)


def values(container: Mapping) -> list[tuple[str, int, Scalar, bool, str | None]]:
    """(key, index, value, whether it stands elsewhere, the env variable's name) of each
    args/command entry and env value that is a scalar with a "/". An alias's node is its
    anchor's, which comes before it: a value that starts before its key ends, or an entry
    before the one it follows, stands elsewhere."""
    out: list[tuple[str, int, Scalar, bool, str | None]] = []
    own = _naming_lists(container)
    for key in NAMING_LISTS:  # (in this order)
        k, seq = own.get(key, (None, None))
        if not isinstance(seq, Sequence):
            continue
        moved = k is None or seq.start < k.end
        at = seq.start
        for i, entry in enumerate(seq.entries):
            elsewhere = moved or entry.start < at
            at = max(at, entry.end)
            vk, value = (None, entry) if key != "env" else _own_value(entry)
            if isinstance(value, Scalar) and "/" in value.value:  # (else it names no image)
                label = string(entry.get("name")) if key == "env" and isinstance(
                    entry, Mapping) else None
                out.append((key, i, value, elsewhere or (key == "env" and (
                    vk is None or value.start < vk.end)), label))
    return out


def _naming_lists(container: Mapping) -> dict[str, tuple[Scalar | None, Node | None]]:
    """(key, value) of the container's args, command and env (``Mapping.pair`` when a
    merge key is there)."""
    own: dict[str, tuple[Scalar | None, Node | None]] = {}
    for k, v in container.pairs:  # (the last of a duplicate wins)
        if k.value in _NAMING:
            own[k.value] = (k, v)
        elif k.value == "<<":
            return {key: container.pair(key) for key in NAMING_LISTS}
    return own


def _own_value(entry: Node) -> tuple[Scalar | None, Node | None]:
    """An env entry's (key, value) of ``value`` (``Mapping.pair`` when a merge key is there:
    the read policy keeps only these two keys)."""
    found: tuple[Scalar | None, Node | None] = (None, None)
    for k, v in entry.pairs if isinstance(entry, Mapping) else ():
        if k.value == "<<":
            return entry.pair("value")
        if k.value == "value":
            found = (k, v)
    return found
