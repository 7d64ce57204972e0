"""Nothing uncovered is silent: image-like fields of custom resources that no row covers.

A scalar field whose key names one image (``fn.imagekeys``: ``image``, ``*Image``,
``docker_image``, ``imageName``, Crossplane's ``package``; a ``{reference}`` under one; a
map's values or a list's entries under ``*images``, kustomize's ``{name, newTag}`` too), a
Helm-style ``{registry, repository, tag}`` mapping, OpenShift's ``{kind: DockerImage,
name}``, an image field of a manifest written as a string (Argo's ``resource.manifest``),
anywhere in a custom resource but ``metadata`` and ``status``, or a ConfigMap's value that
is one image, is a *suspect* when no row of the table (``fn.crdrows``, the user's
``imageFields``) and no pod template found by ``fn.locate`` covers it, and no ``notImages``
row names it. A suspect whose image is private by the rules in force is reported
(``fn.suspects``): a warning saying how to cover it (mutate), an error (validate).

Only custom resources are searched: they are read whole. Built-in kinds are read along
their rows only (``fn.locate.policy_for``), so nothing else of them is searched (their
annotations, Secret payloads, CRD schemas are never read as images), but for a
ConfigMap's values.

A container (any mapping with an ``image``, in every kind) may also *name* images its
program pulls, in its ``args``, ``command`` and ``env`` values: each word that is a
reference with a registry host is a NAMED suspect, decided and rewritten by ``fn.named``.
"""

from __future__ import annotations

from collections.abc import Iterator

from fn import containerwords, imagekeys
from fn.crdrows import BUILTIN, NOT_IMAGES
from fn.fieldpath import child, keys, parent, template
from fn.fieldspecs import Table, group_of, is_k8s_group, written
from fn.imagekeys import WORD, data_image, image_key, images_key, new_image, split_image
from fn.imageref import is_domain
from fn.locate import TOO_DEEP, Site, is_resource_list, too_deep
from fn.nodes import STR, Mapping, Node, Scalar, Sequence, string
from fn.problems import Problem
from fn.yamlc import YAMLError
from fn.yamlread import read
from fn.yamlrules import MAX_DEPTH as READ_DEPTH

MAX_DEPTH = READ_DEPTH  # what the reader reads, searched whole (deeper: aliases)
MAX_NESTED = 8  # manifests written as strings inside one another, searched
NESTED_TOO_DEEP = (f"manifests written as strings inside one another more than {MAX_NESTED} "
                   "deep: not searched further for images")
SKIP_KEYS = frozenset({"metadata", "status"})
FIELD, SPLIT, NAMED, LISTED, TEXT = "field", "split", "named", "listed", "text"  # forms
_NO_PATHS: frozenset[tuple[str, ...]] = frozenset()  # (a kind no notImages row names)
_NONE: frozenset[str] = frozenset()


class Suspect:
    __slots__ = ("aliased", "follows", "form", "group", "kind", "levels", "new", "node", "path",
                 "read_as", "ref", "span", "value", "why")

    def __init__(self, group: str, kind: str, path: str, value: str, form: str,
                 node: Scalar | None = None, span: tuple[int, int] = (0, 0),
                 aliased: bool = False) -> None:
        self.group = group
        self.kind = kind
        self.path = path      # "spec.foo[0].image", "spec.containers[0].args[2]"
        self.value = value    # the image reference (a mapping's parts joined; a word)
        self.form = form      # FIELD; SPLIT: a {registry, repository, tag} mapping; NAMED
        self.node = node      # where it is; NAMED: the scalar the word is in, at ``span``,
        self.span = span
        self.aliased = aliased  # which stands elsewhere (a YAML alias, a "<<" merge key)
        self.ref = None
        self.new: str | None = None  # NAMED: the word it becomes (fn.named), and why
        self.follows: str | None = None  # NAMED: an image field's value, rewritten with it;
        #                                  TEXT: where in the manifest written there it is
        self.why = ""  # NAMED: why it is private, or not (fn.named)
        self.read_as: tuple[str, str] | None = None  # an invalid value: how it was read
        #                                              (fn.suspects), and the detail
        self.levels = 0  # Lists it is in (kubectl's "kind: List"): its path's first "items[i]"s

    def entry(self) -> str:
        """The imageFields entry that would cover it (kustomize field-spec form)."""
        path = written(_row(self.path)[self.levels:])
        group = self.group or '""'
        return f"imageFields: [{{group: {group}, kind: {self.kind}, path: {path}}}]"


