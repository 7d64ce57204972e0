"""The ``kubernetes.io/dockerconfigjson`` pull secret, exactly as KOTS writes it."""

from __future__ import annotations

import base64
import json

from fn.fieldspecs import GENERATED
from fn.nodes import Mapping, Scalar
from fn.resourcelist import Item, kpt_annotations

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"


def dockerconfigjson(hosts: tuple[str, ...], username: str, password: str) -> str:
    """base64 of compact, key-sorted ``{"auths": {host: {"auth": ...}}}`` (KOTS's form:
    username ``LICENSE_ID``, password the license ID)."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    doc = json.dumps({"auths": {host: {"auth": auth} for host in hosts}}, sort_keys=True,
                     separators=(",", ":"))
    return base64.b64encode(doc.encode()).decode()


def authenticated_hosts(encoded: str) -> dict[str, str]:
    """host -> base64 auth from a ``.dockerconfigjson`` value ({} when unreadable)."""
    try:
        auths = json.loads(base64.b64decode(encoded, validate=True)).get("auths", {})
        return {h: a.get("auth", "") for h, a in auths.items() if isinstance(a, dict)}
    except (ValueError, AttributeError, TypeError):
        return {}


def default_path(name: str, namespace: str | None) -> str:
    """kpt's default file for a new resource: ``<namespace>/secret_<name>.yaml``."""
    return f"{namespace}/secret_{name}.yaml" if namespace else f"secret_{name}.yaml"


def manifest(name: str, payload: str, app_slug: str, namespace: str | None,
             path: str | None) -> dict:
    """The Secret; ``path`` (kpt's file for it) is None in plain stream mode."""
    metadata: dict = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if app_slug:
        metadata["labels"] = {"kots.io/app-slug": app_slug}
    annotations = metadata["annotations"] = (
        {"kots.io/app-slug": app_slug, GENERATED: "true"} if app_slug else {GENERATED: "true"})
    if path is not None:
        annotations.update(kpt_annotations(path))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": DOCKERCONFIGJSON,
        "data": {".dockerconfigjson": payload},
    }


def value_of(node: Mapping) -> tuple[str | None, Scalar | None]:
    """(type, the .dockerconfigjson scalar) of a Secret's node."""
    t = node.get("type")
    data = node.get("data")
    value = data.get(".dockerconfigjson") if isinstance(data, Mapping) else None
    return (t.value if isinstance(t, Scalar) else None,
            value if isinstance(value, Scalar) else None)


def existing(items: list[Item], name: str) -> dict[str | None, Item]:
    """The Secrets named ``name`` among the items, by namespace."""
    return {i.namespace: i for i in items
            if i.kind == "Secret" and i.group == "" and i.name == name}
