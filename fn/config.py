"""The function's configuration: a ConfigMap (``data``) or a typed ``ReplicatedProxy`` (``spec``).

Both forms carry the same fields; the ConfigMap form (what kpt's ``-- key=value`` and
inline ``configMap:`` produce) has every value as a string.
"""

from __future__ import annotations

import re

from fn import crdrows, lazyre, patterns
from fn.patterns import Pattern
from fn.problems import Problem
from fn.redacted import Redacted

TYPED_API_VERSION = "fn.replicated-proxy/v1alpha1"
TYPED_KIND = "ReplicatedProxy"

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = lazyre.later(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # a DNS label: no "-" at an end
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
HOST = lazyre.later(rf"{_LABEL}(?:\.{_LABEL})*(?::{_PORT})?")
HOST_OR_IPV6 = lazyre.later(rf"{HOST.pattern}|\[[0-9A-Fa-f:]+\](?::{_PORT})?")
ON_PROBE_ERROR = ("private", "public", "error")
MODES = ("mutate", "validate")
SECRET_MODES = ("generate", "existing", "externalSecret", "sealed")  # fn.secretforms
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
ENV_NAME = lazyre.later(r"[A-Za-z_][A-Za-z0-9_]*")

# A check: (value -> problem or None). Each returns what is wrong, in the user's words.
def _matches(pattern: re.Pattern, what: str, limit: int = 253):
    return lambda v: None if pattern.fullmatch(v) and len(v) <= limit else f"must be {what}"


def _one_of(choices: tuple[str, ...]):
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}"


def _each(pattern: re.Pattern, what: str, limit: int = 253):
    return lambda vs: next((f"has {v!r}, which is not {what}" for v in vs
                            if not pattern.fullmatch(v) or len(v) > limit), None)


_NAME = _matches(DNS_SUBDOMAIN, "a valid Kubernetes name")
_HOSTPORT = _matches(HOST, "a host name, optionally with :port")

# field -> (Settings attribute, kind of value, check). Kinds: "str", "bool", "list",
# "patterns", "int", "count" (0 or more), "float", "duration", "license", "secret".
FIELDS: dict[str, tuple[str, str, object]] = {
    "license": ("license_doc", "license", None),
    "license.yaml": ("license_doc", "license", None),
    "licenseID": ("license_id", "secret", None),  # validated with the license
    "appSlug": ("app_slug", "str", None),         # validated with the license
    "licenseConfigMap": ("license_configmap", "str", _NAME),
    "privateImages": ("private", "patterns", None),
    "publicImages": ("public", "patterns", None),
    "proxyAll": ("proxy_all", "bool", None),
    "proxyDomain": ("proxy_domain", "str", _HOSTPORT),
    "registryDomain": ("registry_domain", "str", _HOSTPORT),
    "pullSecretName": ("pull_secret_name", "str", _NAME),
    "namespaces": ("namespaces", "list", _each(DNS_LABEL, "a valid namespace name", 63)),
    "mode": ("mode", "str", _one_of(MODES)),
    "probe": ("probe", "bool", None),
    "onProbeError": ("on_probe_error", "str", _one_of(ON_PROBE_ERROR)),
    "insecureRegistries": ("insecure_registries", "list", _each(HOST_OR_IPV6, "a host[:port]")),
    "probeCache": ("probe_cache", "str", None),
    "probeCacheTTL": ("probe_cache_ttl", "duration", None),
    "probeConcurrency": ("probe_concurrency", "int",
                         lambda v: None if v <= 100 else "must be at most 100"),
    "probeTimeout": ("probe_timeout", "float", None),
    "probeDeadline": ("probe_deadline", "float", None),
    "localRegistry": ("local_registry", "str", None),  # checked by fn.localregistry
    "localRegistryAuthSecret": ("local_registry_auth_secret", "str", _NAME),
    "localRegistryUsernameEnv": ("local_registry_username_env", "str", None),
    "localRegistryPasswordEnv": ("local_registry_password_env", "str", None),
    "listImages": ("list_images", "str", None),
    "listImagesConfigMap": ("list_images_configmap", "str", _NAME),
    "maxInfoResults": ("max_info_results", "count", None),
    # how the pull secret reaches the cluster (issue 13, fn.secretforms)
    "secretMode": ("secret_mode", "str", _one_of(SECRET_MODES)),
    "compatSecretNames": ("compat_secret_names", "list", _each(DNS_SUBDOMAIN, "a valid name")),
    "licenseIDEnv": ("license_id_env", "str", _matches(ENV_NAME, "an environment variable name")),
    "externalSecretStore": ("external_secret_store", "str", _NAME),
    "externalSecretStoreKind": ("external_secret_store_kind", "str", _one_of(STORE_KINDS)),
    "externalSecretKey": ("external_secret_key", "str", None),
    "externalSecretProperty": ("external_secret_property", "str", None),
    "sealedSecretCert": ("sealed_secret_cert", "str", None),
    "sealedSecretCertPEM": ("sealed_secret_cert_pem", "str", None),
    "imageFields": ("image_fields", "imagefields", None),          # fn.crdrows
    "pullSecretFields": ("pull_secret_fields", "secretfields", None),
    "licenseFile": ("license_file", "str", None),          # fn.kots
    "strict": ("strict", "bool", None),  # warnings about the config become errors
    "previousProxyDomains": ("previous_proxy_domains", "list",
                             _each(HOST, "a host name, optionally with :port")),
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
    from_application: tuple[str, ...] = ()  # attributes a KOTS Application gave (fn.kots)
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
    secret_mode: str = "generate"           # generate | existing | externalSecret | sealed
    compat_secret_names: tuple[str, ...] = ()  # more objects of the same form (KOTS's names)
    license_id_env: str | None = None       # an environment variable holding the license ID
    external_secret_store: str | None = None
    external_secret_store_kind: str = "ClusterSecretStore"
    external_secret_key: str | None = None  # the remote key holding the license ID
    external_secret_property: str | None = None
    sealed_secret_cert: str | None = None   # a PEM file: the sealed-secrets controller's cert
    sealed_secret_cert_pem: str | None = None  # or the PEM itself
    image_fields: tuple = ()                # the user's FieldSpec rows (fn.crdrows)
    pull_secret_fields: tuple = ()
    strict: bool = False
    license_file: str | None = None         # a License file (fn.kots)
    license_source: str | None = None       # where the license came from, for messages
    license_id_source: str = "functionConfig licenseID"
    previous_proxy_domains: tuple[str, ...] = ()  # earlier custom proxyDomains (fn.retarget)


def load(function_config: object) -> Settings:
    """Settings from the functionConfig object (already plain data)."""
    if function_config is None:
        raise Problem("no functionConfig: give a ConfigMap or a ReplicatedProxy with a license")
    if not isinstance(function_config, dict):
        raise Problem("functionConfig must be a mapping")
    kind = function_config.get("kind")
    api = function_config.get("apiVersion")
    if kind == TYPED_KIND:
        if api != TYPED_API_VERSION:
            raise Problem(f"{TYPED_KIND} must have apiVersion {TYPED_API_VERSION}")
        spec = function_config.get("spec")
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise Problem(f"{TYPED_KIND} spec must be a mapping", field="spec")
        return _settings(spec, typed=True, where="spec")
    if kind == "ConfigMap":
        data = function_config.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise Problem("ConfigMap data must be a mapping", field="data")
        return _settings(data, typed=False, where="data")
    raise Problem(f"functionConfig must be a ConfigMap or a {TYPED_API_VERSION} {TYPED_KIND}, "
                  f"not {kind!r}")


def _settings(raw: dict, typed: bool, where: str) -> Settings:
    s = Settings()
    other_form = _CONFIGMAP_ONLY if typed else _TYPED_ONLY
    for key, value in raw.items():
        field = FIELDS.get(key) if isinstance(key, str) else None
        if field is None or key in other_form:
            raise Problem(f"unknown field {where}.{key}{_hint(key, other_form)}",
                          field=f"{where}.{key}")
        if value is None:
            continue
        path = f"{where}.{key}"
        attribute, kind, check = field
        value = _COERCE.get(kind, _string)(value, path)
        problem = check(value) if check else None  # type: ignore[operator]
        if problem:
            raise Problem(f"{path} {problem}", field=path)
        finish = _FINISH.get(kind)
        setattr(s, attribute, finish(value, path) if finish else value)
    return s


def _hint(key: object, other_form: set[str]) -> str:
    """" (did you mean privateImages?)", or the known fields when nothing is close."""
    import difflib

    known = sorted(k for k in FIELDS if k not in other_form)
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[str(key).lower()]] if str(key).lower() in lowered else []
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known: {', '.join(known)})"