def find(root: Mapping, api_version: str, kind: str, sites: list[Site],
         notes: list[Problem] | None = None, table: Table = BUILTIN) -> list[Suspect]:
    """The suspects of one resource: in a custom resource, image fields no row covers;
    in any resource with image fields, the images its containers name. A List's custom
    resources are searched as the resources they are. What lies deeper than ``MAX_DEPTH``
    is not searched: a warning in ``notes`` says so."""
    group = group_of(api_version)
    gk = (group, kind)
    fields = not is_k8s_group(group)  # (a built-in kind is read only along its rows)
    listed = not fields and is_resource_list(root, api_version, kind, table)
    searched = fields or listed or gk == ("", "ConfigMap")  # (else: its containers' words)
    covered = {id(f.node) for site in sites for f in site.images} if searched else set()
    walk = _Walk(gk, covered, NOT_IMAGES.get(gk, _NO_PATHS), fields)
    walk.table = table
    if fields:
        walk.resource(root, "")
        return _noted(walk, notes)
    for container, path in _holders(sites):  # the words of its containers
        walk.named(container, path)
    if listed:
        walk.entries(root, "", 1)
    elif gk == ("", "ConfigMap"):
        walk.data(root, "")
    return _noted(walk, notes)


def _row(path: str) -> list[str]:
    """A field's path as a row's segments: ``[]`` after a list key, none after one whose
    entries are lists (a key without ``[]`` enters them all, as in kustomize)."""
    out: list[str] = []
    after_index = False
    for key in keys(path):
        if isinstance(key, str):
            out.append(key)
        elif after_index:
            out[-1] = out[-1].removesuffix("[]")
        elif out:
            out[-1] += "[]"
        after_index = isinstance(key, int)
    return out


def _noted(walk: _Walk, notes: list[Problem] | None) -> list[Suspect]:
    if walk.deep is not None and notes is not None:
        too_deep(notes, *walk.deep)
    return walk.out


