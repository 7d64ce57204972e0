"""Every image row of the user's accounts for itself: an ``imageFields`` row that found no
image in the resources of its kind (a path written otherwise than they have it, a "/" in
a key that YAML's double quotes turned into a separator) is a warning. Not an error, even
with ``strict``: the field may be one that no resource of the input happens to set. A
row for a kind the input has none of says nothing: a configuration may serve many
packages. (A ``pullSecretFields`` row that finds nothing leaves its images unserved,
which is said already.)"""

from __future__ import annotations

from fn import crdrows
from fn.config import Settings
from fn.fieldpath import template
from fn.fieldspecs import ANY_GROUP, FieldSpec, Table, version_of, written
from fn.locate import lists_resources
from fn.problems import Problem
from fn.results import WARNING


def problems(items: list, s: Settings) -> list[Problem]:
    out = []
    table = crdrows.table(s.image_fields, s.pull_secret_fields)  # (the one read with)
    for i, row in enumerate(s.image_fields):
        mine = [item for item in items if _of_kind(item, row)]
        if mine and not _found(items, row, table):
            kinds = "resource" if len(mine) == 1 else f"{len(mine)} resources"
            out.append(Problem(
                f"imageFields[{i}] (kind {row.kind}, path {written(row.path)}) found no "
                f"image in the {kinds} of its kind: is the path right? (its keys: "
                f"{', '.join(part.removesuffix('[]') for part in row.path)})",
                severity=WARNING, field=f"imageFields[{i}]"))
    return out


def _of_kind(item, row: FieldSpec) -> bool:
    if item.kind != row.kind or item.is_kptfile or item.local_config or item.problem:
        return False
    return row.group in (ANY_GROUP, item.group) and row.version in (
        "", version_of(item.api_version))


def _found(items: list, row: FieldSpec, table: Table) -> bool:
    """Whether an image field has the row's keys: in a resource of its kind, or in an
    entry of a kubectl List (whose kinds are not kept: any entry counts)."""
    shape = tuple(part.removesuffix("[]") for part in row.path)
    for item in items:
        listed = lists_resources(item.group, item.kind, table)
        fields = (f for site in item.sites for f in site.images)
        if (listed or _of_kind(item, row)) and any(_shape(f.path, listed) == shape
                                                   for f in fields):
            return True
    return False


def _shape(path: str, listed: bool) -> tuple[str, ...]:
    """A field's path as a row's keys: lists entered (with ``[]`` or not) leave no mark;
    in a List, the keys that lead to its entries neither."""
    keys = [part.removesuffix("[]") for part in template(path)]
    while listed and keys[:1] == ["items"]:
        keys.pop(0)
    return tuple(keys)
