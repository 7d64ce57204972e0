"""License and config agree, or say so: an ``appSlug`` or license ID given in the config
(or by ``licenseIDEnv``) that differs from the license's is a warning naming both sources
(never the license ID itself); with ``strict: "true"`` an error. The config's value is the
one used."""

from __future__ import annotations

from fn import license
from fn.config import Settings
from fn.problems import Problem, Problems
from fn.results import ERROR, WARNING, Result


def check(s: Settings, license_text: object) -> list[Result]:
    spec, where = license.document(s, license_text)
    if not spec:
        return []
    severity = ERROR if s.strict else WARNING
    found = []
    slug = spec.get("appSlug")
    if s.app_slug is not None and isinstance(slug, str) and slug != s.app_slug:
        found.append(Problem(f"appSlug {s.app_slug!r} from functionConfig appSlug differs from "
                             f"{slug!r}, spec.appSlug of {where}"
                             f"{_using(s, 'functionConfig appSlug')}",
                             severity=severity, field="appSlug"))
    lid = spec.get("licenseID")
    if s.license_id is not None and isinstance(lid, str) and lid != s.license_id.reveal():
        found.append(Problem(f"the license ID from {s.license_id_source} differs from "
                             f"spec.licenseID of {where}{_using(s, s.license_id_source)}",
                             severity=severity, field="licenseID"))
    if found and s.strict:
        raise Problems(found)
    return [p.result() for p in found]


def _using(s: Settings, source: str) -> str:
    return " (strict)" if s.strict else f"; using {source}"
