"""Validate and explain: the plan turned into findings, changing nothing."""

from __future__ import annotations

from fn import named, secret, secretchecks, secretforms
from fn.config import Settings
from fn.plan import Plan, errors, secret_namespaces, unserved
from fn.problems import Problem
from fn.resourcelist import Item
from fn.results import ERROR, INFO, Result, count
from fn.targets import PullSecret


def validate(p: Plan, items: list[Item], s: Settings) -> list[Result]:
    """A summary first (not itself counted), then every violation as an error result."""
    out = p.results + p.unseen_results(ERROR) + unserved(p)
    target = p.target
    out += [use.result(f"{target.problem} ({use.why})", ERROR, "image-not-on-target")
            for use in p.uses if use.new is not None]
    out += [named.result(item, word, target.problem, ERROR, "image-not-on-target")
            for item, word in p.named()]
    ps = target.pull_secret
    namespaces = secret_namespaces(p, s.namespaces)
    for item, site in p.sites:
        if ps is not None:
            out += _site_problems(item, site, ps)
    objects: list[Result] = []
    if ps is not None and s.secret_mode != secretforms.GENERATE:
        objects = secretchecks.problems(secretforms.Job(s, target, ps), items, namespaces)
    elif ps is not None and target.checks_secret:
        for name in secretforms.names(s, ps.name):  # and compatSecretNames
            objects += _secret_problems(ps._replace(name=name), items, namespaces)
    for r in objects:
        r.rule = "pull-secret-object"
    out += objects
    found = errors(out)
    summary = Result(f"validate ({target.name}): {count(found, 'problems')} in "
                     f"{count(len(p.uses), 'image references')}, "
                     f"{count(len(p.sites), 'PodSpecs')}, {count(len(namespaces), 'namespaces')}"
                     f"{secretforms.VALIDATE_NOTES.get(s.secret_mode, '')}",
                     ERROR if found else INFO)
    return [summary, *out]


def _site_problems(item: Item, site, ps: PullSecret) -> list[Result]:
    try:
        names = site.names() or []
    except Problem as exc:
        return [exc.at(item.ref(), item.file()).result()]
    if ps.name in names:
        return []
    r = Result(f"PodSpec lacks the pull secret {ps.name}", ERROR, item.ref(),
               {"path": site.path, "proposedValue": ps.name}, item.file())
    r.rule = "pull-secret-missing"
    r.offset = (item.editor.text, site.base.start)
    return [r]


def _secret_problems(ps: PullSecret, items: list[Item], namespaces: set[str | None]
                     ) -> list[Result]:
    """Each namespace needs the Secret, authenticating every host (with the configured
    credentials when they are known)."""
    out = []
    existing = secret.existing(items, ps.name)
    wanted = secret.authenticated_hosts(ps.payload) if ps.payload else {}
    for ns in sorted(namespaces, key=lambda n: n or ""):
        item = existing.get(ns)
        if item is None:
            where = f"namespace {ns}" if ns else "the default namespace"
            out.append(Result(f"no Secret {ps.name} in {where}", ERROR,
                              {"apiVersion": "v1", "kind": "Secret", "name": ps.name,
                               **({"namespace": ns} if ns else {})}))
            continue
        kind, value = secret.value_of(item.node)
        hosts = secret.authenticated_hosts(value.value) if value is not None else {}
        missing = [h for h in ps.hosts
                   if not hosts.get(h) or (wanted and hosts[h] != wanted.get(h))]
        if kind != secret.DOCKERCONFIGJSON:
            problem = f"is not of type {secret.DOCKERCONFIGJSON}"
        elif missing:
            problem = "does not authenticate " + " and ".join(missing) + (
                " with the configured credentials" if wanted else "")
        else:
            continue
        out.append(Result(f"pull secret {problem}", ERROR, item.ref(), None, item.file()))
    return out


def explain(p: Plan) -> list[dict]:
    """One row per image use: where, the decision and why, what it becomes."""
    rows = []
    for use in p.uses:
        i = use.item
        where = f"{i.kind}/{(i.namespace + '/') if i.namespace else ''}{i.name}"
        verdict = p.target.moved if use.new else ("invalid" if use.ref is None and not use.why
                                             else "kept")
        rows.append({"image": use.value, "resource": where, "use": use.field.owner,
                     "decision": verdict, "why": use.why or "not a valid image reference",
                     "newReference": use.new or use.value})
    for i, word in p.named():  # images containers name, moved with them (fn.named)
        where = f"{i.kind}/{(i.namespace + '/') if i.namespace else ''}{i.name}"
        rows.append({"image": word.value, "resource": where,
                     "use": f"named in {named.named_in(word.path)} {word.path}",
                     "decision": p.target.moved, "why": word.why, "newReference": word.new})
    return rows
