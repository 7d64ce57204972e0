"""How the pull secret reaches the cluster (issue 13): ``secretMode``, one of

    generate        a v1 Secret with the license-derived ``.dockerconfigjson`` (the default)
    existing        nothing: the user creates ``pullSecretName`` (the Replicated SDK's
                    ``enterprise-pull-secret``, ``kubectl create secret docker-registry``)
    externalSecret  an External Secrets Operator ExternalSecret per namespace, rendering the
                    same ``.dockerconfigjson`` from the license ID in the user's store
    sealed          a Bitnami SealedSecret per namespace (strict scope), sealed from exactly
                    what ``generate`` would write

Every form puts only ``pullSecretName`` on the PodSpecs; ``compatSecretNames`` are more
objects of the same form (KOTS writes ``kotsadm-replicated-registry`` beside
``<slug>-registry``). Objects this function wrote carry ``fn.replicated-proxy/generated``:
a re-run updates them, drops them where no longer needed, and drops ours of another form
(switching forms leaves no stale credential behind). Someone else's object of the same name
is an error. Only ``sealed`` imports ``fn.sealing`` (and so ``cryptography``).
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import NamedTuple

from fn import externalsecret, secret
from fn.config import SECRET_MODES, Settings
from fn.fieldspecs import GENERATED, SEALED_FROM, group_of
from fn.intents import intend
from fn.nodes import Mapping, Scalar, to_python
from fn.problems import Problem
from fn.resourcelist import Item, kpt_annotations
from fn.results import INFO, Result

GENERATE, EXISTING, EXTERNAL, SEALED = SECRET_MODES
KEY = ".dockerconfigjson"
DOCKERCONFIGJSON = secret.DOCKERCONFIGJSON
NOT_DOCKERCONFIGJSON = f"does not make a {DOCKERCONFIGJSON} Secret"


class Kind(NamedTuple):
    api_version: str
    kind: str
    file: str  # kpt's file for a new one: <namespace>/<file>_<name>.yaml

    @property
    def group(self) -> str:
        return group_of(self.api_version)


# form -> the kind of object it writes (``existing`` writes none)
KINDS: dict[str, Kind] = {
    GENERATE: Kind("v1", "Secret", "secret"),
    EXTERNAL: Kind(externalsecret.API_VERSION, externalsecret.KIND, "externalsecret"),
    SEALED: Kind("bitnami.com/v1alpha1", "SealedSecret", "sealedsecret"),  # = fn.sealing's
}
# forms whose output holds the license ID (sealed: encrypted), so mutate needs it
NEEDS_LICENSE_ID = frozenset({GENERATE, SEALED})
# forms bound to one namespace each (a SealedSecret is sealed to <namespace>/<name>)
NAMESPACED = frozenset({SEALED})
# what validate's summary adds, per form
VALIDATE_NOTES = {
    EXISTING: "; secretMode existing: the Secret is made outside, only references checked",
    SEALED: "; secretMode sealed: the sealed values cannot be checked, only their objects",
}
# what a form needs from the configuration, as (form, missing?, message)
REQUIRED = (
    (EXTERNAL, lambda s: not s.external_secret_store,
     "secretMode externalSecret needs externalSecretStore: the (Cluster)SecretStore that "
     "holds the license ID"),
    (EXTERNAL, lambda s: not s.external_secret_key,
     "secretMode externalSecret needs externalSecretKey: the license ID's key in the store"),
    (SEALED, lambda s: not (s.sealed_secret_cert or s.sealed_secret_cert_pem),
     "secretMode sealed needs the sealed-secrets controller's certificate: sealedSecretCert "
     "(a PEM file, from 'kubeseal --fetch-cert') or sealedSecretCertPEM (the PEM itself)"),
    (SEALED, lambda s: bool(s.sealed_secret_cert and s.sealed_secret_cert_pem),
     "give sealedSecretCert or sealedSecretCertPEM, not both"),
    (EXTERNAL, lambda s: bool(s.local_registry_auth_secret),
     "localRegistryAuthSecret names an existing Secret: use secretMode existing"),
    (SEALED, lambda s: bool(s.local_registry_auth_secret),
     "localRegistryAuthSecret names an existing Secret: use secretMode existing"),
)


def needs_license_id(s: Settings) -> bool:
    return s.secret_mode in NEEDS_LICENSE_ID


def names(s: Settings, name: str) -> tuple[str, ...]:
    """The pull secret's name, then the compatibility names."""
    return (name, *(n for n in s.compat_secret_names if n != name))


def writes(s: Settings, payload: object) -> bool:
    """Whether mutate has objects to reconcile (generate: only with credentials)."""
    return payload is not None or s.secret_mode != GENERATE


def noun(s: Settings) -> str:
    kind = KINDS.get(s.secret_mode)
    return f"{kind.kind}s" if kind else "Secrets"


