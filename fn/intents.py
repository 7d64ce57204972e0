"""What an edit meant, as data: each change the function splices into an item is also
recorded as an intent on plain data, so that the output can be read back and compared
with what was meant (``fn.selfcheck``).

Intents: ``("set", path, value)`` — the value at ``path`` (mappings made as needed);
``("secret", path, name)`` — ``{name: <name>}`` in the list at ``path`` unless there.
A path is a tuple of keys and list indices, or the text of one (``fn.fieldpath``:
``spec.containers[0].image``, the field's own path string, so that recording an intent
allocates nothing new for the many image edits of a large input).
"""

from __future__ import annotations

from fn.fieldpath import keys

Path = tuple[str | int, ...] | str


def intend(item: object, op: str, path: Path, value: object) -> None:
    intents = item.intents  # type: ignore[attr-defined]
    if intents is None:
        intents = item.intents = []  # type: ignore[attr-defined]
    intent = (op, path, value)
    if op == "secret":  # the same on every PodSpec: one tuple for all
        intent = item.editor.shared.setdefault(intent, intent)  # type: ignore[attr-defined]
    intents.append(intent)


def apply(data: object, intents: list[tuple[str, Path, object]]) -> object:
    """``data`` (a resource as plain data) with the intents carried out, in place."""
    for op, path, value in intents:
        *parents, last = keys(path) if isinstance(path, str) else path
        node = data
        for key in parents:
            if isinstance(node, dict) and node.get(key) is None:
                node[key] = {}
            node = node[key]  # type: ignore[index]
        if op == "set":
            node[last] = value  # type: ignore[index]
            continue
        current = _get(node, last)
        if not current:
            node[last] = [{"name": value}]  # type: ignore[index]
        elif not any(isinstance(e, dict) and e.get("name") == value for e in current):
            node[last] = [*current, {"name": value}]  # type: ignore[index]  # (a list of
    return data  # its own: one merged in, or that an alias shares, stays as it was)


_MERGE = ("tag:yaml.org,2002:merge", "<<")  # a "<<" key, as fn.nodes.plain gives it


def _get(node: object, key: object) -> object:
    """The value at ``key``, its own or one a ``<<`` merge key brings (in read data,
    fn.nodes.plain: a loader resolves merge keys itself)."""
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    merged = node.get(_MERGE)
    for source in merged if isinstance(merged, list) else [merged]:
        found = _get(source, key)
        if found is not None:
            return found
    return None
