"""validate for the pull secret's forms (``fn.secretforms``): each namespace needs the
form's objects, made for the pull secret. ``generate``'s Secrets are checked by
``fn.validate``; ``existing`` checks references only, and says so; a SealedSecret's sealed
value cannot be checked without the controller's private key, and the result says so."""

from __future__ import annotations

from fn import externalsecret
from fn import secretforms as sf
from fn.problems import Problem
from fn.resourcelist import Item
from fn.results import ERROR, INFO, Result


def problems(job: sf.Job, items: list[Item], namespaces: set[str | None]) -> list[Result]:
    """Each namespace needs the form's objects, made for the pull secret (``generate``'s
    Secrets are checked by fn.validate); ``existing`` checks references only, and says so."""
    if job.kind is None:
        return [Result(f"secretMode existing: {', '.join(job.names)} is created outside these "
                       "manifests; only the PodSpecs' references to it are checked", INFO)]
    out: list[Result] = []
    try:
        spaces = sf.spaces_for(job, namespaces, out)
    except Problem as exc:
        out.append(exc.result())
        spaces = sorted(n for n in namespaces if n is not None)
    for name in job.names:
        found = sf.existing(items, job.kind, name)
        for ns in spaces:
            item = found.get(ns)
            if item is None:
                out.append(_missing(job.kind, name, ns))
                continue
            out += [Result(f"{job.kind.kind} {finding}", ERROR, item.ref(), None, item.file())
                    for finding in FINDINGS[job.form](job, item, name)]
    if job.form == sf.SEALED:
        out.append(Result("SealedSecret: name, namespace and type checked; the sealed values "
                          "cannot be (only the controller's private key opens them)", INFO))
    return out


def _missing(kind: sf.Kind, name: str, ns: str | None) -> Result:
    where = f"namespace {ns}" if ns else "the default namespace"
    return Result(f"no {kind.kind} {name} in {where}", ERROR,
                  {"apiVersion": kind.api_version, "kind": kind.kind, "name": name,
                   **({"namespace": ns} if ns else {})})


def _dict(value: object, key: str) -> dict:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _external_findings(job: sf.Job, item: Item, name: str) -> list[str]:
    spec = sf.data_of(item.node, "spec")
    target = _dict(spec, "target")
    template = _dict(target, "template")
    want = externalsecret.dockerconfigjson_template(job.ps.hosts, login=not job.licensed)
    made = target.get("name") or item.name  # the operator's default: its own name
    return [finding for ok, finding in (
        (made == name, f"makes the Secret {made}, not {name}"),
        (template.get("type") == sf.DOCKERCONFIGJSON, sf.NOT_DOCKERCONFIGJSON),
        (template.get("engineVersion") == "v2" and _dict(template, "data").get(sf.KEY) == want,
         f"does not render the pull secret for {' and '.join(job.ps.hosts)} (its template "
         "is not this function's)"),
    ) if not ok]


def _sealed_findings(job: sf.Job, item: Item, name: str) -> list[str]:
    spec = sf.data_of(item.node, "spec")
    template = _dict(spec, "template")
    meta = _dict(template, "metadata")
    value = _dict(spec, "encryptedData").get(sf.KEY)
    return [finding for ok, finding in (
        (isinstance(value, str) and bool(value), f"has no encryptedData {sf.KEY}"),
        (template.get("type") == sf.DOCKERCONFIGJSON, sf.NOT_DOCKERCONFIGJSON),
        (meta.get("name", name) == name, f"makes the Secret {meta.get('name')}, not {name}"),
        (meta.get("namespace", item.namespace) == item.namespace,
         "makes its Secret in another namespace"),
    ) if not ok]


FINDINGS = {sf.EXTERNAL: _external_findings, sf.SEALED: _sealed_findings}