class _Walk:
    """One resource's search: its (group, kind), what is covered (image fields, and every
    collection visited: an alias is walked once, so a "billion laughs" document stays
    linear), the notImages paths, and the suspects found."""

    def __init__(self, gk: tuple[str, str], covered: set[int],
                 skip: set[tuple[str, ...]] | frozenset[tuple[str, ...]],
                 fields: bool = True) -> None:
        self.gk = gk
        self.covered = covered
        self.skip = skip
        self.fields = fields  # False: a built-in kind, read along its rows (names only)
        self.out: list[Suspect] = []
        self.levels = 0  # Lists entered
        self.deep: tuple[str, str] | None = None  # where the search stopped, and why
        self.named_in: set[int] = set()  # containers whose words were read
        self.table = BUILTIN  # the rows: a kind they name is no List
        self.own_keys = imagekeys.GROUP_IMAGE_KEYS.get(gk[0], _NONE)  # its group's image keys
        self.manifest_keys = imagekeys.MANIFEST_KEYS.get(gk[0], _NONE)  # and manifest keys
        self.nested = 0  # manifests written as strings this one is in

    def resource(self, root: Mapping, path: str, depth: int = 0) -> None:
        for key, value in root.items():
            if key.value not in SKIP_KEYS and key.value not in ("apiVersion", "kind"):
                self.node(value, child(path, str(key.value)), depth + 1)

    def entries(self, root: Mapping, path: str, levels: int) -> None:
        """A List's custom resources (and Lists), each with its own (group, kind)."""
        for i, entry in enumerate(root.get("items").entries):  # type: ignore[union-attr]
            if not isinstance(entry, Mapping):
                continue
            api, kind = (string(entry.get(k)) or "" for k in ("apiVersion", "kind"))
            at = f"{child(path, 'items')}[{i}]"
            if is_resource_list(entry, api, kind, self.table):
                self.entries(entry, at, levels + 1)
            elif (api, kind) == ("v1", "ConfigMap"):
                self.data(entry, at)
            elif not is_k8s_group(group_of(api)):
                walk = _Walk((group_of(api), kind), self.covered,
                             NOT_IMAGES.get((group_of(api), kind), set()))
                walk.levels = levels
                walk.named_in = self.named_in
                walk.table = self.table
                walk.resource(entry, at)
                self.out += walk.out
                self.deep = self.deep or walk.deep

    def node(self, node: Node, path: str, depth: int, named: bool = False) -> None:
        """``named``: its key names an image (a Helm-style mapping there may have no tag)."""
        if id(node) in self.covered:
            return
        if depth > MAX_DEPTH:
            self.deep = self.deep or (path, TOO_DEEP)
            return
        if isinstance(node, Sequence):
            self.covered.add(id(node))
            for i, entry in enumerate(node.entries):
                self.node(entry, f"{path}[{i}]", depth + 1)
        elif isinstance(node, Mapping):
            self.covered.add(id(node))
            if isinstance(node.get("image"), (Scalar, Mapping)):
                self.named(node, path)
            kind = node.get("kind")
            if kind is not None and self.fields and string(kind) in imagekeys.IMAGE_REF_KINDS \
                    and path.rpartition(".")[2] not in imagekeys.PUSH_KEYS:
                self.field(child(path, "name"), node.get("name"))  # {kind: DockerImage, name}
            split = split_image(node, named) if self.fields else None
            if split is None:
                self.mapping(node, path, depth)
            elif template(path)[self.levels:] not in self.skip:
                self.out.append(self._suspect(path, split, SPLIT, node))

    def mapping(self, node: Mapping, path: str, depth: int) -> None:
        for key, value in node.items():
            if key.value == "<<" and not key.style:  # merged in: read as if written here
                for merged in node.merged():
                    self.node(merged, path, depth + 1)
                continue
            name = str(key.value)
            where = child(path, name)
            if images_key(name) or name in self.manifest_keys:
                self.images_of(name, value, where, depth)
            named = image_key(name) or name in self.own_keys
            if named and isinstance(value, Mapping):  # an image volume's reference
                self.field(child(where, "reference"), value.get("reference"))  # (CloudNativePG)
            if named and isinstance(value, Scalar):
                self.field(where, value)
            else:
                self.node(value, where, depth + 1, named)

    def images_of(self, name: str, value: Node, where: str, depth: int) -> None:
        """What a key says its value holds besides one image: a list or map of images
        (``*images``), or a manifest written as a string (``MANIFEST_KEYS``)."""
        if images_key(name) and isinstance(value, Sequence) and self.fields:
            self.listed(value, where)
        elif images_key(name) and isinstance(value, Mapping):  # name -> image (Zalando's
            for k, v in value.items():                          # sidecar_docker_images)
                self.field(child(where, str(k.value)), v)
        elif name in self.manifest_keys and isinstance(value, Scalar) and (
                id(value) not in self.covered):  # (an alias of it: read once)
            self.covered.add(id(value))
            self.manifest(where, value, depth)

    def field(self, where: str, value: Node | None) -> None:
        """A string field that names one image, no row covering it: a suspect (once: an
        alias of it is the same field)."""
        if isinstance(value, Scalar) and value.tag == STR and value.value and self.fields and (
                id(value) not in self.covered) and template(where)[self.levels:] not in self.skip:
            self.covered.add(id(value))
            self.out.append(self._suspect(where, value.value, FIELD, value))

    def manifest(self, where: str, value: Scalar, depth: int) -> None:
        """The image fields and the words its containers name of a manifest written as a
        string (``MANIFEST_KEYS``): each a TEXT suspect, whatever its kind, at ``where``,
        searched as deep as the resource; of one that does not read as one YAML object (a
        template, several documents), the words that are images with a registry host."""
        if self.nested >= MAX_NESTED:  # (a manifest in a manifest in ...: said)
            self.deep = self.deep or (where, NESTED_TOO_DEEP)
            return
        if value.tag != STR or not self.fields:
            return
        try:
            root = read(value.value)
        except (YAMLError, ValueError):  # (a template, not YAML, several documents)
            root = None
        if not isinstance(root, Mapping):  # its words, then, that are images with a host
            self.out += [self._text(where, m[0], value) for m in WORD.finditer(value.value)
                         if (host := m[0].partition("/"))[1] and is_domain(host[0])]
            return
        inner = _Walk(self.gk, set(), _NO_PATHS)
        inner.nested = self.nested + 1
        inner.resource(root, "", depth)
        self.deep = self.deep or (inner.deep and (where, inner.deep[1]))
        self.out += [self._text(where, found.value, value, found.path) for found in inner.out]

    def _text(self, where: str, image: str, manifest: Scalar,
              inside: str = "text, which does not read as one object,") -> Suspect:
        """A TEXT suspect: ``image`` at ``inside`` of the manifest string at ``where``."""
        found = self._suspect(where, image, TEXT, manifest)  # (where it is in the text)
        found.follows = inside
        return found

    def data(self, configmap: Mapping, path: str) -> None:
        """A ConfigMap's values that are one image (``_data_image``): controllers pull what
        their ConfigMaps name (Knative's queue sidecar, Rook's CSI images)."""
        values = configmap.get("data")
        for key, value in values.items() if isinstance(values, Mapping) else ():
            if isinstance(value, Scalar) and value.tag == STR and id(value) not in (
                    self.covered) and data_image(str(key.value), value.value):
                self.covered.add(id(value))
                self.out.append(self._suspect(child(child(path, "data"), str(key.value)),
                                              value.value, FIELD, value))

    def listed(self, seq: Sequence, path: str) -> None:
        """The strings of a list of images (``images: [quay.io/a/b:1]``), and the images
        of kustomize's entries (``{name, newName, newTag}``): no row can name a list's
        entries, so each private one is a warning to set by hand."""
        if template(path)[self.levels:] in self.skip:
            return
        for i, entry in enumerate(seq.entries):
            value = (entry.value if isinstance(entry, Scalar) and entry.tag == STR else
                     new_image(entry) if isinstance(entry, Mapping) else None)
            if value and id(entry) not in self.covered:
                self.covered.add(id(entry))
                self.out.append(self._suspect(f"{path}[{i}]", value, LISTED, entry))

    def _suspect(self, path: str, value: str, form: str, node: Node) -> Suspect:
        found = Suspect(*self.gk, path, value, form, node)  # type: ignore[arg-type]
        found.levels = self.levels
        return found

    def named(self, container: Mapping, path: str) -> None:
        """The words of a container's args, command and env values that may be images
        (once: a List's custom resource is walked after its containers were read)."""
        if id(container) in self.named_in:
            return
        self.named_in.add(id(container))
        for key, i, value, aliased, label in containerwords.values(container):
            if value.tag == STR:
                where = f"{path}.env[{i}].value" if key == "env" else f"{path}.{key}[{i}]"
                spans = [m.span() for m in WORD.finditer(value.value)
                         if (host := m[0].partition("/"))[1] and is_domain(host[0])]
                if not spans and label and data_image(label, value.value):  # (WORKER_IMAGE:
                    spans = [(0, len(value.value))]  # a Docker Hub name, the value whole)
                self.out += [Suspect(*self.gk, where, value.value[a:b], NAMED, value, (a, b),
                                     aliased) for a, b in spans]


def _holders(sites: list[Site]) -> Iterator[tuple[Mapping, str]]:
    """Each mapping that holds an image field (a container), once, with its path."""
    seen: set[int] = set()
    for site in sites:
        for field in site.images:
            node = field.holder
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                yield node, parent(field.path)
