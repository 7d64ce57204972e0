"""Every image row of the user's accounts for itself: an ``imageFields`` row that found no
field in the resources of its kind (a path written otherwise than they have it, a "/" in
a key that YAML's double quotes turned into a separator) is a warning, or with
``strict: "true"`` an error, as a pattern that matched no image is (fn.patterncount).
A row for a kind the input has none of says nothing: a configuration may serve many
packages. (A ``pullSecretFields`` row that finds nothing leaves its images unserved,
which is said already.)"""

from __future__ import annotations

from fn.config import Settings
from fn.fieldpath import template
from fn.fieldspecs import ANY_GROUP, FieldSpec
from fn.problems import Problem
from fn.results import ERROR, WARNING


def problems(items: list, s: Settings) -> list[Problem]:
    out = []
    for i, row in enumerate(s.image_fields):
        mine = [item for item in items if _of_kind(item, row)]
        if mine and not any(_found(item, row) for item in mine):
            kinds = "resource" if len(mine) == 1 else f"{len(mine)} resources"
            out.append(Problem(
                f"imageFields[{i}] (kind {row.kind}, path {_written(row)}) found no "
                f"image in the {kinds} of its kind: is the path right? (its keys: "
                f"{', '.join(part.removesuffix('[]') for part in row.path)})",
                severity=ERROR if s.strict else WARNING, field=f"imageFields[{i}]"))
    return out


def _of_kind(item, row: FieldSpec) -> bool:
    if item.kind != row.kind or item.is_kptfile or item.local_config or item.problem:
        return False
    version = item.api_version.rsplit("/", 1)[-1]
    return row.group in (ANY_GROUP, item.group) and row.version in ("", version)


def _found(item, row: FieldSpec) -> bool:
    shape = tuple(part.removesuffix("[]") for part in row.path)
    return any(_shape(field.path) == shape for site in item.sites for field in site.images)


def _written(row: FieldSpec) -> str:
    return "/".join(part.replace("/", "\\/") for part in row.path)


def _shape(path: str) -> tuple[str, ...]:
    """A field's path as a row's keys: lists entered (with ``[]`` or not) leave no mark."""
    return tuple(part.removesuffix("[]") for part in template(path))
