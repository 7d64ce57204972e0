"""The function's core: items and settings in; decisions, splices, Secrets and results out.

``plan`` reads and decides (no changes); ``mutate`` turns a plan into edits and new
Secrets; ``validate`` turns the same plan into error results. I/O lives elsewhere.
"""

from __future__ import annotations

from collections import Counter

from fn import classify, imageref, license, podspecs, secret
from fn.config import Settings
from fn.errors import FnError
from fn.imageref import ImageRef, InvalidReference
from fn.license import Proxy
from fn.nodes import Mapping, Scalar
from fn.resourcelist import LOCAL_CONFIG, Item
from fn.results import ERROR, INFO, WARNING, Result


class Use:
    """One image field in one PodSpec, and what should become of it."""

    __slots__ = ("image", "item", "new", "ref", "spec", "value", "why")

    def __init__(self, item: Item, spec: podspecs.PodSpec, image: podspecs.ImageField,
                 value: str) -> None:
        self.item = item
        self.spec = spec
        self.image = image
        self.value = value
        self.ref: ImageRef | None = None
        self.new: str | None = None   # the reference it should have (None: keep)
        self.why = ""

    def result(self, message: str, severity: str) -> Result:
        return Result(message, severity, self.item.ref(),
                      {"path": self.image.path, "currentValue": self.value,
                       **({"proposedValue": self.new} if self.new else {})},
                      self.item.file())


class Plan:
    """What the function decided: every image use, every PodSpec with images."""

    def __init__(self, proxy: Proxy, license_item: Item | None) -> None:
        self.proxy = proxy
        self.license_item = license_item
        self.uses: list[Use] = []
        self.specs: list[tuple[Item, podspecs.PodSpec]] = []
        self.results: list[Result] = []


def proxied(ref: ImageRef, proxy: Proxy) -> str:
    """``<proxy>/proxy/<app>/<name as written>`` + the original ``:tag`` / ``@digest``."""
    return f"{proxy.proxy_domain}/proxy/{proxy.app_slug}/{ref.name}{ref.suffix}"


def on_host(value: str, host: str) -> bool:
    return value.startswith(host + "/")


def plan(items: list[Item], s: Settings, require_license: bool = True) -> Plan:
    license_item, item_license = _license_source(items, s)
    if not require_license and s.license_id is None and s.license_doc is None \
            and item_license is None:
        from fn.errors import Redacted

        s.license_id = Redacted("unset")
    p = Plan(license.resolve(s, item_license), license_item)
    problems: list[Result] = []
    for item in items:
        if item.is_kptfile or item.local_config or item is license_item:
            continue
        try:
            specs = podspecs.find(item.node, item.api_version, item.kind)
        except podspecs.TypeProblem as exc:
            problems.append(Result(exc.message, ERROR, item.ref(), {"path": exc.path}, item.file()))
            continue
        for spec in specs:
            if spec.images:
                p.specs.append((item, spec))
            for image in spec.images:
                p.uses.append(Use(item, spec, image, image.node.value))
    if problems:
        raise Failed(problems)
    _decide(p, s)
    return p


