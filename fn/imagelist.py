"""The list of moved images: ``<source> <new>`` lines, sorted, merged with an earlier
list (so that a re-run, which finds the images already moved, keeps it). The source is
the reference as written, but ``name@digest`` for ``name:tag@digest`` (the digest is
what is pulled, and skopeo refuses both at once)."""

from __future__ import annotations

from fn.intents import intend
from fn.nodes import Mapping, Scalar
from fn.plan import Plan, Use
from fn.problems import Problem
from fn.resourcelist import LOCAL_CONFIG, Item, kpt_annotations

KEY = "images.txt"


def merge(new: str, before: str = "") -> str:
    lines = {line for line in (before + "\n" + new).splitlines() if line.strip()}
    return "".join(f"{line}\n" for line in sorted(lines))


def is_list(text: str) -> bool:
    """Whether a file's text is such a list (or empty): two references a line."""
    return all(len(line.split(" ")) == 2 and "\t" not in line
               for line in text.splitlines() if line.strip())


def moved(p: Plan) -> str:
    """``<source> <new>`` of each image the plan moves, unsorted (``merge`` sorts)."""
    uses = [*(u for u in p.uses if u.new is not None), *(s for _, s in p.named())]
    return "\n".join(f"{_source(m)} {m.new}" for m in uses)


def _source(use: Use) -> str:  # (or a word a container names, fn.uncovered.Suspect)
    ref = use.ref
    if ref is not None and ref.tag and ref.digest:
        return f"{ref.name}@{ref.digest}"
    return use.value


def keep_in_item(moved: str, items: list[Item], name: str, new_items: list[dict],
                 kpt_paths: bool) -> str:
    """Keep the image list (``moved``: the run's lines, fn.imagelist.moved) in a
    local-config ConfigMap item: update it, or add it."""
    found = [i for i in items if i.kind == "ConfigMap" and i.group == "" and i.name == name]
    if not found:
        images = merge(moved)
        new_items.append(_configmap(name, images, kpt_paths))
        return images
    data = found[0].node.get("data") if found[0].node is not None else None
    node = data.get(KEY) if isinstance(data, Mapping) else None
    if not isinstance(node, Scalar) or node.tag != "tag:yaml.org,2002:str":
        raise Problem(f"listImagesConfigMap: ConfigMap {name} has no data {KEY}",
                      resource=found[0].ref(), file=found[0].file())
    images = merge(moved, node.value)
    if images != node.value:
        found[0].editor.set_scalar(node, images)
        intend(found[0], "set", ("data", KEY), images)
    return images


def _configmap(name: str, images: str, kpt_paths: bool) -> dict:
    """The image list as a ConfigMap that never reaches the cluster (local-config)."""
    annotations = {LOCAL_CONFIG: "true"}
    if kpt_paths:
        annotations.update(kpt_annotations(f"configmap_{name}.yaml"))
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "annotations": annotations},
            "data": {KEY: images}}
