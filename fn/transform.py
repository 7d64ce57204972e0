"""The function's core: items and settings in; decisions, splices, Secrets and results out.

``plan`` reads and decides (no changes); ``mutate`` turns a plan into edits and new
Secrets; ``validate`` turns the same plan into error results. I/O lives elsewhere.
"""

from __future__ import annotations

from collections import Counter, namedtuple

from fn import classify, imageref, license, localregistry, podspecs, secret
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
        self.local: tuple[str, str] | None = None    # localRegistry (host, namespace)
        self.pull_secret: PullSecret | None = None
        self.uses: list[Use] = []
        self.specs: list[tuple[Item, podspecs.PodSpec]] = []
        self.results: list[Result] = []


def proxied(ref: ImageRef, proxy: Proxy) -> str:
    """``<proxy>/proxy/<app>/<name as written>`` + the original ``:tag`` / ``@digest``."""
    return f"{proxy.proxy_domain}/proxy/{proxy.app_slug}/{ref.name}{ref.suffix}"


def on_host(value: str, host: str) -> bool:
    return value.startswith(host + "/")


# The pull secret PodSpecs get. ``payload``: the .dockerconfigjson the function writes
# (None: the Secret is the user's, e.g. localRegistryAuthSecret); ``hosts``: what it
# must authenticate.
PullSecret = namedtuple("PullSecret", "name payload hosts")


def plan(items: list[Item], s: Settings, validating: bool = False) -> Plan:
    """Read the items and decide, changing nothing."""
    license_item, item_license = _license_source(items, s)
    local = s.local_registry is not None
    proxy = license.resolve(s, item_license, need_id=not validating and not local,
                            need_slug=not local)
    p = Plan(proxy, license_item)
    if local:
        p.local = localregistry.parse_target(s.local_registry)  # type: ignore[arg-type]
    p.pull_secret = _pull_secret(p, s)
    problems: list[Result] = []
    for item in items:
        if item.is_kptfile or item.local_config or item is license_item:
            continue
        if item.problem is not None:
            exc = item.problem
            problems.append(Result(exc.message, ERROR, item.ref(), {"path": exc.path}, item.file()))
            continue
        for spec in item.specs:
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
    node = found[0].node
    data = node.get("data") if node is not None else None
    text = data.get("license.yaml") if isinstance(data, Mapping) else None
    if not isinstance(text, Scalar) or text.tag != "tag:yaml.org,2002:str":
        raise FnError(f"ConfigMap {s.license_configmap} has no data.license.yaml")
    return found[0], text.value


def _pull_secret(p: Plan, s: Settings) -> PullSecret | None:
    proxy = p.proxy
    if p.local is None:
        payload = None if proxy.license_id is None else secret.dockerconfigjson(proxy)
        return PullSecret(proxy.pull_secret_name, payload,
                          (proxy.proxy_domain, proxy.registry_domain))
    host = p.local[0]
    if s.local_registry_auth_secret:
        return PullSecret(s.local_registry_auth_secret, None, (host,))
    creds = localregistry.credentials(s.local_registry_username_env,
                                      s.local_registry_password_env)
    if creds is None:
        return None  # a registry that needs no credentials
    if not proxy.pull_secret_name:
        raise FnError("name the local registry's pull secret: set pullSecretName or appSlug")
    return PullSecret(proxy.pull_secret_name, localregistry.dockerconfigjson(host, *creds),
                      (host,))


def _decide(p: Plan, s: Settings) -> None:
    if p.local is not None:
        _decide_local(p, *p.local)
        return
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


def _decide_local(p: Plan, host: str, namespace: str) -> None:
    """Local registry mode: every image moves to the local registry."""
    refs: dict[str, ImageRef] = {}
    for use in p.uses:
        if on_host(use.value, host):
            use.why = "already on the local registry"
            continue
        try:
            ref = refs.get(use.value) or refs.setdefault(use.value, imageref.parse(use.value))
        except InvalidReference as exc:
            p.results.append(use.result(f"left as is: {exc}", WARNING))
            continue
        use.ref = ref
        use.new = localregistry.rewrite(ref, host, namespace)
        use.why = f"localRegistry is {host}{'/' + namespace if namespace else ''}"


# --------------------------------------------------------------------------- mutate


class Outcome:
    def __init__(self, results: list[Result], new_items: list[dict], drop: list[Item],
                 images: str) -> None:
        self.results = results
        self.new_items = new_items    # Secrets (and the image list ConfigMap) to add
        self.drop = drop              # generated items no longer needed
        self.images = images          # "<original> <new>" lines, for skopeo copy


