"""The function's configuration: a ConfigMap (``data``) or a typed ``ReplicatedProxy`` (``spec``).

Both forms carry the same fields; the ConfigMap form (what kpt's ``-- key=value`` and
inline ``configMap:`` produce) has every value as a string.
"""

from __future__ import annotations

import re

from fn import patterns
from fn.errors import FnError
from fn.patterns import Pattern

TYPED_API_VERSION = "fn.replicated-proxy/v1alpha1"
TYPED_KIND = "ReplicatedProxy"

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
ON_PROBE_ERROR = ("private", "public", "error")
MODES = ("mutate", "validate")

# field -> kind of value: "str", "bool", "list", "int", "float", "license", "duration"
FIELDS: dict[str, str] = {
    "license": "license",
    "license.yaml": "license",
    "licenseID": "str",
    "appSlug": "str",
    "licenseConfigMap": "str",
    "privateImages": "list",
    "publicImages": "list",
    "proxyAll": "bool",
    "proxyDomain": "str",
    "registryDomain": "str",
    "pullSecretName": "str",
    "namespaces": "list",
    "mode": "str",
    "probe": "bool",
    "onProbeError": "str",
    "insecureRegistries": "list",
    "probeCache": "str",
    "probeCacheTTL": "duration",
    "probeConcurrency": "int",
    "probeTimeout": "float",
    "probeDeadline": "float",
    "localRegistry": "str",
    "localRegistryAuthSecret": "str",
    "localRegistryUsernameEnv": "str",
    "localRegistryPasswordEnv": "str",
    "listImages": "str",
    "listImagesConfigMap": "str",
    "maxInfoResults": "count",
}
# the ConfigMap form spells the license document "license.yaml", the typed form "license"
_CONFIGMAP_ONLY = {"license.yaml"}
_TYPED_ONLY = {"license"}


class Settings:
    """The configuration, with defaults (class attributes) for what was not given."""

    license_doc: object = None              # License document: YAML text or a mapping
    license_id: object = None               # Redacted | None
    app_slug: str | None = None
    license_configmap: str | None = None
    private: tuple[Pattern, ...] = ()
    public: tuple[Pattern, ...] = ()
    proxy_all: bool = False
    proxy_domain: str | None = None         # None: from the license endpoint / default
    registry_domain: str | None = None
    pull_secret_name: str | None = None     # None: "<appSlug>-registry"
    namespaces: tuple[str, ...] = ()
    mode: str = "mutate"
    probe: bool = False
    on_probe_error: str = "private"
    insecure_registries: tuple[str, ...] = ()
    probe_cache: str | None = None
    probe_cache_ttl: float = 86400.0
    probe_concurrency: int = 10
    probe_timeout: float = 5.0
    probe_deadline: float = 60.0
    local_registry: str | None = None
    local_registry_auth_secret: str | None = None
    local_registry_username_env: str | None = None
    local_registry_password_env: str | None = None
    list_images: str | None = None          # a file to write the image list to
    list_images_configmap: str | None = None  # or a local-config ConfigMap item for it
    max_info_results: int = 100             # per-image info results; 0: no limit

    def __init__(self) -> None:
        self.given: set[str] = set()


def load(function_config: object) -> Settings:
    """Settings from the functionConfig object (already plain data)."""
    if function_config is None:
        raise FnError("no functionConfig: give a ConfigMap or a ReplicatedProxy with a license")
    if not isinstance(function_config, dict):
        raise FnError("functionConfig must be a mapping")
    kind = function_config.get("kind")
    api = function_config.get("apiVersion")
    if kind == TYPED_KIND:
        if api != TYPED_API_VERSION:
            raise FnError(f"{TYPED_KIND} must have apiVersion {TYPED_API_VERSION}")
        spec = function_config.get("spec")
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise FnError(f"{TYPED_KIND} spec must be a mapping", field="spec")
        return _settings(spec, typed=True, where="spec")
    if kind == "ConfigMap":
        data = function_config.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise FnError("ConfigMap data must be a mapping", field="data")
        return _settings(data, typed=False, where="data")
    raise FnError(f"functionConfig must be a ConfigMap or a {TYPED_API_VERSION} {TYPED_KIND}, "
                  f"not {kind!r}")


def _settings(raw: dict, typed: bool, where: str) -> Settings:
    s = Settings()
    for key, value in raw.items():
        kind = FIELDS.get(key) if isinstance(key, str) else None
        if kind is None or key in (_CONFIGMAP_ONLY if typed else _TYPED_ONLY):
            other_form = _CONFIGMAP_ONLY if typed else _TYPED_ONLY
            known = sorted(k for k in FIELDS if k not in other_form)
            raise FnError(f"unknown field {where}.{key} (known: {', '.join(known)})",
                          field=f"{where}.{key}")
        if value is None:
            continue
        path = f"{where}.{key}"
        s.given.add(key)
        _apply(s, key, _coerce(value, kind, path, typed), path)
    return s


