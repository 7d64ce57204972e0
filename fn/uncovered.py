"""Nothing uncovered is silent: image-like fields of custom resources that no row covers.

A scalar field named ``image`` or ending in ``Image`` (``spec.foo.sidecarImage``), and a
mapping with ``repository`` and ``tag`` (and maybe ``registry``, the Helm convention),
anywhere in a custom resource except ``metadata`` and ``status``, is a *suspect* when no
row of the table (``fn.crdrows``, the user's ``imageFields``) and no pod template found
by ``fn.locate`` covers it, and no ``notImages`` row names it. A suspect whose image is
private by the rules in force is reported: a warning naming the field and the
``imageFields`` entry that would cover it (mutate), an error (validate).

Only custom resources are searched: they are read whole. Built-in kinds are read along
their rows only (``fn.locate.policy_for``), so nothing else of them is searched (their
annotations, ConfigMap and Secret payloads, CRD schemas are never read as images).
"""

from __future__ import annotations

from fn.classify import Verdict
from fn.crdrows import NOT_IMAGES
from fn.fieldspecs import group_of, is_k8s_group
from fn.locate import Site
from fn.nodes import STR, Mapping, Node, Scalar, Sequence
from fn.problems import InvalidReference, Problem
from fn.results import WARNING

MAX_DEPTH = 100
SKIP_KEYS = frozenset({"metadata", "status"})


class Suspect:
    __slots__ = ("group", "kind", "path", "ref", "split", "value")

    def __init__(self, group: str, kind: str, path: str, value: str, split: bool) -> None:
        self.group = group
        self.kind = kind
        self.path = path      # "spec.foo[0].image"
        self.value = value    # the image reference (a mapping's parts joined)
        self.split = split    # a {registry, repository, tag} mapping
        self.ref = None

    def entry(self) -> str:
        """The imageFields entry that would cover it (kustomize field-spec form)."""
        path = "/".join(_template(part) for part in self.path.split("."))
        group = self.group or '""'
        return f"imageFields: [{{group: {group}, kind: {self.kind}, path: {path}}}]"


def _template(part: str) -> str:
    return part.split("[", 1)[0] + "[]" if "[" in part else part


def find(root: Mapping, api_version: str, kind: str, sites: list[Site]) -> list[Suspect]:
    """The suspects of one resource (custom resources only)."""
    group = group_of(api_version)
    if is_k8s_group(group):
        return []
    covered = {id(f.node) for site in sites for f in site.images}
    skip = NOT_IMAGES.get((group, kind), set())
    walk = _Walk((group, kind), covered, skip)
    for key, value in root.items():
        if key.value not in SKIP_KEYS and key.value not in ("apiVersion", "kind"):
            walk.node(value, str(key.value), 1)
    return walk.out


class _Walk:
    """One resource's search: its (group, kind), what is covered (image fields, and every
    collection visited: an alias is walked once, so a "billion laughs" document stays
    linear), the notImages paths, and the suspects found."""

    def __init__(self, gk: tuple[str, str], covered: set[int], skip: set[tuple[str, ...]]
                 ) -> None:
        self.gk = gk
        self.covered = covered
        self.skip = skip
        self.out: list[Suspect] = []

    def node(self, node: Node, path: str, depth: int) -> None:
        if depth > MAX_DEPTH or id(node) in self.covered:
            return
        if isinstance(node, Sequence):
            self.covered.add(id(node))
            for i, entry in enumerate(node.entries):
                self.node(entry, f"{path}[{i}]", depth + 1)
        elif isinstance(node, Mapping):
            self.covered.add(id(node))
            split = _split_image(node)
            if split is None:
                self.mapping(node, path, depth)
            elif _template_tuple(path) not in self.skip:
                self.out.append(Suspect(*self.gk, path, split, True))

    def mapping(self, node: Mapping, path: str, depth: int) -> None:
        for key, value in node.items():
            if key.value == "<<" and not key.style:  # merged in: read as if written here
                for merged in node.merged():
                    self.node(merged, path, depth + 1)
                continue
            where = f"{path}.{key.value}"
            if not (_image_key(key.value) and isinstance(value, Scalar) and value.tag == STR):
                self.node(value, where, depth + 1)
            elif value.value and id(value) not in self.covered and (
                    _template_tuple(where) not in self.skip):
                self.covered.add(id(value))  # an alias of it is the same field, once
                self.out.append(Suspect(*self.gk, where, value.value, False))


def _template_tuple(path: str) -> tuple[str, ...]:
    return tuple(_template(p) for p in path.split("."))


def _image_key(key: str) -> bool:
    return key == "image" or (key.endswith("Image") and len(key) > 5)


def _split_image(node: Mapping) -> str | None:
    """``registry/repository:tag`` of a ``{registry?, repository, tag}`` mapping."""
    repository, tag = node.get("repository"), node.get("tag")
    if not isinstance(repository, Scalar) or not isinstance(tag, Scalar):
        return None
    if repository.tag != STR or not repository.value or not tag.value:
        return None
    registry = node.get("registry")
    host = registry.value if isinstance(registry, Scalar) and registry.value else ""
    return f"{host}/{repository.value}:{tag.value}" if host else f"{repository.value}:{tag.value}"


def candidates(suspects: list, target) -> list:
    """The parsed references of the suspects that need a verdict."""
    refs = []
    for _item, suspect in suspects:
        if target.settle(suspect.value) is not None:
            continue
        try:
            suspect.ref = target.parse(suspect.value)
        except InvalidReference:
            continue
        refs.append(suspect.ref)
    return refs


def report(suspects: list, verdicts: dict, target, why: str = "") -> list[Problem]:
    """A problem (a warning; validate makes it an error) for each private suspect."""
    out = []
    for item, suspect in suspects:
        if suspect.ref is None:
            continue
        verdict: Verdict = verdicts.get(suspect.ref) or Verdict(True, why)
        if not verdict.private:
            continue
        if suspect.split:
            how = ("it is a {registry, repository, tag} mapping, which imageFields cannot "
                   "rewrite: set it to the proxy path by hand")
        else:
            how = f"to rewrite it, add {suspect.entry()}"
        out.append(Problem(f"private image {suspect.value} ({verdict.why}) in a field no "
                           f"location covers: left as is; {how}", severity=WARNING,
                           field=suspect.path, resource=item.ref(), file=item.file()))
    return out