def _license(value: object, path: str) -> object:
    if isinstance(value, str | dict):
        return value
    raise Problem(f"{path} must be a License document (a mapping or YAML text)", field=path)


def _bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Problem(f"{path} must be true or false", field=path)


def _count(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise Problem(f"{path} must be a whole number, 0 or more", field=path)


def _positive(value: object, path: str, duration: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Problem(f"{path} must be a number", field=path)
    number = _number(value.strip(), duration, path) if isinstance(value, str) else float(value)
    if number <= 0:
        raise Problem(f"{path} must be greater than zero", field=path)
    return number


def _whole(value: object, path: str) -> int:
    number = _positive(value, path)
    if number != int(number):
        raise Problem(f"{path} must be a whole number", field=path)
    return int(number)


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise Problem(f"{path} must be a string", field=path)
    return value.strip()


# kind of value -> (value, path) -> the value in its type, or Problem
_COERCE = {
    "license": _license,
    "list": patterns.split_list,
    "patterns": patterns.split_list,
    "bool": _bool,
    "count": _count,
    "int": _whole,
    "float": _positive,
    "duration": lambda v, path: _positive(v, path, duration=True),
    "imagefields": lambda v, path: crdrows.user_rows(v, path),
    "secretfields": lambda v, path: crdrows.user_rows(v, path, secrets=True),
}
# kind of value -> what is kept once checked
_FINISH = {
    "secret": lambda v, path: Redacted(v),
    "patterns": lambda v, path: tuple(patterns.parse(p, path) for p in v),
    "list": lambda v, path: tuple(dict.fromkeys(v)),
}


_DURATION = lazyre.later(r"([0-9]+(?:\.[0-9]+)?)([smhd]?)")


def _number(text: str, duration: bool, path: str) -> float:
    m = _DURATION.fullmatch(text)
    if m is None or (m.group(2) and not duration):
        unit = " (seconds, or with s/m/h/d)" if duration else ""
        raise Problem(f"{path} must be a number{unit}", field=path)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
