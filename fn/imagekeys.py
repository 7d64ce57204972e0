"""What names an image, by its key or its shape (for fn.uncovered's search): a key that
names one image or a list or map of them, a ``{registry, repository, tag}`` mapping, a
ConfigMap value that is one image, and the words of a container's args and env."""

from __future__ import annotations

import functools
import re

from fn.imageref import is_domain
from fn.nodes import STR, Mapping, Scalar

WORD = re.compile(r"[^\s=,;|'\"()\[\]{}]+")  # "--image=quay.io/a/b:1,x" -> "quay.io/a/b:1"


@functools.lru_cache(maxsize=4096)  # (the same few keys in every resource)
def image_key(key: str) -> bool:
    """``image``, ``*Image``, ``*_image``, ``*-image``, ``imageName`` (CloudNativePG)."""
    k = key.lower().replace("_", "").replace("-", "")
    return k.endswith(("image", "imagename"))


@functools.lru_cache(maxsize=4096)
def images_key(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "").endswith("images")


def split_image(node: Mapping) -> str | None:
    """``registry/repository:tag`` of a ``{registry?, repository, tag}`` mapping."""
    repository, tag = node.get("repository"), node.get("tag")
    if not isinstance(repository, Scalar) or not isinstance(tag, Scalar):
        return None
    if repository.tag != STR or not repository.value or not tag.value:
        return None
    registry = node.get("registry")
    host = registry.value if isinstance(registry, Scalar) and registry.value else ""
    return f"{host}/{repository.value}:{tag.value}" if host else f"{repository.value}:{tag.value}"


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
