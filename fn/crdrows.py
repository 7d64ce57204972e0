"""Custom resources' image and pull-secret locations as ``FieldSpec`` rows.

The built-in rows come from ``fn/fielddata.py`` (generated from ``fn/data/fields.yaml``,
checked against the CRDs' real schemas); the user's from the config fields
``imageFields`` and ``pullSecretFields``, in kustomize's field-spec form
(``{group, version, kind, path}``; ``[]`` marks a list, as in kustomize's own
``containers[]/image``; a key without it that holds a list is entered entry by entry, as
kustomize's field specs do, ``fn.locate``; a row without a group holds for its kind in
every group, as kustomize's do too). ``table(...)`` merges them with the PodSpec rows; a
custom resource's kind that only the user's rows name is still searched for pod templates
(``Table.also_searched``): a row adds places, it takes none away.

Where a pull-secret list serves images (``scope``) and what must exist before the list is
made (``anchor``) follow the CRDs' shapes:

- Strimzi ``<component>/template/pod/imagePullSecrets``: the component's images; made only
  under a component that exists (``spec/kafka``). ``template/buildPod`` (the Kaniko build
  pod) serves no image of the resource: kept, never made.
- ECK ``<x>/podTemplate/spec/imagePullSecrets``: every image of the resource (``spec.image``
  runs in that pod template), made under ``<x>`` (``spec``, ``spec/daemonSet``, each
  ``spec/nodeSets[]`` entry, which then serves only its own containers and ``spec.image``).
- Tekton ``spec[/taskRunTemplate]/podTemplate/imagePullSecrets``: every image, made under
  ``spec``; per-task ``taskRunSpecs[]`` pod templates are kept, never made.
- Anything else (Prometheus ``spec/imagePullSecrets``): the images under the mapping that
  holds the list.
- The user's ``pullSecretFields``: every image of the resource; made only where the
  mapping that holds the list exists.
"""

from __future__ import annotations

import functools

from fn import fielddata
from fn.fieldspecs import (
    ANY_GROUP,
    IMAGE_FIELDS,
    POD_SPEC_IMAGES,
    POD_SPEC_PULL_SECRETS,
    PULL_SECRET_FIELDS,
    FieldSpec,
    Table,
    split,
)
from fn.problems import Problem

ROW_KEYS = ("group", "version", "kind", "path")
IGNORED_KEYS = ("create",)  # kustomize's field-spec flag: lists are made where needed


def _placement(path: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(scope, anchor) of a pull-secret row from fields.yaml (see the module's doc)."""
    parts = path[:-1]
    if len(parts) >= 2 and parts[-2] == "template" and parts[-1] in ("pod", "buildPod"):
        anchor = parts[:-2]
        return ((*anchor, "build") if parts[-1] == "buildPod" else anchor), anchor
    if "podTemplate" in parts or "taskPodTemplate" in parts:
        word = "podTemplate" if "podTemplate" in parts else "taskPodTemplate"
        anchor = parts[:parts.index(word)]
        if anchor[-1:] == ("taskRunTemplate",):
            anchor = anchor[:-1]
        if anchor and anchor[-1].startswith("taskRunSpecs"):
            return anchor, anchor
        return ("spec",), anchor
    return parts, parts


def _builtin() -> tuple[list[FieldSpec], list[FieldSpec]]:
    images = [FieldSpec(g, k, split(p), version=v) for g, v, k, p in fielddata.IMAGE_FIELDS]
    secrets = []
    for g, v, k, p in fielddata.PULL_SECRET_FIELDS:
        path = split(p)
        scope, anchor = _placement(path)
        secrets.append(FieldSpec(g, k, path, scope, v, anchor))
    listed = {(s.group, s.kind, s.path) for s in secrets}
    for g, v, k, p in fielddata.POD_TEMPLATES:
        base = split(p)
        images += [FieldSpec(g, k, base + split(i), version=v) for i in POD_SPEC_IMAGES]
        if (g, k, (*base, POD_SPEC_PULL_SECRETS)) not in listed:
            secrets.append(FieldSpec(g, k, (*base, POD_SPEC_PULL_SECRETS), base, v))
    return images, secrets


CRD_IMAGES, CRD_PULL_SECRETS = _builtin()
BUILTIN = Table(IMAGE_FIELDS + CRD_IMAGES, PULL_SECRET_FIELDS + CRD_PULL_SECRETS)
# (group, kind) -> paths of fields named like images that are not pulled images
NOT_IMAGES: dict[tuple[str, str], set[tuple[str, ...]]] = {}
for _g, _v, _k, _p in fielddata.NOT_IMAGES:
    NOT_IMAGES.setdefault((_g, _k), set()).add(split(_p))


def user_rows(value: object, field: str, secrets: bool = False) -> tuple[FieldSpec, ...]:
    """``imageFields`` / ``pullSecretFields``: a list of field specs, or YAML text of one
    (the ConfigMap form)."""
    if isinstance(value, str):
        import yaml

        try:
            value = yaml.load(value, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            raise Problem(f"{field} is not valid YAML", field=field) from None
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Problem(f"{field} must be a list of {{group, version, kind, path}}", field=field)
    return tuple(_row(entry, f"{field}[{i}]", secrets) for i, entry in enumerate(value))


def _row(entry: object, where: str, secrets: bool) -> FieldSpec:
    if not isinstance(entry, dict):
        raise Problem(f"{where} must be a mapping with kind and path", field=where)
    unknown = sorted(str(k) for k in entry if k not in ROW_KEYS + IGNORED_KEYS)
    if unknown:
        raise Problem(f"{where} has unknown key {unknown[0]!r} (known: "
                      f"{', '.join(ROW_KEYS)})", field=where)
    values = {}
    for key in ROW_KEYS:
        v = entry.get(key, "")
        if v is None:
            v = ""
        if not isinstance(v, str):
            raise Problem(f"{where}.{key} must be a string", field=f"{where}.{key}")
        values[key] = v.strip()
    path = split(values["path"])
    if not values["kind"] or not path:
        raise Problem(f"{where} needs kind and path", field=where)
    if secrets and path[-1].endswith("[]"):
        raise Problem(f"{where}.path must name the list itself (no [] at the end)",
                      field=f"{where}.path")
    # a user's pull-secret list serves every image of the resource, and is made (when
    # absent) only where the mapping that holds it exists
    return FieldSpec(values["group"] or ANY_GROUP, values["kind"], path, (),
                     values["version"], path[:-1] if secrets else None)


@functools.lru_cache(maxsize=8)  # (one table for the reading and fn.rowcount)
def table(images: tuple[FieldSpec, ...], secrets: tuple[FieldSpec, ...]) -> Table:
    """The built-in table, or the built-in rows and the user's together."""
    if not images and not secrets:
        return BUILTIN
    return Table(IMAGE_FIELDS + CRD_IMAGES, PULL_SECRET_FIELDS + CRD_PULL_SECRETS,
                 (images, secrets))
