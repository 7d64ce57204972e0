"""The pull secret as an External Secrets Operator ``ExternalSecret``.

The operator reads the license ID from the user's secret store and renders the
``kubernetes.io/dockerconfigjson`` Secret itself, so no credential is in the manifests.
``spec.target.template.data[".dockerconfigjson"]`` is a template for ESO's engine v2 (Go
``text/template`` with sprig's text functions; external-secrets ``runtime/template/v2``)
whose output is byte for byte the decoded ``.dockerconfigjson`` that ``generate`` writes
(:func:`fn.secret.dockerconfigjson`): compact, key-sorted
``{"auths":{"<host>":{"auth":"<base64 of LICENSE_ID:<id>>"},...}}``. ESO stores the
rendered bytes as the Secret's data (the API shows them base64-encoded, like ``generate``'s).

Assumes the operator's default template delimiters ``{{``/``}}`` (its
``--template-left-delimiter``/``--template-right-delimiter`` flags change them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from fn import lazyre
from fn.problems import Problem

# served and storage in the operator's CRD (v2.9.0); v1beta1 is deprecated and not served
API_VERSION = "external-secrets.io/v1"
KIND = "ExternalSecret"
DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
# the key under which the license ID fetched from the store is seen by the template
LICENSE_KEY = "licenseID"
STORE_KINDS = ("SecretStore", "ClusterSecretStore")

_HOST = lazyre.later(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?")
_AUTH_SLOT = "@AUTH@"  # cannot be a host, so it is only where the auth value goes
_AUTH_EXPR = f'{{{{ $auth := printf "LICENSE_ID:%s" .{LICENSE_KEY} | b64enc }}}}'
# local registry mode: the store holds the registry's login, as two properties of one key
LOGIN_KEYS = ("username", "password")
_LOGIN_EXPR = '{{ $auth := printf "%s:%s" .username .password | b64enc }}'


class ExternalSecretError(Problem):
    """Configuration the ExternalSecret cannot be built from; the message is one line."""


def dockerconfigjson_template(hosts: Iterable[str], login: bool = False) -> str:
    """The engine-v2 template rendering ``generate``'s ``.dockerconfigjson`` (decoded) from
    ``.licenseID`` (``login``: from ``.username`` and ``.password``, a local registry's).
    ``b64enc`` is sprig's (standard base64, padded); ``printf`` is Go's."""
    unique = sorted(set(hosts))
    if not unique:
        raise ExternalSecretError("the ExternalSecret needs at least one registry host")
    for host in unique:
        if not _HOST.fullmatch(host):
            raise ExternalSecretError(f"registry host {host!r} is not a host name[:port]")
    skeleton = json.dumps({"auths": {h: {"auth": _AUTH_SLOT} for h in unique}},
                          sort_keys=True, separators=(",", ":"))
    return (_LOGIN_EXPR if login else _AUTH_EXPR) + skeleton.replace(_AUTH_SLOT, "{{ $auth }}")


def manifest(name: str, namespace: str | None, secret_store_ref: Mapping[str, str],
             remote_key: str, remote_property: str | None, hosts: Iterable[str],
             app_slug: str = "", annotations: Mapping[str, str] | None = None,
             login: bool = False) -> dict:
    """The ExternalSecret ``name`` whose target is the dockerconfigjson Secret ``name``.

    ``secret_store_ref``: ``{"name": ..., "kind": "SecretStore" | "ClusterSecretStore"}``
    (kind defaults to SecretStore); ``remote_key``/``remote_property``: where the license ID
    is in that store. ``annotations`` go on the ExternalSecret; the app-slug label goes on
    both it and the Secret the operator creates. ``login``: the key's ``username`` and
    ``password`` properties are a registry login (local registry mode), not a license ID."""
    store = _store(secret_store_ref)
    data = _data(remote_key, remote_property, login)
    labels = {"kots.io/app-slug": app_slug} if app_slug else {}

    metadata: dict = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    template: dict = {
        "engineVersion": "v2",
        "mergePolicy": "Replace",
        "type": DOCKERCONFIGJSON,
        "data": {".dockerconfigjson": dockerconfigjson_template(hosts, login)},
    }
    if labels:
        template["metadata"] = {"labels": dict(labels)}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "secretStoreRef": store,
            "target": {"name": name, "creationPolicy": "Owner", "template": template},
            "data": data,
        },
    }


def _store(ref: Mapping[str, str]) -> dict:
    name, kind = ref.get("name"), ref.get("kind") or "SecretStore"
    if not name:
        raise ExternalSecretError("secretStoreRef needs a name")
    if kind not in STORE_KINDS:
        raise ExternalSecretError(
            f"secretStoreRef kind {kind!r} is not one of {', '.join(STORE_KINDS)}")
    return {"name": name, "kind": kind}


def _data(remote_key: str, remote_property: str | None, login: bool) -> list[dict]:
    """``spec.data``: the license ID (or the login's two properties) from the store."""
    if not remote_key:
        raise ExternalSecretError("the ExternalSecret needs the remote key of the license ID")
    if login and remote_property:
        raise ExternalSecretError("externalSecretProperty does not apply to a registry login "
                                  "(the key's username and password properties are read)")
    if login:
        return [{"secretKey": k, "remoteRef": {"key": remote_key, "property": k}}
                for k in LOGIN_KEYS]
    remote_ref: dict = {"key": remote_key}
    if remote_property:
        remote_ref["property"] = remote_property
    return [{"secretKey": LICENSE_KEY, "remoteRef": remote_ref}]