class Job:
    """One run of a form: the settings, the pull secret, and what the target knows."""

    def __init__(self, s: Settings, target, ps) -> None:
        self.s = s
        self.form = s.secret_mode
        self.kind = KINDS.get(self.form)
        self.ps = ps                        # fn.targets.PullSecret
        self.app_slug: str = target.app_slug
        self.licensed: bool = target.licensed  # license ID, else a registry login
        self.names = names(s, ps.name)
        self._cert: bytes | str | None = None

    def labels(self) -> dict[str, str]:
        return {"kots.io/app-slug": self.app_slug} if self.app_slug else {}

    def cert(self) -> bytes | str:
        if self._cert is None:
            self._cert = self.s.sealed_secret_cert_pem or _read_cert(self.s.sealed_secret_cert)
        return self._cert

    def seal(self, name: str, namespace: str, previous: dict | None) -> tuple[str, str]:
        if self.ps.payload is None:
            raise Problem("secretMode sealed in local registry mode seals the registry login: "
                          "set localRegistryUsernameEnv and localRegistryPasswordEnv")
        plaintext = base64.b64decode(self.ps.payload)
        return sealing().seal_once(previous, KEY, plaintext, self.cert(), namespace, name)


def sealing():
    """fn.sealing, which needs the optional cryptography package (looked for first: without
    it, nothing of fn.sealing is imported, hashlib included)."""
    import importlib.util

    message = ("secretMode sealed needs the cryptography package: pip install "
               "'replicated-proxy-fn[sealed]'; the container image: build it with EXTRAS=sealed")
    if importlib.util.find_spec("cryptography") is None:
        raise Problem(message)
    try:
        from fn import sealing as module
    except ImportError:
        raise Problem(message) from None
    return module


def _read_cert(path: str | None) -> bytes:
    try:
        from pathlib import Path  # (sealed mode only: not imported by every run)

        return Path(path or "").read_bytes()
    except OSError as exc:
        raise Problem(f"sealedSecretCert: cannot read {path}: {exc.strerror}",
                      field="sealedSecretCert") from None


def check(s: Settings) -> None:
    """What the form needs from the configuration (mutate)."""
    for form, missing, message in REQUIRED:
        if s.secret_mode == form and missing(s):
            raise Problem(message, field="secretMode")


# ------------------------------------------------------------------------------ mutate


def reconcile(job: Job, items: list[Item], namespaces: set[str | None], kpt_paths: bool,
              results: list[Result]) -> tuple[list[dict], list[Item]]:
    """The form's objects for each name and namespace: new, updated (ours), kept (the
    same), or an error; and ours that are no longer needed."""
    check(job.s)
    spaces = spaces_for(job, namespaces, results)
    new: list[dict] = []
    drop: list[Item] = []
    taken = Counter(at[0] for i in items if (at := i.file_at()) is not None
                    ) if kpt_paths else None
    for name in job.names:
        if job.kind is not None:
            drop += _one_name(job, existing(items, job.kind, name), name, spaces, taken, new,
                              results)
        drop += [i for i in items if i.generated and i.name == name
                 and (i.group, i.kind) in _other_kinds(job.form)]
    if job.form == EXISTING:
        results.append(Result(f"secretMode existing: no Secret written; create "
                              f"{', '.join(job.names)} in {_where(spaces)}", INFO))
    return new, drop


def _one_name(job: Job, found: dict[str | None, Item], name: str, spaces: list[str | None],
              taken: Counter | None, new: list[dict], results: list[Result]) -> list[Item]:
    """Objects named ``name``: built or kept in each namespace; ours elsewhere, to drop.
    One of ours that must change is replaced whole (dropped, and made again in its file)."""
    assert job.kind is not None
    drop = [i for ns, i in found.items() if ns not in spaces and i.generated]
    for ns in spaces:
        item = found.get(ns)
        if item is None:
            path = _free_path(job.kind, name, ns, taken) if taken is not None else None
            new.append(BUILD[job.form](job, name, ns, path))
            continue
        path = item.file_path if taken is not None else None
        said, replacement = KEEP[job.form](job, item, name, ns, path)
        results += said
        if replacement is not None:
            drop.append(item)
            new.append(replacement)
    return drop


def spaces_for(job: Job, namespaces: set[str | None], results: list[Result]
                ) -> list[str | None]:
    spaces = sorted(namespaces, key=lambda n: n or "")
    if job.form not in NAMESPACED or None not in namespaces:
        return spaces
    if not job.s.namespaces or "namespaces" in job.s.from_application:  # (KOTS: extra ones)
        kots = " (an Application's additionalNamespaces are besides them)" * bool(job.s.namespaces)
        raise Problem("secretMode sealed: a SealedSecret is sealed to one namespace, and some "
                      "PodSpecs have none; give them a metadata.namespace, or list the "
                      f"namespaces they are deployed to in namespaces{kots}", field="namespaces")
    results.append(Result("PodSpecs without a namespace: SealedSecrets are made for "
                          f"namespaces {', '.join(job.s.namespaces)} only", INFO))
    return [n for n in spaces if n is not None]


def _where(spaces: list[str | None]) -> str:
    listed = ", ".join(n or "(no namespace)" for n in spaces)
    return f"namespace{'s' if len(spaces) > 1 else ''} {listed}" if spaces else "no namespace"


def _other_kinds(form: str) -> set[tuple[str, str]]:
    return {(k.group, k.kind) for f, k in KINDS.items() if f != form}


