"""What names an image, by its key or its shape (for fn.uncovered's search): a key that
names one image or a list or map of them, a ``{registry, repository, tag}`` mapping, a
ConfigMap value that is one image, and the words of a container's args and env."""

from __future__ import annotations

import functools
import re

from fn.imageref import is_domain
from fn.nodes import NULL, STR, Mapping, Scalar

WORD = re.compile(r"[^\s=,;|'\"()\[\]{}]+")  # "--image=quay.io/a/b:1,x" -> "quay.io/a/b:1"


# keys that name one image in one API group's resources only (Crossplane's packages: the
# package is an image the package manager pulls, and the provider's pods run it)
GROUP_IMAGE_KEYS = {"pkg.crossplane.io": frozenset({"package"})}
# keys of strings that hold a whole manifest, in one API group's resources (Argo Workflows'
# resource template: ``resource.manifest``, a Job or any resource, created as written)
MANIFEST_KEYS = {"argoproj.io": frozenset({"manifest"})}
# a reference to an image as a {kind, name} mapping (OpenShift's ObjectReference: an
# ImageStream tag's and a BuildConfig strategy's ``from``, with ``referencePolicy: Source``
# pulled from where it names)
IMAGE_REF_KINDS = frozenset({"DockerImage"})
# keys of such a reference that say where an image is pushed, not pulled from (a
# BuildConfig's ``spec.output.to``)
PUSH_KEYS = frozenset({"to"})


@functools.lru_cache(maxsize=4096)  # (the same few keys in every resource)
def image_key(key: str) -> bool:
    """``image``, ``*Image``, ``*_image``, ``*-image``, ``imageName`` (CloudNativePG)."""
    k = key.lower().replace("_", "").replace("-", "")
    return k.endswith(("image", "imagename"))


@functools.lru_cache(maxsize=4096)
def images_key(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "").endswith("images")


def split_image(node: Mapping, named: bool = False) -> str | None:
    """``registry/repository:tag@digest`` of a Helm-style image mapping: a ``repository``
    with a ``tag`` or a ``digest``; under a key that names an image (``named``), one with
    an empty tag or none too (``helm create``'s ``tag: ""``: the chart's appVersion stands
    for it, which no reading of the manifest can know: the reference goes without)."""
    repository = node.get("repository")
    if not isinstance(repository, Scalar) or repository.tag != STR or not repository.value:
        return None
    tag, digest = _text(node.get("tag")), _text(node.get("digest"))
    if not (tag or digest or named):
        return None
    host = _text(node.get("registry"))
    ref = f"{host}/{repository.value}" if host else repository.value
    return ref + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def new_image(node: Mapping) -> str | None:
    """``newName:newTag@digest`` of a kustomize images entry (``{name, newName?, newTag?,
    digest?}``: kustomize's ``images:``, Flux's ``Kustomization.spec.images``): the image
    pulled where the entry applies, None when it changes nothing (or is no such entry)."""
    name, new = _text(node.get("name")), _text(node.get("newName"))
    tag, digest = _text(node.get("newTag")), _text(node.get("digest"))
    if not (name or new) or not (new or tag or digest):
        return None
    return (new or name) + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def overridden(value: str) -> str | None:
    """The new image of an override written ``name=image`` (Argo CD's kustomize
    ``images``, ``kustomize edit set image``), else None."""
    name, eq, image = value.partition("=")
    return image if eq and name and image else None


def _text(node: object) -> str:
    """A scalar's text, as written ("" for none or null; ``tag: 1.2`` is the tag "1.2")."""
    return node.value if isinstance(node, Scalar) and node.tag != NULL else ""


def data_image(key: str, value: str) -> bool:
    """A ConfigMap value that is one image: with its registry and a tag or digest, or, under
    a key that names one image (``image_key``), any reference (Velero's ``image:
    velero/velero-restore-helper:v1.10.2``)."""
    if len(value) > 1000 or not WORD.fullmatch(value):
        return False
    if image_key(key):
        return True  # (what does not parse as a reference is left out: candidates)
    host, _, rest = value.partition("/")
    return bool(rest) and is_domain(host) and (":" in rest.rsplit("/", 1)[-1] or "@" in rest)
