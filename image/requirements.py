"""The container image's requirements: the package's dependencies, less those that only an
optional feature needs, plus the extras asked for.

A dependency that is also listed under an extra in ``pyproject.toml`` (httpx, under
``probe``; the ``test`` extra does not count) serves that feature only: ``pip install .``
installs it, the image only with ``EXTRAS`` naming the extra. Prints one requirement a
line, for ``pip install -r``.

    python3 requirements.py pyproject.toml "probe,sealed"
"""

from __future__ import annotations

import re
import sys
import tomllib

NOT_FEATURES = {"test"}  # extras that are not a feature of the function (its test tools)


def name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def requirements(project: dict, extras: list[str]) -> list[str]:
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"EXTRAS: no such extra {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(optional))})")
    feature_only = {name(r) for extra, group in optional.items() if extra not in NOT_FEATURES
                    for r in group}
    chosen = [r for r in project.get("dependencies", []) if name(r) not in feature_only]
    for extra in extras:
        chosen += optional[extra]
    return list(dict.fromkeys(chosen))


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        project = tomllib.load(f)["project"]
    extras = [e.strip() for e in (sys.argv[2] if len(sys.argv) > 2 else "").split(",")]
    print("\n".join(requirements(project, [e for e in extras if e])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
