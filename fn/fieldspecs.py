"""Where images and pull secrets live: data, in the form of kustomize's field specs.

A row is ``(group, kind, path)``; ``path`` is ``/``-separated, ``[]`` after a key means
"every entry of this list" (``spec/template/spec/containers[]/image``); a key without it
that holds a list is entered entry by entry all the same, as in kustomize. ``IMAGE_FIELDS``
are scalar image references; ``PULL_SECRET_FIELDS`` are ``imagePullSecrets``-shaped lists
(``[{name: ...}]``). A pull-secret row serves the image fields of its resource under its
``scope`` (by default the mapping that holds the list: a PodSpec serves its containers).

What the YAML reader keeps of a resource (``read_policy``) is derived from the same rows,
so a new row is one line here and nothing else. Kinds no row names are searched for
embedded pod templates (``fn.locate``) and so are read whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from fn.yamlread import ALL, Policy


class FieldSpec(NamedTuple):
    group: str
    kind: str
    path: tuple[str, ...]       # ("spec", "containers[]", "image")
    scope: tuple[str, ...] = ()  # pull-secret rows: where the images it serves are
    version: str = ""            # "": every version of the kind
    anchor: tuple[str, ...] | None = None  # pull-secret rows: the mapping that must exist
    #                             (the list and mappings below it are made); None: scope


def split(path: str) -> tuple[str, ...]:
    """A path's segments; ``\\/`` is a "/" inside one (``metadata/annotations/a.io\\/image``),
    as kustomize reads field specs."""
    parts: list[str] = []
    for part in path.strip("/").split("/"):
        if parts and parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1] + "/" + part
        elif part:
            parts.append(part)
    return tuple(parts)


def written(segments: Iterable[str]) -> str:
    """Segments in field-spec form, a "/" inside one written "\\/" (``split``'s inverse)."""
    return "/".join(part.replace("/", "\\/") for part in segments)


def is_list(segment: str) -> bool:
    return segment.endswith("[]")


# Where a whole core/v1 PodSpec sits, per kind (group "" is the core group).
POD_SPECS: tuple[tuple[str, str, str], ...] = (
    ("", "Pod", "spec"),
    ("", "PodTemplate", "template/spec"),
    ("", "ReplicationController", "spec/template/spec"),
    *((group, kind, "spec/template/spec") for group in ("apps", "extensions")
      for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")),
    ("batch", "Job", "spec/template/spec"),
    ("batch", "CronJob", "spec/jobTemplate/spec/template/spec"),
)
# Inside a PodSpec, in the order images are listed.
POD_SPEC_IMAGES = ("containers[]/image", "initContainers[]/image",
                   "ephemeralContainers[]/image", "volumes[]/image/reference")
POD_SPEC_PULL_SECRETS = "imagePullSecrets"
# What else of a container may name an image its program pulls (an operator's
# ``--config-reloader-image=...``, OLM's ``RELATED_IMAGE_*``): read for fn.named.
CONTAINER_MENTIONS: dict = {"args": ALL, "command": ALL,
                            "env": {"[]": {"name": ALL, "value": ALL}}}
# A mapping with this list, whose entries have an image, is taken for a PodSpec when a
# kind has no row (Argo Rollout, Knative Service, KEDA ScaledJob, ...).
POD_SPEC_MARK = "containers"


def _pod_spec_rows() -> tuple[list[FieldSpec], list[FieldSpec]]:
    images, secrets = [], []
    for group, kind, where in POD_SPECS:
        base = split(where)
        images += [FieldSpec(group, kind, base + split(p)) for p in POD_SPEC_IMAGES]
        secrets.append(FieldSpec(group, kind, (*base, POD_SPEC_PULL_SECRETS), base))
    return images, secrets


IMAGE_FIELDS, PULL_SECRET_FIELDS = _pod_spec_rows()
IN_POD_SPEC = ([FieldSpec("", "", split(p)) for p in POD_SPEC_IMAGES],
               [FieldSpec("", "", (POD_SPEC_PULL_SECRETS,))])


# A user's row without a group holds for its kind in every group, as in kustomize's field
# specs (built-in rows name theirs: "" is the core group).
ANY_GROUP = "*"
# Kubernetes' own API groups. Not every "*.k8s.io" group: custom resources live there too
# (sparkoperator.k8s.io, gateway.networking.k8s.io, snapshot.storage.k8s.io), searched whole.
K8S_GROUPS = frozenset({
    "", "apps", "batch", "extensions", "autoscaling", "policy",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "internal.apiserver.k8s.io", "networking.k8s.io",
    "node.k8s.io", "rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io",
    "storage.k8s.io", "storagemigration.k8s.io",
})


def is_k8s_group(group: str) -> bool:
    return group in K8S_GROUPS


Rows = tuple[list[FieldSpec], list[FieldSpec]]


class Table:
    """The rows by (group, kind), and the read policy they imply. A row whose group is
    ``ANY_GROUP`` holds for its kind in every group."""

    def __init__(self, images: Iterable[FieldSpec], secrets: Iterable[FieldSpec],
                 user: tuple[Iterable[FieldSpec], Iterable[FieldSpec]] = ((), ())) -> None:
        self.rows: dict[tuple[str, str], Rows] = {}
        for spec in images:
            self.rows.setdefault((spec.group, spec.kind), ([], []))[0].append(spec)
        for spec in secrets:
            self.rows.setdefault((spec.group, spec.kind), ([], []))[1].append(spec)
        built_in = set(self.rows)
        for where, specs in enumerate(user):  # the user's image rows, pull-secret rows
            for spec in specs:
                self.rows.setdefault((spec.group, spec.kind), ([], []))[where].append(spec)
        # kinds only the user's rows name: their rows add to the search for pod templates
        self.searched = frozenset(set(self.rows) - built_in)
        self._any = {kind: rows for (group, kind), rows in self.rows.items()
                     if group == ANY_GROUP}
        self._with_any: dict[tuple[str, str], Rows | None] = {}
        self._policies: dict[tuple[str, str], Policy] = {}
        self._metadata: Policy = None
        self._found: dict[tuple[str, str, str | None], Rows | None] = {}  # (find's)

    def policy(self, group: str, kind: str) -> Policy:
        """The read policy of a built-in kind's rows (None: no rows; made on first use).
        Custom resources are read whole (fn.locate): only built-in kinds need one."""
        key = (group, kind)
        if key not in self._policies:
            rows = self._rows(group, kind) if is_k8s_group(group) else None
            self._policies[key] = None if rows is None else _policy(rows[0] + rows[1])
        return self._policies[key]

    def _rows(self, group: str, kind: str) -> Rows | None:
        rows = self.rows.get((group, kind))
        if kind not in self._any:
            return rows
        key = (group, kind)
        if key not in self._with_any:
            every = self._any[kind]
            self._with_any[key] = every if rows is None else (
                rows[0] + every[0], rows[1] + every[1])
        return self._with_any[key]

    def metadata_policy(self) -> Policy:
        """How every resource's metadata is read: what the function reads of it, and
        what any row under ``metadata`` names (a row does not know the kind's place in
        the text: metadata may come before ``kind``)."""
        if self._metadata is None:
            self._metadata = METADATA_POLICY
            for spec in (s for rows in self.rows.values() for s in rows[0] + rows[1]):
                if spec.path[0] == "metadata" and len(spec.path) > 1:
                    self._metadata = union(self._metadata, _path_policy(spec)["metadata"])
        return self._metadata

    def also_searched(self, group: str, kind: str) -> bool:
        """Whether only the user's rows name the kind, which without them would be read
        whole and searched for pod templates: it still is (fn.locate; a row adds places,
        it takes none away). Kinds that hold no image are not searched either way."""
        if holds_no_image(group, kind):
            return False
        return (group, kind) in self.searched or (
            (ANY_GROUP, kind) in self.searched and (group, kind) not in self.rows)

    def find(self, group: str, kind: str, version: str | None = None) -> Rows | None:
        """The kind's (image rows, pull-secret rows); with ``version``, only the rows
        for every version and for that one (the same lists for every item: not to be
        changed)."""
        key = (group, kind, version)
        if key not in self._found:
            self._found[key] = self._find(group, kind, version)
        return self._found[key]

    def _find(self, group: str, kind: str, version: str | None) -> Rows | None:
        rows = self._rows(group, kind)
        if rows is None or version is None or not any(r.version for r in rows[0] + rows[1]):
            return rows
        return ([r for r in rows[0] if r.version in ("", version)],
                [r for r in rows[1] if r.version in ("", version)])


def _policy(specs: list[FieldSpec]) -> Policy:
    """A read policy keeping every path (and the ``name`` of list entries, for labels)."""
    out: Policy = None
    for spec in specs:
        out = union(out, _path_policy(spec))
    return out


def _path_policy(spec: FieldSpec) -> dict:
    """One row's read policy. A key without ``[]`` that holds a list is entered entry by
    entry (and a list in a list too), as kustomize's field specs do: its policy is also
    its own entries' (a cycle: ``p["[]"] is p``)."""
    *parents, leaf = spec.path
    inner: dict = {leaf.removesuffix("[]"): ALL}
    if leaf == "image" and parents and is_list(parents[-1]):  # a container's
        inner.update(CONTAINER_MENTIONS)
    for segment in reversed(parents):
        if is_list(segment):
            value = {"[]": {"name": ALL, **inner}}
        else:
            value = dict(inner)
            value["[]"] = value
        inner = {segment.removesuffix("[]"): value}
    return inner


def union(a: Policy, b: Policy, seen: dict | None = None) -> Policy:
    """A policy keeping what either keeps (cycles, ``_path_policy``'s, are followed once)."""
    if a is None or b is None:
        return b if a is None else a
    if a is b:
        return a
    if ALL in (a, b) or not isinstance(a, dict) or not isinstance(b, dict):
        return ALL
    seen = {} if seen is None else seen
    out = seen.get((id(a), id(b)))
    if out is None:
        out = seen[(id(a), id(b))] = {}
        for key in (*a, *(k for k in b if k not in a)):
            out[key] = union(a.get(key), b.get(key), seen)
    return out


BUILTIN = Table(IMAGE_FIELDS, PULL_SECRET_FIELDS)

GENERATED = "fn.replicated-proxy/generated"  # on the Secrets this function writes
# on a SealedSecret: the fingerprint of what its encryptedData was sealed from (fn.sealing)
SEALED_FROM = "fn.replicated-proxy/sealed-from"
# custom resources whose whole node is kept: the pull secret in another form (fn.secretforms)
SECRET_KINDS = frozenset({("external-secrets.io", "ExternalSecret"),
                          ("bitnami.com", "SealedSecret")})
# annotations read anywhere in the function (fn.resourcelist)
ANNOTATIONS_READ = (
    "config.kubernetes.io/path", "internal.config.kubernetes.io/path",
    "config.kubernetes.io/index", "internal.config.kubernetes.io/index",
    "config.kubernetes.io/local-config", GENERATED, SEALED_FROM,
)
METADATA_POLICY: Policy = {"name": ALL, "namespace": ALL,
                           "annotations": dict.fromkeys(ANNOTATIONS_READ, ALL)}
# Kinds that hold no image: only what identifies them (and a Secret's or ConfigMap's
# payload) is read.
NO_IMAGE_KINDS = frozenset({
    "APIService", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition",
    "Endpoints", "EndpointSlice", "HorizontalPodAutoscaler", "Ingress", "IngressClass",
    "Kptfile", "Lease", "LimitRange", "MutatingWebhookConfiguration", "Namespace",
    "NetworkPolicy", "PersistentVolume", "PersistentVolumeClaim", "PodDisruptionBudget",
    "PriorityClass", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service",
    "ServiceAccount", "StorageClass", "ValidatingWebhookConfiguration",
})
CONFIGMAP_PAYLOADS = ("license.yaml", "images.txt")  # keys of a ConfigMap the function reads
PAYLOAD_POLICY: dict[str, Policy] = {  # (every value of a ConfigMap: fn.uncovered's data)
    "ConfigMap": {"data": ALL},
    "Secret": {"type": ALL, "data": {".dockerconfigjson": ALL}},
}


def holds_no_image(group: str, kind: str) -> bool:
    """A built-in kind that holds no image (a Service, a Role, ...): read only for its
    identity and payload, searched for nothing."""
    return kind in NO_IMAGE_KINDS and is_k8s_group(group)


def version_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[-1]


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""
