"""Validate and explain: the plan turned into findings, changing nothing."""

from __future__ import annotations

from fn import secret
from fn.config import Settings
from fn.plan import Plan, errors
from fn.problems import Problem
from fn.resourcelist import Item
from fn.results import ERROR, INFO, Result
from fn.targets import PullSecret


def validate(p: Plan, items: list[Item], s: Settings) -> list[Result]:
    """Every violation as an error result, and a summary last (not itself counted)."""
    out = p.results + p.unseen_results(ERROR)
    target = p.target
    out += [use.result(f"{target.problem} ({use.why})", ERROR) for use in p.uses
            if use.new is not None]
    ps = target.pull_secret
    namespaces: set[str | None] = set(s.namespaces) | {u.item.namespace for u in p.uses}
    for item, site in p.sites:
        namespaces.add(item.namespace)
        if ps is not None:
            out += _site_problems(item, site, ps)
    if ps is not None and target.checks_secret:
        out += _secret_problems(ps, items, namespaces)
    found = errors(out)
    out.append(Result(f"validate ({target.name}): {found} problems in {len(p.uses)} image "
                      f"references, {len(p.sites)} PodSpecs, {len(namespaces)} namespaces",
                      ERROR if found else INFO))
    return out


def _site_problems(item: Item, site, ps: PullSecret) -> list[Result]:
    try:
        names = site.names() or []
    except Problem as exc:
        return [exc.at(item.ref(), item.file()).result()]
    if ps.name in names:
        return []
    return [Result(f"PodSpec lacks the pull secret {ps.name}", ERROR, item.ref(),
                   {"path": site.path, "proposedValue": ps.name}, item.file())]


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
    return rows