def image_list(p: Plan, before: str = "") -> str:
    """Every changed image once, ``<source> <new>`` lines, sorted, merged with an earlier
    list (so that a re-run, which finds the images already moved, keeps it). The source
    is the reference as written, but ``name@digest`` for ``name:tag@digest`` (the digest
    is what is pulled, and skopeo refuses both at once)."""
    lines = {f"{_copy_source(u)} {u.new}" for u in p.uses if u.new is not None}
    lines.update(line for line in before.splitlines() if line.strip())
    return "".join(f"{line}\n" for line in sorted(lines))


def mutate(p: Plan, items: list[Item], s: Settings, kpt_paths: bool = True) -> Outcome:
    """Edits for every decision in ``p``; the Secrets to add (with kpt file paths when
    ``kpt_paths``) or drop; one result per rewritten image and a summary."""
    results = list(p.results)
    limit = s.max_info_results or len(p.uses)
    verb = "pull through the proxy" if p.local is None else "move to the local registry"
    edited: set[int] = set()
    listed = 0
    for use in p.uses:
        if use.new is None or id(use.image.node) in edited:  # an alias: one node, one edit
            continue
        edited.add(id(use.image.node))
        use.item.editor.set_scalar(use.image.node, use.new)
        if listed < limit:
            results.append(use.result(f"{verb} ({use.why})", INFO))
        listed += 1
    if listed > limit:
        results.append(Result(f"{listed - limit} more image references changed (not listed: "
                              f"maxInfoResults is {limit}; 0 lists all)", INFO))
    ps = p.pull_secret
    added = 0
    namespaces: set[str | None] = set()
    for item, spec in p.specs:
        namespaces.add(item.namespace)
        if ps is None or id(spec.node) in edited:
            continue
        edited.add(id(spec.node))
        added += _add_pull_secret(item, spec, ps.name)
    if p.license_item is not None and not p.license_item.local_config:
        _mark_local_config(p.license_item)
    namespaces.update(s.namespaces)
    new_items: list[dict] = []
    drop: list[Item] = []
    if ps is not None and ps.payload is not None:
        new_items, drop, secret_results = _secrets(p, ps, items, namespaces, kpt_paths)
        results.extend(secret_results)
    images = image_list(p)
    if s.list_images_configmap:
        images = _image_list_item(p, items, s.list_images_configmap, new_items, kpt_paths)
    rewritten = [u for u in p.uses if u.new is not None]
    where = (f"{p.proxy.proxy_domain}/proxy/{p.proxy.app_slug}" if p.local is None
             else "/".join(x for x in p.local if x))
    secret_note = (f"pull secret {ps.name} added to {added} of {len(p.specs)} PodSpecs"
                   if ps else "no pull secret (none configured)")
    results.append(Result(
        f"{len(rewritten)} of {len(p.uses)} image references now use {where} "
        f"({len({u.value for u in rewritten})} distinct, in "
        f"{len({id(u.item) for u in rewritten})} resources); {secret_note}; "
        f"{len(new_items)} Secrets added, {len(drop)} removed", INFO))
    return Outcome(results, new_items, drop, images)


def _copy_source(use: Use) -> str:
    ref = use.ref
    if ref is not None and ref.tag and ref.digest:
        return f"{ref.name}@{ref.digest}"
    return use.value


def _image_list_item(p: Plan, items: list[Item], name: str, new_items: list[dict],
                     kpt_paths: bool) -> str:
    """Keep the image list in a local-config ConfigMap item: update it, or add it."""
    found = [i for i in items if i.kind == "ConfigMap" and i.group == "" and i.name == name]
    if not found:
        images = image_list(p)
        new_items.append(_image_list_configmap(name, images, kpt_paths))
        return images
    data = found[0].node.get("data") if found[0].node is not None else None
    node = data.get("images.txt") if isinstance(data, Mapping) else None
    if not isinstance(node, Scalar) or node.tag != "tag:yaml.org,2002:str":
        raise FnError(f"listImagesConfigMap: ConfigMap {name} has no data images.txt")
    images = image_list(p, node.value)
    if images != node.value:
        found[0].editor.set_scalar(node, images)
    return images


def _image_list_configmap(name: str, images: str, kpt_paths: bool) -> dict:
    """The image list as a ConfigMap that never reaches the cluster (local-config)."""
    annotations = {LOCAL_CONFIG: "true"}
    if kpt_paths:
        for prefix in ("", "internal."):
            annotations[f"{prefix}config.kubernetes.io/path"] = f"configmap_{name}.yaml"
            annotations[f"{prefix}config.kubernetes.io/index"] = "0"
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "annotations": annotations},
            "data": {"images.txt": images}}


