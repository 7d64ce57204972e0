"""Local registry mode (what KOTS does for air-gapped and private-registry installs):
every image, public or private, moves to ``<host>/<namespace>/<last path component>``."""

from __future__ import annotations

from collections.abc import Mapping

from fn import lazyre
from fn.imageref import DOMAIN, ImageRef
from fn.problems import Problem

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAMESPACE = lazyre.later(rf"{_COMPONENT}(?:/{_COMPONENT})*")


def parse_target(value: str) -> tuple[str, str]:
    """``host[:port][/namespace]`` -> (host, namespace or "")."""
    host, _, namespace = value.strip().strip("/").partition("/")
    if not DOMAIN.fullmatch(host):
        raise Problem(f"localRegistry: {host!r} is not a registry host[:port]",
                      field="localRegistry")
    if namespace and not _NAMESPACE.fullmatch(namespace):
        raise Problem(f"localRegistry: {namespace!r} is not a repository namespace",
                      field="localRegistry")
    return host, namespace


def rewrite(ref: ImageRef, host: str, namespace: str) -> str:
    """The image's name on the local registry; the digest replaces the tag when present."""
    last = ref.path.rsplit("/", 1)[-1]
    prefix = f"{host}/{namespace}/" if namespace else f"{host}/"
    if ref.digest:
        return f"{prefix}{last}@{ref.digest}"
    return f"{prefix}{last}:{ref.tag}" if ref.tag else prefix + last


def credentials(username_env: str | None, password_env: str | None,
                environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The registry credentials from the environment (never from config or the items)."""
    if not username_env and not password_env:
        return None
    if not username_env or not password_env:
        raise Problem("give both localRegistryUsernameEnv and localRegistryPasswordEnv")
    values = []
    for field, name in (("localRegistryUsernameEnv", username_env),
                        ("localRegistryPasswordEnv", password_env)):
        value = environ.get(name)
        if not value:
            raise Problem(f"{field}: the environment variable {name} is not set "
                          "(for kpt and kustomize, pass it to the function: envs / --env)",
                          field=field)
        values.append(value)
    return values[0], values[1]
