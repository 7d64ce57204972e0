"""Generate ``fn/fielddata.py`` from ``fn/data/fields.yaml`` (build and test time only).

The YAML file is what people edit and what ``tests/test_fields_data.py`` checks against
the real CRD schemas; the generated module is what the function imports, so a run pays
for no YAML parsing of it (``tests/test_fielddata.py`` checks that the two agree).

    python3 -m fn.fieldsgen          # rewrite fn/fielddata.py
"""

from __future__ import annotations

import sys
from pathlib import Path

LISTS = ("imageFields", "pullSecretFields", "podTemplates", "notImages")
NAMES = {"imageFields": "IMAGE_FIELDS", "pullSecretFields": "PULL_SECRET_FIELDS",
         "podTemplates": "POD_TEMPLATES", "notImages": "NOT_IMAGES"}
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "data" / "fields.yaml"
TARGET = HERE / "fielddata.py"


def render(text: str) -> str:
    """The module's text for the YAML ``text``."""
    import yaml

    data = yaml.safe_load(text)
    lines = ["# ruff: noqa: E501",
             '"""Generated from fn/data/fields.yaml by ``python3 -m fn.fieldsgen``: do not edit.',
             "", "Rows are (group, version, kind, path); version \"\" holds for every version.",
             '"""', ""]
    for key in LISTS:
        lines.append(f"{NAMES[key]}: tuple[tuple[str, str, str, str], ...] = (")
        for row in data.get(key) or ():
            values = (row["group"], row.get("version", ""), row["kind"], row["path"])
            lines.append(f"    {values!r},")
        lines += [")", ""]
    return "\n".join(lines)


def main() -> int:
    TARGET.write_text(render(SOURCE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
