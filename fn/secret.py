"""The ``kubernetes.io/dockerconfigjson`` pull secret, exactly as KOTS writes it."""

from __future__ import annotations

import base64
import json

from fn.license import Proxy
from fn.podspecs import GENERATED

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"


def dockerconfigjson(proxy: Proxy) -> str:
    """base64 of compact, key-sorted ``{"auths": {...}}`` with ``LICENSE_ID:<id>`` auth."""
    auth = base64.b64encode(f"LICENSE_ID:{proxy.license_id.reveal()}".encode()).decode()
    auths = {host: {"auth": auth} for host in (proxy.proxy_domain, proxy.registry_domain)}
    doc = json.dumps({"auths": auths}, sort_keys=True, separators=(",", ":"))
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
        for prefix in ("", "internal."):
            annotations[f"{prefix}config.kubernetes.io/path"] = path
            annotations[f"{prefix}config.kubernetes.io/index"] = "0"
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": DOCKERCONFIGJSON,
        "data": {".dockerconfigjson": payload},
    }
