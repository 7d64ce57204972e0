"""Read YAML with libyaml's event parser, building nodes only where the function looks.

libyaml (PyYAML's ``CSafeLoader``) checks every byte of the input, so any YAML error is
reported. A *policy* says which parts become nodes; the rest is only walked past, which
costs no memory and little time. Every node knows its character offsets, so changes are
splices into the original text (``fn.textedit``) and all else stays as written.

Policies: ``ALL`` keeps a whole subtree; a dict keeps the listed keys (``"[]"`` is the
policy of a sequence's entries, and ``"then"`` a function given each entry as soon as it
is read, whose return value is kept instead); a callable ``(mapping_so_far, key) ->
policy`` decides as keys arrive (used for resources, whose ``kind`` says where their
PodSpecs are).

The reader is ``fn._yamlwalk`` (C, built at install where a compiler and libyaml's
headers are found) or else ``fn.yamlwalk`` (Python): the same walk, the same trees.
"""

from __future__ import annotations

from fn import nodes as _nodes
from fn.linebreaks import as_lf
from fn.nodes import MAYBE_NOT_STR, NULL, STR, Node, Scalar, Sequence, Skipped
from fn.nodes import Mapping as _Mapping
from fn.yamlrules import (
    ALL,
    MAX_DEPTH,
    NeedsAll,
    Policy,
    Refused,
    TooDeep,
    make_error,
    make_refused,
    past_properties,
    tag_problem,
)

__all__ = ["ALL", "MAX_DEPTH", "Policy", "Refused", "TooDeep", "documents", "read",
           "strip_bom", "where"]


def _compiled():  # -> fn._yamlwalk, configured, or None
    try:
        from yaml import _yaml

        from fn import _yamlwalk

        _yamlwalk.configure(libyaml=_yaml.__file__, maybe_not_str=MAYBE_NOT_STR,
                            Scalar=Scalar, Mapping=_Mapping, Sequence=Sequence,
                            Skipped=Skipped, ALL=ALL, STR=STR, NULL=NULL, NeedsAll=NeedsAll,
                            TooDeep=TooDeep, tag_problem=tag_problem,
                            make_refused=make_refused, past_properties=past_properties,
                            make_error=make_error, resolved=_nodes.RESOLVED)
        _nodes.Mapping.get = _yamlwalk.mapping_get(_nodes.Mapping.get_in_python)  # type: ignore
    except ImportError:  # not built, or PyYAML without its C extension
        return None
    return _yamlwalk


def _python():  # -> the Python walk
    from fn import yamlwalk

    return yamlwalk.walk


_C = _compiled()
COMPILED = None if _C is None else _C.walk
_walk = COMPILED or _python()
plain = _nodes.plain if _C is None else _C.plain  # a read tree as data (fn.nodes.plain)


def strip_bom(text: str) -> str:
    """Byte order marks before the text: libyaml reads past them without counting them in
    its offsets, so they must go before reading (they are no part of the YAML). A packed
    text (fn.packedtext) is ASCII: it has none."""
    return text.lstrip("\ufeff") if isinstance(text, str) else text


def documents(text: str, policy: Policy = ALL, wide: Policy = ALL,
              refused: list[Refused] | None = None, aliases: list | None = None
              ) -> list[tuple[int, int, Node | None]]:
    """Every document of a stream: (start, end, root). Raises yaml.YAMLError on bad YAML.
    When an alias needs a part the policy skipped, the text is read again with ``wide``.
    What the function refuses to read (Python tags, bad aliases, YAML bombs) is raised,
    or, given a ``refused`` list, collected there while the reading goes on. Undefined
    and recursive aliases make the text unreadable: always raised, as yaml.YAMLError.
    Given an ``aliases`` list: (node, start, end, skipped) of each alias that repeats a
    node that was kept, ``skipped`` when it stands in a part the policy skipped."""
    for p in (policy, wide):
        found: list[Refused] = []
        noted: list | None = None if aliases is None else []
        try:
            docs = _walk(text, as_lf(text), p, found, noted)
        except NeedsAll:
            continue
        if found and refused is None:
            raise found[0]
        if refused is not None:
            refused.extend(found)
        if aliases is not None and noted:
            aliases.extend(noted)
        return docs
    raise AssertionError("unreachable: the wide policy keeps every anchor")


def read(text: str, policy: Policy = ALL, wide: Policy = ALL,
         refused: list[Refused] | None = None, aliases: list | None = None) -> Node | None:
    """The single document in ``text`` (None when it is an empty document, ``---``);
    ValueError when the text holds no document or several."""
    docs = documents(text, policy, wide, refused, aliases)
    if len(docs) != 1:
        raise ValueError(f"expected one YAML document, found {len(docs)}")
    return docs[0][2]


def where(exc: Exception) -> str:
    """" (line L, column C: problem)" of a YAML error, or "" when it has no mark."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    return "" if mark is None else (
        f" (line {mark.line + 1}, column {mark.column + 1}{': ' + problem if problem else ''})")
