"""What fn.yamlread's two readers (the Python one, ``fn.yamlwalk``, and the compiled one,
``fn._yamlwalk``) share: the policy constants, the exceptions, and the rules for the rare
cases both hand to Python (explicit tags, the text before an anchored or tagged scalar,
refusals, and libyaml's errors as PyYAML's C parser raises them)."""

from __future__ import annotations

from fn import lazyre
from fn.linebreaks import BREAKS, line_from
from fn.yamlc import ScalarNode, YAMLError, safe_constructor, yaml

ALL = "all"
Policy = object  # ALL | dict[str, Policy] | Callable[[Mapping, str], Policy] | None (skip)
MAX_DEPTH = 200


class NeedsAll(Exception):
    """An alias refers to something the policy skipped: read again, keeping everything."""


class TooDeep(ValueError):
    pass


GIVEN_TWICE = "a mapping key given twice"  # (fn/_yamlwalk.c says it in the same words)


class Refused(YAMLError):
    """Valid YAML the function will not read (its message never quotes the input)."""

    def __init__(self, problem: str, mark: object) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


_BREAKS = BREAKS  # what libyaml takes for line breaks
_BLANKS = " \t" + _BREAKS
_ANCHOR = lazyre.later("&[0-9A-Za-z_-]*")
STREAM_NAME = "<file>"  # what PyYAML's C parser names a stream read from a file object
READER_ERROR, SCANNER_ERROR = 2, 3  # libyaml's yaml_error_type_t
PYTHON_TAG = "tag:yaml.org,2002:python/"
YAML_TAG = "tag:yaml.org,2002:"
_MAPPING_TAGS = ("map", "set")  # the standard tags a mapping or sequence can carry
_SEQUENCE_TAGS = ("seq", "omap", "pairs")
MAX_EXPANSION = 1_000_000  # nodes that aliases may add to a document: more is a YAML bomb


SCALAR, MAPPING, SEQUENCE = range(3)  # kinds of node, for tag_problem


def tag_problem(kind: int, tag: str, value: str | None) -> str | None:
    """Why a node with an explicit tag is refused, or None."""
    if tag.startswith(PYTHON_TAG):
        return "a tag that would construct a Python object"
    if kind == SCALAR:
        return "a value that does not match its tag" if _mismatch(tag, value) else None
    if tag.startswith(YAML_TAG) and tag[len(YAML_TAG):] not in (
            _MAPPING_TAGS if kind == MAPPING else _SEQUENCE_TAGS):
        return "a tag that does not fit a collection"
    return None


def _mismatch(tag: str, value: str) -> bool:
    """A scalar with an explicit standard tag its value does not fit ("!!int abc"): every
    YAML reader refuses it. (Other explicit tags are the consumers' business.)"""
    if tag in (YAML_TAG + "str", YAML_TAG + "merge") or not tag.startswith(YAML_TAG):
        return False
    constructor = safe_constructor()
    try:  # the whole construction: some constructors finish only here ("!!set")
        constructor.construct_document(ScalarNode(tag, value))
    except Exception:
        return True
    finally:  # a failed construction leaves its node (the value) in the shared constructor
        constructor.constructed_objects = {}
        constructor.recursive_objects = {}
    return False


def past_properties(text: str, pos: int, end: int) -> int:
    """Where a scalar's own text starts, after its "&anchor" and "!tag" and any comment
    after them (in the span libyaml gives, so that a change to the value keeps them)."""
    while pos < end and text[pos] in "&!#":
        if text[pos] == "&":  # libyaml's anchor names: what may follow is the value
            pos = min(pos + _ANCHOR.match(line_from(text, pos)).end(), end)  # "&a:b": "&a"
        else:  # a tag, or a comment to the end of its line
            stops = _BREAKS if text[pos] == "#" else _BLANKS
            while pos < end and text[pos] not in stops:
                pos += 1
        while pos < end and text[pos] in _BLANKS:
            pos += 1
    return pos



def make_refused(problem: str, index: int, line: int, column: int) -> Refused:
    """A refusal at a place, with the mark PyYAML's C parser gives an event."""
    return Refused(problem, yaml.error.Mark(STREAM_NAME, index, line, column, None, None))


def make_error(kind: int, problem: str | None, index: int, line: int, column: int,
               context: str | None, c_index: int, c_line: int, c_column: int,
               offset: int, value: int) -> YAMLError:
    """libyaml's error (its ``yaml_error_type_t``, problem and context) as the exception
    PyYAML's C parser raises for it."""
    if kind == READER_ERROR:
        return yaml.reader.ReaderError(STREAM_NAME, offset, value, "?", problem)
    context_mark = problem_mark = None
    if context is not None:
        context_mark = yaml.error.Mark(STREAM_NAME, c_index, c_line, c_column, None, None)
    if problem is not None:
        problem_mark = yaml.error.Mark(STREAM_NAME, index, line, column, None, None)
    cls = yaml.scanner.ScannerError if kind == SCANNER_ERROR else yaml.parser.ParserError
    return cls(context, context_mark, problem, problem_mark)
