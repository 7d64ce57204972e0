"""Where PodSpecs and their image fields are in a resource.

Built-in workload kinds have their PodSpec at a known path (data, below). Any other kind
is searched: every mapping under the object with a ``containers`` list holding a mapping
with an ``image`` is a PodSpec (Argo Rollout, Knative Service, KEDA ScaledJob, ...).
"""

from __future__ import annotations

from fn.nodes import Mapping, Node, Scalar, Sequence
from fn.yamlread import ALL, Policy

BUILTIN_GROUPS = frozenset({"", "apps", "batch", "extensions"})
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
SKIP_KEYS = frozenset({"metadata", "status"})
MAX_DEPTH = 100

# What of a resource is read (fn.yamlread policies), mirroring what this module and
# fn.transform look at. Everything else is only walked past.
_CONTAINER: Policy = {"name": ALL, "image": ALL}
POD_SPEC_POLICY: Policy = {
    **{k: {"[]": _CONTAINER} for k in CONTAINER_LISTS},
    "volumes": {"[]": {"name": ALL, "image": ALL}},
    "imagePullSecrets": ALL,
}
GENERATED = "fn.replicated-proxy/generated"  # on the Secrets this function writes
# annotations read anywhere in the function (fn.resourcelist)
ANNOTATIONS_READ = (
    "config.kubernetes.io/path", "internal.config.kubernetes.io/path",
    "config.kubernetes.io/index", "internal.config.kubernetes.io/index",
    "config.kubernetes.io/local-config", "fn.replicated-proxy/generated",
)
METADATA_POLICY: Policy = {"name": ALL, "namespace": ALL,
                           "annotations": dict.fromkeys(ANNOTATIONS_READ, ALL)}
# kinds with no PodSpec: only what identifies them (and a Secret's or ConfigMap's payload)
NO_POD_KINDS = frozenset({
    "APIService", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition",
    "Endpoints", "EndpointSlice", "HorizontalPodAutoscaler", "Ingress", "IngressClass",
    "Kptfile", "Lease", "LimitRange", "MutatingWebhookConfiguration", "Namespace",
    "NetworkPolicy", "PersistentVolume", "PersistentVolumeClaim", "PodDisruptionBudget",
    "PriorityClass", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service",
    "ServiceAccount", "StorageClass", "ValidatingWebhookConfiguration",
})
K8S_GROUPS = BUILTIN_GROUPS | {"autoscaling", "policy"}  # and every "*.k8s.io" group
PAYLOAD_POLICY: dict[str, Policy] = {
    "ConfigMap": {"data": {"license.yaml": ALL, "images.txt": ALL}},
    "Secret": {"type": ALL, "data": {".dockerconfigjson": ALL}},
}


def _nest(path: tuple[str, ...], leaf: Policy) -> Policy:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


_WORKLOAD_POLICY = {kind: _nest(path, POD_SPEC_POLICY) for kind, path in POD_SPEC_PATHS.items()}


def resource_policy(so_far: Mapping, key: str) -> Policy:
    """Read policy for one key of a resource, given the keys read before it."""
    if key in ("apiVersion", "kind"):
        return ALL
    if key == "metadata":
        return METADATA_POLICY
    kind = so_far.get("kind")
    api = so_far.get("apiVersion")
    if not isinstance(kind, Scalar) or not isinstance(api, Scalar):
        return ALL  # kind not known yet: read everything
    group = group_of(api.value)
    if kind.value in NO_POD_KINDS and (group in K8S_GROUPS or group.endswith(".k8s.io")):
        return PAYLOAD_POLICY.get(kind.value, {}).get(key)
    if group in BUILTIN_GROUPS and kind.value in _WORKLOAD_POLICY:
        return _WORKLOAD_POLICY[kind.value].get(key)
    return ALL  # custom resources: searched for embedded pod templates


class ImageField:
    __slots__ = ("node", "owner", "path")

    def __init__(self, path: str, node: Scalar, owner: str) -> None:
        self.path = path      # "spec.template.spec.containers[0].image"
        self.node = node
        self.owner = owner    # "container api", "initContainer setup", "volume data"


class PodSpec:
    __slots__ = ("images", "node", "path")

    def __init__(self, path: str, node: Mapping, images: list[ImageField]) -> None:
        self.path = path      # "spec.template.spec"
        self.node = node
        self.images = images


