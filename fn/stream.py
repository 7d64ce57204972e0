"""Plain manifest streams (``helm template``, ``kustomize build``, files): the documents
of a YAML stream, each read like a ResourceList item and changed in place."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as Env

from fn import pipeline, resourcelist, selfcheck, yamlread
from fn.config import Settings
from fn.crdrows import BUILTIN
from fn.fieldspecs import Table
from fn.krm import Output, check_output
from fn.linebreaks import BREAKS, newline
from fn.locate import policy_for
from fn.nodes import Mapping, is_null
from fn.problems import Problem
from fn.textedit import Editor, block
from fn.yamlc import yaml


class Stream:
    """A stream's items. ``kpt_paths`` is False: new items get no kpt file annotations."""

    kpt_paths = False
    function_config = None

    def __init__(self, text: str, source: str = "stdin", path: str | None = None,
                 table: Table = BUILTIN) -> None:
        text = self.text = yamlread.strip_bom(text)
        self.source, self.path, self.table = source, path, table
        self.editor = Editor(text)
        self.items: list[resourcelist.Item] = []
        self.problems: list[Problem] = []
        self.spans: dict[int, tuple[int, int]] = {}  # id(item) -> document span
        noted: list = []
        try:
            docs = yamlread.documents(text, policy_for(table), aliases=noted)
        except yaml.YAMLError as exc:
            raise Problem(f"{source} is not valid YAML{yamlread.where(exc)}") from None
        except yamlread.TooDeep:
            raise Problem(f"{source} is nested too deeply") from None
        for n, (start, end, root) in enumerate(docs):
            if root is None or is_null(root):  # "---" alone, or only comments: skipped
                continue
            where = f"{source}: document {n + 1}"
            if not isinstance(root, Mapping):
                raise Problem(f"{where} is not a mapping")
            item = resourcelist.identify(root, self.editor, len(self.items), where, table)
            if path is not None:
                item.origin = (path, n)
            self.items.append(item)
            self.spans[id(item)] = (start, end)
        resourcelist.check_duplicates(self.items)
        if noted:
            from fn.aliases import places

            self.editor.aliases = places(noted)

    def reread(self, table: Table) -> Stream:
        """The same text read with the user's rows as well (``imageFields``)."""
        again = Stream(self.text, self.source, self.path, table)
        again.function_config = self.function_config
        return again

    def drop(self, items: list[resourcelist.Item]) -> None:
        for item in items:
            start, end = self.spans[id(item)]
            self.editor.splice(start, end, "")

    def render(self, new_items: list[dict]) -> str:
        out = self.editor.render()
        nl = newline(self.text)  # documents added break their lines as the stream does
        for data in new_items:
            if out and out[-1] not in BREAKS:
                out += nl
            out += "---" + nl + nl.join(block(data, 0)) + nl
        return out


def run(text: str, s: Settings, environ: Env[str, str] | None = None) -> Output:
    """Mutate a stream; the output is the stream with its changes and new Secrets (on
    failure: nothing, the results say why)."""
    return process(lambda: Stream(text), s, environ)


def process(read: Callable[[], Stream], s: Settings | None = None,
            environ: Env[str, str] | None = None,
            read_file: Callable[[str], str] | None = None) -> Output:
    """``read`` gives the stream (with its ``function_config`` when ``s`` is None)."""
    r = pipeline.run(read, pipeline.MUTATE, s, environ, read_file)
    if r.failed:
        return Output("", r)
    source: Stream = r.source  # type: ignore[assignment]
    source.drop(r.drop)
    text: list[str] = []

    def check() -> None:
        text.append(source.render(r.new_items))
        selfcheck.stream(source, r, text[0])

    try:
        check_output(source.editor, source.items, check)
    except Problem as exc:
        r.results = [exc.result()]
        r.code = 1
        return Output("", r)
    return Output(text[0], r)
