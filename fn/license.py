"""The Replicated license: where the pull secret's credentials and the app slug come from.

Only ``spec.licenseID``, ``spec.appSlug`` and ``spec.endpoint`` are used. The license ID
is kept ``Redacted`` and no message here ever holds it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping as EnvMapping

from fn.config import DNS_LABEL, Settings
from fn.imageref import host_of
from fn.nodes import Mapping, Scalar
from fn.problems import Problem
from fn.redacted import Redacted
from fn.yamlc import yaml

API_VERSIONS = ("kots.io/v1beta1", "kots.io/v1beta2")
PROXY = "proxy.replicated.com"
REGISTRY = "registry.replicated.com"
STAGING_ENDPOINT = "staging.replicated.app"
STAGING_PROXY = "proxy.staging.replicated.com"
STAGING_REGISTRY = "registry.staging.replicated.com"
_LICENSE_ID = re.compile(r"[A-Za-z0-9._~+/=-]{1,256}")


# Everything the rewrite and the Secret need, resolved from config and license.
# ``replicated_registry``: registry.replicated.com (or staging), swapped for a custom
# ``registry_domain``. ``license_id`` is Redacted.
Proxy = namedtuple("Proxy", "license_id app_slug proxy_domain registry_domain "
                   "replicated_registry pull_secret_name")


def read_document(doc: object, source: str) -> dict:
    """A License document (YAML text or mapping) -> its ``spec``."""
    if isinstance(doc, str):
        try:
            doc = yaml.load(doc, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise Problem(f"{source} is not valid YAML{where}") from None
        except Exception:  # a value that does not match its tag: never show it
            raise Problem(f"{source} could not be read (a value does not match its tag)"
                          ) from None
    if not isinstance(doc, dict):
        raise Problem(f"{source} must be a License document (a mapping)")
    kind = doc.get("kind", "License")
    if kind != "License":
        raise Problem(f"{source} must be a License, not {str(kind)[:40]!r}")
    api = doc.get("apiVersion")
    if api is not None and api not in API_VERSIONS:
        raise Problem(f"{source} apiVersion must be one of {', '.join(API_VERSIONS)}")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise Problem(f"{source} has no spec mapping")
    return spec


def resolve(s: Settings, item_license: object = None, need_id: bool = True,
            need_slug: bool = True, environ: EnvMapping[str, str] | None = None) -> Proxy:
    """The Proxy from config and license. Validate mode needs no license ID (the Secret's
    hosts are still checked) and local-registry mode needs neither ID nor app slug.
    ``licenseIDEnv`` names a variable of ``environ`` holding the ID (fn.kots reads it first;
    here a missing one is an error only where the ID is needed)."""
    spec, where = document(s, item_license)
    given = s.app_slug is not None
    slug = _app_slug(s.app_slug if given else spec.get("appSlug"), need_slug,
                     "functionConfig appSlug" if given else f"spec.appSlug of {where}")
    endpoint = spec.get("endpoint")
    staging = isinstance(endpoint, str) and host_of(endpoint).split(":")[0] == STAGING_ENDPOINT
    default_proxy, default_registry = (
        (STAGING_PROXY, STAGING_REGISTRY) if staging else (PROXY, REGISTRY))
    return Proxy(
        license_id=_license_id(s.license_id or from_env(s, environ or {}, need_id), spec,
                               need_id, s.license_id_source
                               if s.license_id is not None else f"spec.licenseID of {where}"),
        app_slug=slug,
        proxy_domain=s.proxy_domain or default_proxy,
        registry_domain=s.registry_domain or default_registry,
        replicated_registry=default_registry,
        pull_secret_name=s.pull_secret_name or (f"{slug}-registry" if slug else None),
    )


def from_env(s: Settings, environ: EnvMapping[str, str], needed: bool) -> Redacted | None:
    """The license ID in the variable ``licenseIDEnv`` names (None: not asked for)."""
    if not s.license_id_env:
        return None
    value = environ.get(s.license_id_env, "").strip()
    if not value and needed:
        raise Problem(f"licenseIDEnv: the environment variable {s.license_id_env} is not set "
                      "(for kpt and kustomize, pass it to the function: envs / --env)",
                      field="licenseIDEnv")
    return Redacted(value) if value else None


def document(s: Settings, item_license: object = None) -> tuple[dict, str]:
    """The license's spec and where it came from (the config, a ConfigMap, a file, an
    item); ``({}, "")`` when there is none."""
    spec: dict = {}
    where = ""
    if s.license_doc is not None:
        where = "the license in functionConfig"
        spec = read_document(s.license_doc, where)
    if item_license is not None:
        where = s.license_source or (
            f"ConfigMap {s.license_configmap} data.license.yaml")
        spec = read_document(item_license, where)
    return spec, where


def _license_id(given: Redacted | None, spec: dict, needed: bool,
                source: str) -> Redacted | None:
    license_id = given
    if license_id is None:
        raw = spec.get("licenseID")
        if raw is None and needed:
            raise Problem("no license ID: give license.yaml, licenseConfigMap or licenseID")
        if raw is not None and not isinstance(raw, str):
            raise Problem("license spec.licenseID must be a string")
        license_id = None if raw is None else Redacted(raw)
    if license_id is not None and not _LICENSE_ID.fullmatch(license_id.reveal()):
        raise Problem(f"the license ID from {source} is malformed (expected 1-256 letters, "
                      "digits or ._~+/=-)")
    return license_id


def _app_slug(slug: object, needed: bool, source: str) -> str:
    if slug is None and not needed:
        return ""
    if slug is None:
        raise Problem("no app slug: give license.yaml, licenseConfigMap or appSlug")
    if not isinstance(slug, str) or not DNS_LABEL.fullmatch(slug) or len(slug) > 63:
        # the value is not shown: it might be the license ID given in the wrong field
        raise Problem(f"invalid appSlug (from {source}): it must be lowercase letters, digits "
                      "and '-', starting and ending with a letter or digit, at most 63 "
                      "characters")
    return slug


def from_items(items: list, s: Settings) -> tuple[object, str | None]:
    """The item named by ``licenseConfigMap`` and its ``data.license.yaml`` text."""
    if s.license_configmap is None:
        return None, None
    found = [i for i in items if i.kind == "ConfigMap" and i.group == ""
             and i.name == s.license_configmap]
    if not found:
        raise Problem(f"licenseConfigMap: no ConfigMap {s.license_configmap!r} among the items")
    if len(found) > 1:
        raise Problem(f"licenseConfigMap: more than one ConfigMap named {s.license_configmap!r}")
    node = found[0].node
    data = node.get("data") if node is not None else None
    text = data.get("license.yaml") if isinstance(data, Mapping) else None
    if not isinstance(text, Scalar) or text.tag != "tag:yaml.org,2002:str":
        raise Problem(f"ConfigMap {s.license_configmap} has no data.license.yaml")
    return found[0], text.value