def _add_pull_secret(item: Item, spec: podspecs.PodSpec, name: str) -> int:
    """Append ``{name: <name>}`` to the PodSpec's imagePullSecrets unless it is there."""
    try:
        names = podspecs.pull_secret_names(spec)
    except podspecs.TypeProblem as exc:
        raise Failed([Result(exc.message, ERROR, item.ref(), {"path": exc.path},
                             item.file())]) from None
    if names is not None and name in names:
        return 0
    entry = {"name": name}
    node = spec.node.get("imagePullSecrets")
    if node is None:
        item.editor.add_key(spec.node, "imagePullSecrets", [entry])
    elif names is None:
        item.editor.set_value(spec.node, "imagePullSecrets", [entry])
    else:
        item.editor.append(node, entry)  # type: ignore[arg-type]
    return 1


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


def _existing_secrets(items: list[Item], name: str) -> dict[str | None, Item]:
    return {i.namespace: i for i in items
            if i.kind == "Secret" and i.group == "" and i.name == name}


def _secrets(p: Plan, ps: PullSecret, items: list[Item], namespaces: set[str | None],
             kpt_paths: bool) -> tuple[list[dict], list[Item], list[Result]]:
    existing = _existing_secrets(items, ps.name)
    wanted_hosts = secret.authenticated_hosts(ps.payload)
    new_items: list[dict] = []
    drop: list[Item] = []
    results: list[Result] = []
    taken = Counter(f.get("path") for i in items if (f := i.file()))
    for ns in sorted(namespaces, key=lambda n: n or ""):
        item = existing.get(ns)
        if item is None:
            path = secret.default_path(ps.name, ns)
            n = 1
            while taken[path]:
                n += 1
                path = secret.default_path(f"{ps.name}-{n}", ns)
            taken[path] += 1
            new_items.append(secret.manifest(ps.name, ps.payload, p.proxy.app_slug, ns,
                                             path if kpt_paths else None))
            continue
        kind, value = _secret_value(item)
        ours = item.generated
        if kind == secret.DOCKERCONFIGJSON and value is not None and (
                secret.authenticated_hosts(value.value) == wanted_hosts):
            continue
        if ours and value is not None and kind == secret.DOCKERCONFIGJSON:
            item.editor.set_scalar(value, ps.payload)
            results.append(Result("pull secret updated", INFO, item.ref(), None, item.file()))
            continue
        where = f"{ns}/" if ns else ""
        raise Failed([Result(
            f"Secret {where}{ps.name} already exists and is not the pull secret "
            "this function makes; remove it, or choose another pullSecretName",
            ERROR, item.ref(), None, item.file())])
    for ns, item in existing.items():
        if ns not in namespaces and item.generated:
            drop.append(item)
    return new_items, drop, results


# --------------------------------------------------------------------------- validate


def validate(p: Plan, items: list[Item], s: Settings) -> list[Result]:
    """Every violation as an error result; changes nothing."""
    out = list(p.results)
    target = "the proxy" if p.local is None else "the local registry"
    for use in p.uses:
        if use.new is not None:
            problem = ("private image not pulled through the proxy" if p.local is None
                       else "image not on the local registry")
            out.append(use.result(f"{problem} ({use.why})", ERROR))
    ps = p.pull_secret
    namespaces: set[str | None] = set(s.namespaces)
    for item, spec in p.specs:
        namespaces.add(item.namespace)
        if ps is None:
            continue
        try:
            names = podspecs.pull_secret_names(spec) or []
        except podspecs.TypeProblem as exc:
            out.append(Result(exc.message, ERROR, item.ref(), {"path": exc.path}, item.file()))
            continue
        if ps.name not in names:
            path = f"{spec.path}.imagePullSecrets" if spec.path else "imagePullSecrets"
            out.append(Result(f"PodSpec lacks the pull secret {ps.name}", ERROR, item.ref(),
                              {"path": path, "proposedValue": ps.name}, item.file()))
    if ps is not None and (ps.payload is not None or p.local is None):
        out += _validate_secrets(ps, items, namespaces)
    errors = sum(r.severity == ERROR for r in out)
    out.append(Result(f"validate ({target}): {errors} problems in {len(p.uses)} image "
                      f"references, {len(p.specs)} PodSpecs, {len(namespaces)} namespaces",
                      ERROR if errors else INFO))
    return out


def _validate_secrets(ps: PullSecret, items: list[Item], namespaces: set[str | None]
                      ) -> list[Result]:
    """Each namespace needs the Secret, authenticating every host (with the configured
    credentials when they are known)."""
    out = []
    existing = _existing_secrets(items, ps.name)
    wanted = secret.authenticated_hosts(ps.payload) if ps.payload else {}
    for ns in sorted(namespaces, key=lambda n: n or ""):
        where = f"namespace {ns}" if ns else "the default namespace"
        item = existing.get(ns)
        if item is None:
            out.append(Result(f"no Secret {ps.name} in {where}", ERROR,
                              {"apiVersion": "v1", "kind": "Secret", "name": ps.name,
                               **({"namespace": ns} if ns else {})}))
            continue
        kind, value = _secret_value(item)
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