def _coerce(value: object, kind: str, path: str, typed: bool) -> object:
    if kind == "license":
        if isinstance(value, str | dict):
            return value
        raise FnError(f"{path} must be a License document (a mapping or YAML text)", field=path)
    if kind == "list":
        return patterns.split_list(value, path)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise FnError(f"{path} must be true or false", field=path)
    if kind == "count":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise FnError(f"{path} must be a whole number, 0 or more", field=path)
    if kind in ("int", "float", "duration"):
        if isinstance(value, bool):
            raise FnError(f"{path} must be a number", field=path)
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            number = _number(value.strip(), kind == "duration", path)
        else:
            raise FnError(f"{path} must be a number", field=path)
        if number <= 0:
            raise FnError(f"{path} must be greater than zero", field=path)
        if kind == "int":
            if number != int(number):
                raise FnError(f"{path} must be a whole number", field=path)
            return int(number)
        return number
    if not isinstance(value, str):
        raise FnError(f"{path} must be a string", field=path)
    return value.strip()


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhd]?)")


def _number(text: str, duration: bool, path: str) -> float:
    m = _DURATION.fullmatch(text)
    if m is None or (m.group(2) and not duration):
        unit = " (seconds, or with s/m/h/d)" if duration else ""
        raise FnError(f"{path} must be a number{unit}", field=path)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _apply(s: Settings, key: str, value, path: str) -> None:
    def check(ok: bool, what: str) -> None:
        if not ok:
            raise FnError(f"{path} {what}", field=path)

    if key in ("license", "license.yaml"):
        s.license_doc = value
    elif key == "licenseID":
        from fn.errors import Redacted

        s.license_id = Redacted(value)  # validated with the license
    elif key == "appSlug":
        s.app_slug = value
    elif key == "licenseConfigMap":
        check(bool(DNS_SUBDOMAIN.fullmatch(value)), "must be a ConfigMap name")
        s.license_configmap = value
    elif key == "privateImages":
        s.private = tuple(patterns.parse(p, path) for p in value)
    elif key == "publicImages":
        s.public = tuple(patterns.parse(p, path) for p in value)
    elif key == "proxyAll":
        s.proxy_all = value
    elif key in ("proxyDomain", "registryDomain"):
        check(bool(HOST.fullmatch(value)), "must be a host name, optionally with :port")
        setattr(s, "proxy_domain" if key == "proxyDomain" else "registry_domain", value)
    elif key == "pullSecretName":
        check(bool(DNS_SUBDOMAIN.fullmatch(value)) and len(value) <= 253,
              "must be a valid Secret name")
        s.pull_secret_name = value
    elif key == "namespaces":
        for ns in value:
            check(bool(DNS_LABEL.fullmatch(ns)) and len(ns) <= 63,
                  f"has {ns!r}, which is not a valid namespace name")
        s.namespaces = tuple(dict.fromkeys(value))
    elif key == "mode":
        check(value in MODES, f"must be one of {', '.join(MODES)}")
        s.mode = value
    elif key == "probe":
        s.probe = value
    elif key == "onProbeError":
        check(value in ON_PROBE_ERROR, f"must be one of {', '.join(ON_PROBE_ERROR)}")
        s.on_probe_error = value
    elif key == "insecureRegistries":
        for host in value:
            check(bool(HOST.fullmatch(host)) or host.startswith("["),
                  f"has {host!r}, which is not a host[:port]")
        s.insecure_registries = tuple(value)
    elif key == "probeCache":
        s.probe_cache = value
    elif key == "probeCacheTTL":
        s.probe_cache_ttl = value
    elif key == "probeConcurrency":
        check(value <= 100, "must be at most 100")
        s.probe_concurrency = value
    elif key == "probeTimeout":
        s.probe_timeout = value
    elif key == "probeDeadline":
        s.probe_deadline = value
    elif key == "localRegistry":
        s.local_registry = value
    elif key == "localRegistryAuthSecret":
        check(bool(DNS_SUBDOMAIN.fullmatch(value)), "must be a valid Secret name")
        s.local_registry_auth_secret = value
    elif key == "localRegistryUsernameEnv":
        s.local_registry_username_env = value
    elif key == "localRegistryPasswordEnv":
        s.local_registry_password_env = value
    elif key == "listImages":
        s.list_images = value
    elif key == "listImagesConfigMap":
        check(bool(DNS_SUBDOMAIN.fullmatch(value)), "must be a ConfigMap name")
        s.list_images_configmap = value
    elif key == "maxInfoResults":
        s.max_info_results = value