class Failed(Exception):
    """Errors that end the run; they are reported as results."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__(f"{len(results)} errors")
        self.results = results


def _license_source(items: list[Item], s: Settings) -> tuple[Item | None, str | None]:
    if s.license_configmap is None:
        return None, None
    found = [i for i in items if i.kind == "ConfigMap" and i.group == ""
             and i.name == s.license_configmap]
    if not found:
        raise FnError(f"licenseConfigMap: no ConfigMap {s.license_configmap!r} among the items")
    if len(found) > 1:
        raise FnError(f"licenseConfigMap: more than one ConfigMap named {s.license_configmap!r}")
    data = found[0].node.get("data")
    text = data.get("license.yaml") if isinstance(data, Mapping) else None
    if not isinstance(text, Scalar) or text.tag != "tag:yaml.org,2002:str":
        raise FnError(f"ConfigMap {s.license_configmap} has no data.license.yaml")
    return found[0], text.value


def _decide(p: Plan, s: Settings) -> None:
    proxy = p.proxy
    swap = proxy.registry_domain != proxy.replicated_registry
    candidates: dict[str, ImageRef] = {}
    for use in p.uses:
        v = use.value
        if on_host(v, proxy.proxy_domain):
            use.why = "already pulled through the proxy"
        elif on_host(v, proxy.registry_domain):
            use.why = "on the Replicated registry"
        elif swap and on_host(v, proxy.replicated_registry):
            use.new = proxy.registry_domain + v[len(proxy.replicated_registry):]
            use.why = f"the Replicated registry is served as {proxy.registry_domain}"
        else:
            ref = candidates.get(v)
            if ref is None:
                try:
                    ref = candidates[v] = imageref.parse(v)
                except InvalidReference as exc:
                    p.results.append(use.result(f"left as is: {exc}", WARNING))
                    continue
            use.ref = ref
    verdicts, probe_results = classify.classify(list(dict.fromkeys(candidates.values())), s)
    p.results.extend(probe_results)
    for use in p.uses:
        if use.ref is None:
            continue
        verdict = verdicts[use.ref]
        use.why = verdict.why
        if verdict.private:
            use.new = proxied(use.ref, proxy)


# --------------------------------------------------------------------------- mutate


class Outcome:
    def __init__(self, results: list[Result], new_items: list[dict], drop: list[Item]) -> None:
        self.results = results
        self.new_items = new_items    # Secrets to add
        self.drop = drop              # generated Secrets no longer needed


def mutate(p: Plan, items: list[Item], s: Settings, kpt_paths: bool = True) -> Outcome:
    """Edits for every decision in ``p``; the Secrets to add (with kpt file paths when
    ``kpt_paths``) or drop; one result per rewritten image and a summary."""
    proxy = p.proxy
    results = list(p.results)
    limit = s.max_info_results or len(p.uses)
    edited: set[int] = set()
    listed = 0
    for use in p.uses:
        if use.new is None or id(use.image.node) in edited:  # an alias: one node, one edit
            continue
        edited.add(id(use.image.node))
        use.item.editor.set_scalar(use.image.node, use.new)
        if listed < limit:
            results.append(use.result(f"pull through the proxy ({use.why})", INFO))
        listed += 1
    if listed > limit:
        results.append(Result(f"{listed - limit} more image references pulled through the proxy "
                              f"(not listed: maxInfoResults is {limit}; 0 lists all)", INFO))
    added = 0
    namespaces: set[str | None] = set()
    for item, spec in p.specs:
        namespaces.add(item.namespace)
        if id(spec.node) in edited:
            continue
        edited.add(id(spec.node))
        try:
            names = podspecs.pull_secret_names(spec)
        except podspecs.TypeProblem as exc:
            raise Failed([Result(exc.message, ERROR, item.ref(), {"path": exc.path},
                                 item.file())]) from None
        if names is not None and proxy.pull_secret_name in names:
            continue
        entry = {"name": proxy.pull_secret_name}
        node = spec.node.get("imagePullSecrets")
        if node is None:
            item.editor.add_key(spec.node, "imagePullSecrets", [entry])
        elif names is None:
            item.editor.set_value(spec.node, "imagePullSecrets", [entry])
        else:
            item.editor.append(node, entry)  # type: ignore[arg-type]
        added += 1
    if p.license_item is not None and not p.license_item.local_config:
        _mark_local_config(p.license_item)
    namespaces.update(s.namespaces)
    new_items, drop, secret_results = _secrets(proxy, items, namespaces, kpt_paths)
    results.extend(secret_results)
    rewritten = [u for u in p.uses if u.new is not None]
    results.append(Result(
        f"{len(rewritten)} of {len(p.uses)} image references pulled through "
        f"{proxy.proxy_domain}/proxy/{proxy.app_slug} "
        f"({len({u.value for u in rewritten})} distinct, in "
        f"{len({id(u.item) for u in rewritten})} resources); pull secret "
        f"{proxy.pull_secret_name} added to {added} of {len(p.specs)} PodSpecs; "
        f"{len(new_items)} Secrets added, {len(drop)} removed", INFO))
    return Outcome(results, new_items, drop)


def _mark_local_config(item: Item) -> None:
    meta = item.node.get("metadata")
    assert isinstance(meta, Mapping)
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping):
        current = annotations.get(LOCAL_CONFIG)
        if isinstance(current, Scalar):
            item.editor.set_scalar(current, "true")
        else:
            item.editor.add_key(annotations, LOCAL_CONFIG, "true")
    elif annotations is None:
        item.editor.add_key(meta, "annotations", {LOCAL_CONFIG: "true"})
    else:
        item.editor.set_value(meta, "annotations", {LOCAL_CONFIG: "true"})


def _secret_value(item: Item) -> tuple[str | None, Scalar | None]:
    """(type, the .dockerconfigjson scalar) of a Secret item."""
    t = item.node.get("type")
    data = item.node.get("data")
    value = data.get(".dockerconfigjson") if isinstance(data, Mapping) else None
    return (t.value if isinstance(t, Scalar) else None,
            value if isinstance(value, Scalar) else None)


def _secrets(proxy: Proxy, items: list[Item], namespaces: set[str | None], kpt_paths: bool
             ) -> tuple[list[dict], list[Item], list[Result]]:
    wanted = secret.dockerconfigjson(proxy)
    existing = {i.namespace: i for i in items
                if i.kind == "Secret" and i.group == "" and i.name == proxy.pull_secret_name}
    new_items: list[dict] = []
    drop: list[Item] = []
    results: list[Result] = []
    taken = Counter(f.get("path") for i in items if (f := i.file()))
    for ns in sorted(namespaces, key=lambda n: n or ""):
        item = existing.get(ns)
        if item is None:
            path = secret.default_path(proxy.pull_secret_name, ns)
            n = 1
            while taken[path]:
                n += 1
                path = secret.default_path(f"{proxy.pull_secret_name}-{n}", ns)
            taken[path] += 1
            new_items.append(secret.manifest(proxy, ns, path if kpt_paths else None))
            continue
        kind, value = _secret_value(item)
        ours = item.annotation(secret.GENERATED) == "true"
        same = kind == secret.DOCKERCONFIGJSON and value is not None and (
            secret.authenticated_hosts(value.value) == secret.authenticated_hosts(wanted))
        if same:
            continue
        if ours and value is not None and kind == secret.DOCKERCONFIGJSON:
            item.editor.set_scalar(value, wanted)
            results.append(Result("pull secret updated", INFO, item.ref(), None, item.file()))
            continue
        where = f"{ns}/" if ns else ""
        raise Failed([Result(
            f"Secret {where}{proxy.pull_secret_name} already exists and is not the pull secret "
            "this function makes; remove it, or choose another pullSecretName",
            ERROR, item.ref(), None, item.file())])
    for ns, item in existing.items():
        if ns not in namespaces and item.annotation(secret.GENERATED) == "true":
            drop.append(item)
    return new_items, drop, results


# --------------------------------------------------------------------------- validate


def validate(p: Plan, items: list[Item], s: Settings, check_auth: bool) -> list[Result]:
    """Every violation as an error result; changes nothing."""
    proxy = p.proxy
    out = list(p.results)
    for use in p.uses:
        if use.new is not None:
            out.append(use.result(f"private image not pulled through the proxy ({use.why})",
                                  ERROR))
    namespaces: set[str | None] = set(s.namespaces)
    for item, spec in p.specs:
        namespaces.add(item.namespace)
        try:
            names = podspecs.pull_secret_names(spec) or []
        except podspecs.TypeProblem as exc:
            out.append(Result(exc.message, ERROR, item.ref(), {"path": exc.path}, item.file()))
            continue
        if proxy.pull_secret_name not in names:
            path = f"{spec.path}.imagePullSecrets" if spec.path else "imagePullSecrets"
            out.append(Result(f"PodSpec lacks the pull secret {proxy.pull_secret_name}", ERROR,
                              item.ref(), {"path": path,
                                           "proposedValue": proxy.pull_secret_name},
                              item.file()))
    existing = {i.namespace: i for i in items
                if i.kind == "Secret" and i.group == "" and i.name == proxy.pull_secret_name}
    wanted = secret.authenticated_hosts(secret.dockerconfigjson(proxy))
    for ns in sorted(namespaces, key=lambda n: n or ""):
        where = f"namespace {ns}" if ns else "the default namespace"
        item = existing.get(ns)
        if item is None:
            out.append(Result(f"no Secret {proxy.pull_secret_name} in {where}", ERROR,
                              {"apiVersion": "v1", "kind": "Secret",
                               "name": proxy.pull_secret_name,
                               **({"namespace": ns} if ns else {})}))
            continue
        kind, value = _secret_value(item)
        hosts = secret.authenticated_hosts(value.value) if value is not None else {}
        missing = [h for h in (proxy.proxy_domain, proxy.registry_domain)
                   if not hosts.get(h) or (check_auth and hosts[h] != wanted[h])]
        if kind != secret.DOCKERCONFIGJSON or missing:
            problem = (f"is not of type {secret.DOCKERCONFIGJSON}"
                       if kind != secret.DOCKERCONFIGJSON
                       else "does not authenticate " + " and ".join(missing)
                       + (" with this license" if check_auth else ""))
            out.append(Result(f"pull secret {problem}", ERROR, item.ref(), None, item.file()))
    errors = sum(r.severity == ERROR for r in out)
    out.append(Result(f"validate: {errors} problems in {len(p.uses)} image references, "
                      f"{len(p.specs)} PodSpecs, {len(namespaces)} namespaces",
                      ERROR if errors else INFO))
    return out