class TypeProblem(Exception):
    """A field the function reads has the wrong type (path, message)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def find(root: Mapping, api_version: str, kind: str) -> list[PodSpec]:
    """The PodSpecs of one resource; raises TypeProblem for wrong types in what it reads."""
    path = POD_SPEC_PATHS.get(kind) if group_of(api_version) in BUILTIN_GROUPS else None
    if path is not None:
        node: Node | None = root
        for i, key in enumerate(path):
            if not isinstance(node, Mapping):
                if _is_null(node):
                    return []
                raise TypeProblem(".".join(path[:i]), "must be a mapping")
            node = node.get(key)
        if node is None or _is_null(node):
            return []
        if not isinstance(node, Mapping):
            raise TypeProblem(".".join(path), "must be a mapping")
        spec = _podspec(node, ".".join(path), strict=True)
        return [spec] if spec.images or _has_lists(node) else []
    found: list[PodSpec] = []
    _search(root, "", found, set(), 0)
    return found


def _is_null(node: Node | None) -> bool:
    return isinstance(node, Scalar) and node.tag == "tag:yaml.org,2002:null"


def _has_lists(node: Mapping) -> bool:
    return any(isinstance(node.get(k), Sequence) for k in CONTAINER_LISTS)


def _search(node: Node, path: str, found: list[PodSpec], seen: set[int], depth: int) -> None:
    if id(node) in seen or depth > MAX_DEPTH:
        return
    seen.add(id(node))
    if isinstance(node, Mapping):
        containers = node.get("containers")
        if isinstance(containers, Sequence) and any(
            isinstance(c, Mapping) and c.get("image") is not None for c in containers.entries
        ):
            found.append(_podspec(node, path, strict=True))
            return
        for key, value in node.items():
            if depth == 0 and key.value in SKIP_KEYS:
                continue
            child = f"{path}.{key.value}" if path else str(key.value)
            _search(value, child, found, seen, depth + 1)
    elif isinstance(node, Sequence):
        for i, value in enumerate(node.entries):
            _search(value, f"{path}[{i}]", found, seen, depth + 1)


def _podspec(node: Mapping, path: str, strict: bool) -> PodSpec:
    images: list[ImageField] = []
    prefix = f"{path}." if path else ""
    for list_key in CONTAINER_LISTS:
        entries = _list(node.get(list_key), f"{prefix}{list_key}")
        singular = list_key[:-1]
        for i, c in enumerate(entries):
            where = f"{prefix}{list_key}[{i}]"
            if not isinstance(c, Mapping):
                raise TypeProblem(where, "must be a mapping")
            image = c.get("image")
            if image is None or _is_null(image):
                continue
            if not isinstance(image, Scalar) or image.tag != "tag:yaml.org,2002:str":
                raise TypeProblem(f"{where}.image", "must be a string")
            name = c.get("name")
            label = name.value if isinstance(name, Scalar) and name.tag.endswith(":str") else str(i)
            images.append(ImageField(f"{where}.image", image, f"{singular} {label}"))
    volumes = _list(node.get("volumes"), f"{prefix}volumes")
    for i, v in enumerate(volumes):
        where = f"{prefix}volumes[{i}]"
        if not isinstance(v, Mapping):
            raise TypeProblem(where, "must be a mapping")
        image = v.get("image")
        if image is None or _is_null(image):
            continue
        if not isinstance(image, Mapping):
            raise TypeProblem(f"{where}.image", "must be a mapping")
        ref = image.get("reference")
        if ref is None or _is_null(ref):
            continue
        if not isinstance(ref, Scalar) or ref.tag != "tag:yaml.org,2002:str":
            raise TypeProblem(f"{where}.image.reference", "must be a string")
        name = v.get("name")
        label = name.value if isinstance(name, Scalar) else str(i)
        images.append(ImageField(f"{where}.image.reference", ref, f"volume {label}"))
    return PodSpec(path, node, images)


def _list(node: Node | None, path: str) -> list[Node]:
    if node is None or _is_null(node):
        return []
    if not isinstance(node, Sequence):
        raise TypeProblem(path, "must be a list")
    return node.entries


def pull_secret_names(spec: PodSpec) -> list[str] | None:
    """Names in ``imagePullSecrets`` (None when the field is absent or null)."""
    node = spec.node.get("imagePullSecrets")
    if node is None or _is_null(node):
        return None
    path = f"{spec.path}.imagePullSecrets" if spec.path else "imagePullSecrets"
    if not isinstance(node, Sequence):
        raise TypeProblem(path, "must be a list")
    names = []
    for i, entry in enumerate(node.entries):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, Scalar):
            raise TypeProblem(f"{path}[{i}]", "must be a mapping with a name")
        names.append(name.value)
    return names