def existing(items: list[Item], kind: Kind, name: str) -> dict[str | None, Item]:
    """The objects of ``kind`` named ``name`` among the items, by namespace."""
    return {i.namespace: i for i in items
            if i.kind == kind.kind and i.group == kind.group and i.name == name}


def default_path(kind: Kind, name: str, namespace: str | None) -> str:
    """kpt's default file for a new object: ``<namespace>/<kind>_<name>.yaml``."""
    base = f"{kind.file}_{name}.yaml"
    return f"{namespace}/{base}" if namespace else base


def _free_path(kind: Kind, name: str, ns: str | None, taken: Counter) -> str:
    """kpt's file for a new object, numbered when another item has that file."""
    path = default_path(kind, name, ns)
    n = 1
    while taken[path]:
        n += 1
        path = default_path(kind, f"{name}-{n}", ns)
    taken[path] += 1
    return path


def _annotations(path: str | None) -> dict[str, str]:
    return {GENERATED: "true", **(kpt_annotations(path) if path is not None else {})}


def _build_secret(job: Job, name: str, ns: str | None, path: str | None) -> dict:
    return secret.manifest(name, job.ps.payload or "", job.app_slug, ns, path)


def _build_external(job: Job, name: str, ns: str | None, path: str | None) -> dict:
    s = job.s
    store = {"name": s.external_secret_store or "", "kind": s.external_secret_store_kind}
    return externalsecret.manifest(name, ns, store, s.external_secret_key or "",
                                   s.external_secret_property, job.ps.hosts, job.app_slug,
                                   _annotations(path), login=not job.licensed)


def _build_sealed(job: Job, name: str, ns: str | None, path: str | None,
                  previous: dict | None = None) -> dict:
    value, mark = job.seal(name, ns or "", previous)
    return sealing().manifest(name, ns or "", {KEY: value}, DOCKERCONFIGJSON,
                              annotations={GENERATED: "true", SEALED_FROM: mark,
                                           **_annotations(path)},
                              labels=job.labels())


def _conflict(job: Job, item: Item, name: str, ns: str | None) -> Problem:
    where = f"{ns}/" if ns else ""
    fix = "choose another pullSecretName" if name == job.ps.name else \
        "take it out of compatSecretNames"
    return Problem(f"{item.kind} {where}{name} already exists and is not the pull secret "
                   f"this function makes; remove it, or {fix}",
                   resource=item.ref(), file=item.file())


# form -> (job, item, name, namespace, its kpt path) -> (results, a replacement or None)
Kept = tuple[list[Result], dict | None]


def _keep_secret(job: Job, item: Item, name: str, ns: str | None, path: str | None) -> Kept:
    kind, value = secret.value_of(item.node)  # type: ignore[arg-type]
    payload = job.ps.payload or ""
    if kind == DOCKERCONFIGJSON and value is not None:
        if secret.authenticated_hosts(value.value) == secret.authenticated_hosts(payload):
            return [], None
        if item.generated:
            item.editor.set_scalar(value, payload)
            intend(item, "set", ("data", ".dockerconfigjson"), payload)
            return [Result("pull secret updated", INFO, item.ref(), None, item.file())], None
    raise _conflict(job, item, name, ns)


def _keep_external(job: Job, item: Item, name: str, ns: str | None, path: str | None
                   ) -> Kept:
    want = _build_external(job, name, ns, path)
    if data_of(item.node, "spec") == want["spec"]:
        return [], None
    if not item.generated:
        raise _conflict(job, item, name, ns)
    return [Result("ExternalSecret updated", INFO, item.ref(), None, item.file())], want


def _keep_sealed(job: Job, item: Item, name: str, ns: str | None, path: str | None) -> Kept:
    """Ours keeps its sealed value while the plaintext, target and certificate are the
    same (``fn.sealing.seal_once``): re-runs do not churn Git."""
    if not item.generated:
        raise _conflict(job, item, name, ns)
    previous = data_of(item.node)
    want = _build_sealed(job, name, ns, path, previous if isinstance(previous, dict) else None)
    mark = want["metadata"]["annotations"][SEALED_FROM]
    if data_of(item.node, "spec") == want["spec"] and _annotation(item, SEALED_FROM) == mark:
        return [], None
    return [Result("pull secret sealed again (its content, name or certificate changed)",
                   INFO, item.ref(), None, item.file())], want


def data_of(node: Mapping | None, key: str | None = None) -> object:
    try:
        return to_python(node.get(key) if key and node is not None else node)
    except ValueError:
        return None


def _annotation(item: Item, key: str) -> str | None:
    meta = item.node.get("metadata") if item.node is not None else None
    notes = meta.get("annotations") if isinstance(meta, Mapping) else None
    value = notes.get(key) if isinstance(notes, Mapping) else None
    return value.value if isinstance(value, Scalar) else None


BUILD = {GENERATE: _build_secret, EXTERNAL: _build_external, SEALED: _build_sealed}
KEEP = {GENERATE: _keep_secret, EXTERNAL: _keep_external, SEALED: _keep_sealed}
