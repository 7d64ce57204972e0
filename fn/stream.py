"""Plain manifest streams (``helm template``, ``kustomize build``, files): the documents
of a YAML stream, each read like a ResourceList item and changed in place."""

from __future__ import annotations

import yaml

from fn import resourcelist, transform, yamlread
from fn.config import Settings
from fn.errors import FnError
from fn.nodes import Mapping
from fn.pipeline import Run
from fn.podspecs import resource_policy
from fn.results import ERROR, Result
from fn.textedit import Editor, block


class Stream:
    def __init__(self, text: str, source: str = "stdin", path: str | None = None) -> None:
        text = self.text = yamlread.strip_bom(text)
        self.editor = Editor(text)
        self.items: list[resourcelist.Item] = []
        self.spans: dict[int, tuple[int, int]] = {}  # id(item) -> document span
        try:
            docs = yamlread.documents(text, resource_policy)
        except yaml.YAMLError as exc:
            raise FnError(f"{source} is not valid YAML{resourcelist._where(exc)}") from None
        except yamlread.TooDeep:
            raise FnError(f"{source} is nested too deeply") from None
        for n, (start, end, root) in enumerate(docs):
            if root is None:
                continue
            where = f"{source}: document {n + 1}"
            if not isinstance(root, Mapping):
                raise FnError(f"{where} is not a mapping")
            item = resourcelist.identify(root, self.editor, len(self.items), where)
            if path is not None:
                item.origin = {"path": path, "index": n}
            self.items.append(item)
            self.spans[id(item)] = (start, end)
        resourcelist.check_duplicates(self.items)

    def render(self, new_items: list[dict], drop: list[resourcelist.Item]) -> str:
        for item in drop:
            start, end = self.spans[id(item)]
            self.editor.splice(start, end, "")
        out = self.editor.render()
        for data in new_items:
            if out and not out.endswith("\n"):
                out += "\n"
            out += "---\n" + "\n".join(block(data, 0)) + "\n"
        return out


def run(text: str, s: Settings) -> Run:
    """Mutate a stream; the output is the stream with its changes and new Secrets."""
    try:
        stream = Stream(text)
        p = transform.plan(stream.items, s)
        outcome = transform.mutate(p, stream.items, s, kpt_paths=False)
    except FnError as exc:
        return Run("", 1, [Result(exc.message, ERROR)])
    except transform.Failed as exc:
        return Run("", 1, exc.results)
    listing = (s.list_images, outcome.images) if s.list_images else None
    return Run(stream.render(outcome.new_items, outcome.drop), 0, outcome.results, listing)
