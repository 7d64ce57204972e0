"""JSON schemas of the function config, generated from :data:`fn.config.FIELDS`.

``python -m fn.schema [DIR]`` writes ``replicatedproxy.json`` (the typed
``fn.replicated-proxy/v1alpha1`` ``ReplicatedProxy``) and ``configmap.json`` (the ConfigMap
form: every value a string) into DIR (default: ``schemas/`` of the repository). The checked-in
files are compared with a fresh generation by tests/test_schema.py.

What comes from where:

- the fields, and which form has which: ``fn.config.FIELDS`` (the one place fields are
  defined) and its ``_TYPED_ONLY`` / ``_CONFIGMAP_ONLY`` sets;
- the JSON type of each field: its kind in ``FIELDS`` (:data:`TYPED_KINDS`);
- the checks that ``FIELDS`` holds as functions, restated as JSON Schema keywords
  (:data:`CONSTRAINTS`, built from the same constants: ``DNS_SUBDOMAIN``, ``HOST``,
  ``MODES``, ...); tests/test_schema.py checks that a value the schema accepts is accepted
  by the function too;
- one description per field (:data:`DESCRIPTIONS`, keyed by field name).

A schema accepts the canonical spelling; the function is a little more lenient (it strips
whitespace around values, and accepts null as "not given"). Not in the schemas: the items
of the ConfigMap form's comma separated lists, the license ID's and ``localRegistry``'s
syntax (checked with the license and by fn.localregistry).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fn import config

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://github.com/replicated-proxy-fn/replicated-proxy-fn/raw/main/schemas/"

DESCRIPTIONS: dict[str, str] = {
    "imageFields": "More image locations, in kustomize's field-spec form: a list of {group, "
                   "version, kind, path} (in the ConfigMap form, the YAML text of one); [] "
                   "marks a list (spec/steps[]/image); as in kustomize, a key without it that "
                   "holds a list is entered entry by entry; a / inside a key is written \\/; "
                   "group omitted: the kind in every group; version omitted: every version.",
    "pullSecretFields": "More imagePullSecrets-shaped lists, in the same form; one serves every "
                        "image of its resource.",
    "licenseFile": "A file holding the License (exec mode; relative to where the function "
                   "runs).",
    "strict": "true: warnings about the configuration become errors (a pattern that matched "
              "no image, or that a publicImages pattern overrides for every image; config and "
              "license disagreeing).",
    "previousProxyDomains": "Earlier custom proxyDomains: images on <one of them>/proxy/<slug>/ "
                            "are re-targeted to the current proxy.",
    "secretMode": "How the pull secret reaches the cluster: generate (a Secret from the "
                  "license, written into the output), existing (none written: PodSpecs name "
                  "pullSecretName, which someone else creates), externalSecret (an External "
                  "Secrets Operator ExternalSecret), or sealed (a Bitnami SealedSecret).",
    "compatSecretNames": "Extra names for the pull secret's objects (e.g. "
                         "kotsadm-replicated-registry, which KOTS writes too); PodSpecs name "
                         "only pullSecretName.",
    "licenseIDEnv": "The name of an environment variable holding the license ID (exec mode; "
                    "kustomize envs:, kpt --env).",
    "externalSecretStore": "externalSecret: the SecretStore or ClusterSecretStore holding the "
                           "license ID.",
    "externalSecretStoreKind": "externalSecret: SecretStore or ClusterSecretStore.",
    "externalSecretKey": "externalSecret: the remote key of the license ID in the store.",
    "externalSecretProperty": "externalSecret: the property of that key, if any.",
    "sealedSecretCert": "sealed: a file with the sealed-secrets controller's PEM certificate.",
    "sealedSecretCertPEM": "sealed: the controller's PEM certificate itself.",
    "license": "The Replicated License document (kots.io/v1beta1 or v1beta2), as a mapping "
               "or as YAML text. Its spec.licenseID, spec.appSlug and spec.endpoint are used.",
    "license.yaml": "The Replicated License document (kots.io/v1beta1 or v1beta2) as YAML "
                    "text. Its spec.licenseID, spec.appSlug and spec.endpoint are used.",
    "licenseID": "The license ID, instead of or overriding the license's. Never printed.",
    "appSlug": "The application slug, instead of or overriding the license's.",
    "licenseConfigMap": "Name of a ConfigMap among the items whose data.license.yaml holds the "
                        "license; the function marks it config.kubernetes.io/local-config.",
    "privateImages": "Image patterns to pull through the proxy: registry hosts, repository "
                     "prefixes or globs.",
    "publicImages": "Image patterns never proxied; they win over everything else.",
    "proxyAll": "Every image is private (KOTS proxyPublicImages). Default false.",
    "proxyDomain": "The proxy host. Default proxy.replicated.com (staging: "
                   "proxy.staging.replicated.com).",
    "registryDomain": "The Replicated registry host. Default registry.replicated.com "
                      "(staging: registry.staging.replicated.com).",
    "pullSecretName": "Name of the generated pull Secret. Default <appSlug>-registry.",
    "namespaces": "Extra namespaces that also get the Secret (like KOTS additionalNamespaces).",
    "mode": "mutate (default) or validate (change nothing, report violations).",
    "probe": "Ask the registry, anonymously, whether an image matched by no pattern is "
             "private. Needs network. Default false.",
    "onProbeError": "What an image whose probe failed is: private (default), public, or "
                    "error (fail the run).",
    "insecureRegistries": "Registry hosts[:port] that may be probed over plain http.",
    "probeCache": "A JSON file that keeps probe verdicts between runs.",
    "probeCacheTTL": "How long a cached verdict is kept: seconds, or with s, m, h or d. "
                     "Default 24h.",
    "probeConcurrency": "Probes run at once (1-100). Default 10.",
    "probeTimeout": "Seconds per probe request. Default 5.",
    "probeDeadline": "Seconds for all probes together. Default 60.",
    "localRegistry": "host[:port][/namespace] of a local registry (air gap): every image is "
                     "rewritten to it and no license is needed.",
    "localRegistryAuthSecret": "Name of an existing dockerconfigjson Secret for the local "
                               "registry, added to every PodSpec.",
    "localRegistryUsernameEnv": "Environment variable holding the local registry user name.",
    "localRegistryPasswordEnv": "Environment variable holding the local registry password.",
    "listImages": "A file to write one '<source> <new>' line per image to (exec mode).",
    "listImagesConfigMap": "Name of a local-config ConfigMap item to keep the image list in "
                           "(data.images.txt).",
    "maxInfoResults": "How many per-image info results to list; 0 lists all. Default 100.",
}


def _pattern(regex: str) -> str:
    """A Python ``fullmatch`` pattern as a JSON Schema (ECMA-262, search) pattern."""
    return f"^(?:{regex})$"


_NAME = {"pattern": _pattern(config.DNS_SUBDOMAIN.pattern), "maxLength": 253}
_HOSTPORT = {"pattern": _pattern(config.HOST.pattern), "maxLength": 253}

# JSON Schema keywords for the checks FIELDS holds as functions (typed form; for lists they
# apply to each item). Kept beside the constants they restate: tests/test_schema.py feeds
# the same values to the schema and to fn.config and fails where the schema is laxer.
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "appSlug": {"pattern": _pattern(config.DNS_LABEL.pattern), "maxLength": 63},
    "licenseConfigMap": _NAME,
    "proxyDomain": _HOSTPORT,
    "registryDomain": _HOSTPORT,
    "pullSecretName": _NAME,
    "namespaces": {"pattern": _pattern(config.DNS_LABEL.pattern), "maxLength": 63},
    "mode": {"enum": list(config.MODES)},
    "onProbeError": {"enum": list(config.ON_PROBE_ERROR)},
    "insecureRegistries": {"pattern": _pattern(config.HOST_OR_IPV6.pattern), "maxLength": 253},
    "probeConcurrency": {"maximum": 100},
    "localRegistryAuthSecret": _NAME,
    "listImagesConfigMap": _NAME,
    "secretMode": {"enum": list(config.SECRET_MODES)},
    "compatSecretNames": _NAME,
    "licenseIDEnv": {"pattern": _pattern(config.ENV_NAME.pattern)},
    "externalSecretStore": _NAME,
    "externalSecretStoreKind": {"enum": list(config.STORE_KINDS)},
    "previousProxyDomains": {"pattern": _pattern(config.HOST.pattern), "maxLength": 253},
}

# A positive number as text, as fn.config reads it: digits, optionally a fraction; not zero.
_POSITIVE = r"[0-9]*[1-9][0-9]*(?:\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*"
_BOOL_TEXT = {"type": "string", "pattern": _pattern("[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]")}
_STRING_FORMS: dict[str, dict[str, Any]] = {
    "bool": _BOOL_TEXT,
    "count": {"type": "string", "pattern": _pattern("[0-9]+")},
    "int": {"type": "string", "pattern": _pattern(r"[0-9]*[1-9][0-9]*(?:\.0+)?")},
    "float": {"type": "string", "pattern": _pattern(_POSITIVE)},
    "duration": {"type": "string", "pattern": _pattern(f"(?:{_POSITIVE})[smhd]?")},
}
# probeConcurrency as text: 1 to 100
_STRING_OVERRIDES: dict[str, dict[str, Any]] = {
    "probeConcurrency": {"type": "string", "pattern": _pattern(r"0*(?:[1-9][0-9]?|100)(?:\.0+)?")},
}

# kind -> JSON schema of a value of that kind in the typed form
_FIELD_SPEC = {"type": "object", "required": ["path"], "additionalProperties": False,
               "properties": {k: {"type": "string"} for k in ("group", "version", "kind",
                                                               "path")}}
TYPED_KINDS: dict[str, dict[str, Any]] = {
    "imagefields": {"anyOf": [{"type": "array", "items": _FIELD_SPEC}, {"type": "string"}]},
    "secretfields": {"anyOf": [{"type": "array", "items": _FIELD_SPEC}, {"type": "string"}]},
    "license": {"type": ["object", "string"]},
    "secret": {"type": "string", "minLength": 1},
    "str": {"type": "string"},
    "bool": {"anyOf": [{"type": "boolean"}, _BOOL_TEXT]},
    "list": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
    "patterns": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                           {"type": "string"}]},
    "count": {"anyOf": [{"type": "integer", "minimum": 0}, _STRING_FORMS["count"]]},
    "int": {"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, _STRING_FORMS["int"]]},
    "float": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, _STRING_FORMS["float"]]},
    "duration": {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                           _STRING_FORMS["duration"]]},
}


def _typed_field(name: str, kind: str) -> dict[str, Any]:
    schema = json.loads(json.dumps(TYPED_KINDS[kind]))  # a copy to add to
    extra = CONSTRAINTS.get(name, {})
    if extra:
        if kind in ("list", "patterns"):
            schema["anyOf"][0]["items"].update(extra)
        elif kind == "str":
            schema.update(extra)
        elif kind == "int":
            schema["anyOf"][0].update(extra)
            schema["anyOf"][1] = _STRING_OVERRIDES.get(name, schema["anyOf"][1])
        else:
            raise ValueError(f"no rule to apply constraints to {name} ({kind})")
    return {"description": DESCRIPTIONS[name], **schema}


def _configmap_field(name: str, kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if kind == "str" and name in CONSTRAINTS:
        schema.update(CONSTRAINTS[name])
    elif kind in _STRING_FORMS:
        schema = dict(_STRING_OVERRIDES.get(name, _STRING_FORMS[kind]))
    elif kind == "secret":
        schema["minLength"] = 1
    return {"description": DESCRIPTIONS[name], **schema}


def _fields(typed: bool) -> dict[str, Any]:
    other_form = config._CONFIGMAP_ONLY if typed else config._TYPED_ONLY
    make = _typed_field if typed else _configmap_field
    return {name: make(name, kind) for name, (_, kind, _) in config.FIELDS.items()
            if name not in other_form}


def _metadata() -> dict[str, Any]:
    return {"type": "object", "properties": {"name": {"type": "string"}}}


def replicated_proxy() -> dict[str, Any]:
    """The schema of the typed ``ReplicatedProxy``."""
    api, kind = config.TYPED_API_VERSION, config.TYPED_KIND
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + "replicatedproxy.json",
        "title": f"{api} {kind}",
        "description": "functionConfig of replicated-proxy-fn: pull private images through "
                       "the Replicated proxy registry. Generated by `python -m fn.schema`.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {
            "apiVersion": {"const": api},
            "kind": {"const": kind},
            "metadata": _metadata(),
            "spec": {"type": "object", "additionalProperties": False,
                     "properties": _fields(typed=True)},
        },
    }


def configmap() -> dict[str, Any]:
    """The schema of the ConfigMap form (what ``kpt fn eval -- k=v`` makes)."""
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + "configmap.json",
        "title": "ConfigMap functionConfig of replicated-proxy-fn",
        "description": "The ConfigMap form of the config: the same fields as ReplicatedProxy "
                       "spec, every value a string. Generated by `python -m fn.schema`.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {
            "apiVersion": {"const": "v1"},
            "kind": {"const": "ConfigMap"},
            "metadata": _metadata(),
            "data": {"type": "object", "additionalProperties": False,
                     "properties": _fields(typed=False)},
        },
    }


def krm_function_definition() -> dict[str, Any]:
    """A ``KRMFunctionDefinition`` (config.kubernetes.io/v1alpha1), kpt's function metadata:
    the typed config's schema as OpenAPI v3, usage, examples, runtime."""
    group, version = config.TYPED_API_VERSION.split("/")
    home = "https://github.com/replicated-proxy-fn/replicated-proxy-fn"
    return {
        "apiVersion": "config.kubernetes.io/v1alpha1",
        "kind": "KRMFunctionDefinition",
        "metadata": {"name": f"{config.TYPED_KIND.lower()}s.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": config.TYPED_KIND},
            "description": "Pull private images through the Replicated proxy registry: "
                           "rewrite them, add the license's pull secret to every PodSpec, "
                           "write the dockerconfigjson Secret; or validate that a package "
                           "does so.",
            "publisher": "replicated-proxy-fn",
            "home": home,
            "tags": ["mutator", "validator", "replicated", "image-registry"],
            "versions": [{
                "name": version,
                "schema": {"openAPIV3Schema": _openapi(replicated_proxy())},
                "idempotent": True,
                "usage": f"{home}/blob/main/README.md",
                "examples": [f"{home}/tree/main/examples/{name}" for name in
                             ("kpt-package", "kustomize-exec", "quickstart", "stream")],
                "license": "Apache 2.0",
                "runtime": {"container": {"image": "ghcr.io/replicated-proxy-fn/"
                                                   "replicated-proxy-fn",
                                          "requireNetwork": False,
                                          "requireStorageMount": False}},
            }],
        },
    }


def _openapi(node: Any) -> Any:
    """A JSON schema as OpenAPI v3 has it: no $schema/$id, ``const`` as a one-value enum."""
    if isinstance(node, dict):
        out = {k: _openapi(v) for k, v in node.items() if k not in ("$schema", "$id")}
        if "const" in out:
            out["enum"] = [out.pop("const")]
        return out
    if isinstance(node, list):
        return [_openapi(v) for v in node]
    return node


FILES = {"replicatedproxy.json": replicated_proxy, "configmap.json": configmap,
         "krmfunctiondefinition.yaml": krm_function_definition}


def render(make) -> str:
    return json.dumps(make(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (out / name).write_text(render(make), encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
