"""What the function decided, before anything changes: every image use, the target's
verdict on it, every pull-secret site that serves an image."""

from __future__ import annotations

from fn.classify import Verdict
from fn.locate import ImageField, Site
from fn.problems import InvalidReference, Problem, Problems
from fn.resourcelist import Item
from fn.results import ERROR, INFO, WARNING, Result
from fn.targets import Target


class Use:
    """One image field in one resource, and what should become of it."""

    __slots__ = ("field", "item", "new", "on_target", "ref", "site", "value", "why")

    def __init__(self, item: Item, site: Site, field: ImageField) -> None:
        self.item = item
        self.site = site
        self.field = field
        self.value: str = field.node.value
        self.ref = None               # the parsed reference (None: not parsed or invalid)
        self.new: str | None = None   # the reference it should have (None: keep)
        self.on_target = False        # already goes through the target
        self.why = ""

    def result(self, message: str, severity: str, rule: str = "") -> Result:
        r = Result(message, severity, self.item,  # type: ignore[arg-type]
                   {"path": self.field.path, "currentValue": self.value,
                    **({"proposedValue": self.new} if self.new else {})},
                   self.item)  # type: ignore[arg-type]
        r.rule = rule
        r.offset = (self.item.editor.text, self.field.node.start)
        return r


class Plan:
    def __init__(self, target: Target, license_item: Item | None) -> None:
        self.target = target
        self.license_item = license_item
        self.uses: list[Use] = []
        self.sites: list[tuple[Item, Site]] = []
        self.results: list[Result] = []
        self.unseen: list[Problem] = []  # what looks like images but was not read
        self.suspects: list[tuple[Item, object]] = []  # fn.uncovered: fields no row covers,
        #                                                 images containers name
        self.consumed: list[Item] = []  # more license items to mark local-config (fn.kots)
        self.note = ""  # added to the summary (fn.patterncount: matches per pattern)

    def named(self) -> list[tuple[Item, object]]:
        """Images containers name in args, command or env that are to be rewritten."""
        return [(i, s) for i, s in self.suspects if getattr(s, "new", None) is not None]

    def unseen_results(self, severity: str) -> list[Result]:
        """Uncovered image fields: warnings when mutating, errors when validating."""
        out = []
        for problem in self.unseen:
            problem.severity = severity
            out.append(problem.result())
            out[-1].rule = "image-not-read"
        return out


def gather(items: list[Item], target: Target, license_item: Item | None) -> Plan:
    """Every image use of the items that the function works on; all problems at once."""
    p = Plan(target, license_item)
    problems: list[Problem] = []
    for item in items:
        if _passed_over(item, license_item):
            continue
        if item.problem is not None:
            problems.append(item.problem.at(item, item))  # type: ignore[arg-type]
            continue
        if item.notes:
            p.unseen += [note.at(item, item) for note in item.notes]  # type: ignore
        if item.suspects:
            p.suspects += [(item, suspect) for suspect in item.suspects]
        if not item.sites:
            continue
        seen: set[int] = set()  # an image served by two pull-secret lists is one use
        for site in item.sites:
            if not site.bare:
                p.sites.append((item, site))
            p.uses += [Use(item, site, field) for field in site.images
                       if id(field) not in seen and not seen.add(id(field))]
    if problems:
        raise Problems(problems)
    return p


def _passed_over(item: Item, license_item: Item | None) -> bool:
    """The Kptfile, local-config items, the license, KOTS's Application (fn.kots)."""
    return item.is_kptfile or item.local_config or item is license_item or (
        item.node is not None and item.group == "kots.io")


_UNSETTLED = ("",)


def candidates(p: Plan) -> list:
    """Settle what needs no verdict; the distinct references that need one."""
    target = p.target
    refs: dict = {}
    settled_of: dict[str, tuple | None] = {}  # (a value in many resources: settled once)
    for use in p.uses:
        settled = settled_of.get(use.value, _UNSETTLED)
        if settled is _UNSETTLED:
            settled = settled_of[use.value] = target.settle(use.value)
        if settled is not None:
            use.new, use.why = settled
            use.on_target = use.new is None and target.on_target(use.value)
            continue
        try:
            use.ref = target.parse(use.value)
        except InvalidReference as exc:
            p.results.append(use.result(f"left as is: {exc}", WARNING))
            continue
        refs[use.ref] = None
    return list(refs)


def decide(p: Plan, verdicts: dict, why: str = "") -> None:
    """Each use's new reference from its verdict (``why`` when the target gives none).
    A reference in many uses is rewritten once: its uses share the new text."""
    default = Verdict(True, why)
    news: dict = {}  # ref -> its new reference, or the Problem that says it cannot move
    said: dict[str, str] = {}
    for use in p.uses:
        if use.ref is None:
            continue
        verdict: Verdict = verdicts.get(use.ref) or default
        use.why = verdict.why
        new = news.get(use.ref, _UNSETTLED)
        if new is _UNSETTLED:
            try:
                new = p.target.rewrite(use.ref, verdict)
            except Problem as exc:  # cannot be moved: said, and an error when validating
                new = exc.with_traceback(None)  # (its frames would hold the verdicts)
                new.message = said.setdefault(new.message, new.message)  # (a registry's
                new.args = (new.message,)  # references all say the same: one copy)
            news[use.ref] = new
        if isinstance(new, Problem):  # one of its own for each use (its place)
            problem = new.again().at(use.item, use.item)  # type: ignore[arg-type]
            problem.field = use.field.path
            problem.offset = (use.item.editor.text, use.field.node.start)
            p.unseen.append(problem)
        else:
            use.new = new


def one_image_each(p: Plan) -> None:
    """Two images that would become one reference (a local registry keeps only the last
    path component: ``quay.io/acme/api:1`` and ``ghcr.io/other/api:1`` are both
    ``<registry>/api:1``), in image fields or named in args and env, stay as they are,
    each use said: one would overwrite the other where they are copied, and a pod would
    run another image. (By digest they are one image.)"""
    if not p.target.merges:
        return
    words = p.named()
    sources: dict[str, dict[str, str]] = {}  # new -> {normalized name: as written}
    for ref, new in [(u.ref, u.new) for u in p.uses if u.new] + [(w.ref, w.new)
                                                                 for _, w in words]:
        if "@" not in new:
            sources.setdefault(new, {}).setdefault(ref.normalized, ref.written)
    shared = {new: sorted(names.values()) for new, names in sources.items() if len(names) > 1}
    for item, path, node, holder in [(u.item, u.field.path, u.field.node, u) for u in p.uses
                                     ] + [(i, w.path, w.node, w) for i, w in words]:
        if holder.new in shared:
            said = Problem(f"left as is: {' and '.join(shared[holder.new])} would all become "
                           f"{holder.new}: one image would overwrite the other where they "
                           "are copied", severity=WARNING, field=path, resource=item.ref(),
                           file=item.file())
            said.offset = (item.editor.text, node.start)
            p.unseen.append(said)
            holder.new = None
    for _, s in p.suspects:  # (a word that is an image field's own value stays with it)
        if s.follows in shared:
            s.follows = None


# custom kinds that are cluster-scoped yet hold pod templates: their pods run in the
# namespace of what uses them (a Workflow, an InferenceService), not in the resource's
CLUSTER_SCOPED = frozenset({("argoproj.io", "ClusterWorkflowTemplate"),
                            ("serving.kserve.io", "ClusterServingRuntime")})


def unplaced(p: Plan, namespaces: tuple[str, ...]) -> None:
    """A warning (validate: an error) for a cluster-scoped resource whose pods pull through
    the target, unless ``namespaces`` says where they run: no Secret reaches them."""
    if namespaces:
        return
    said: set[int] = set()
    for use in p.uses:
        item = use.item
        if (use.new or use.on_target) and (item.group, item.kind) in CLUSTER_SCOPED and (
                id(item) not in said):
            said.add(id(item))
            p.unseen.append(Problem(
                f"{item.kind} is cluster-scoped: its pods run in the namespaces of what uses "
                "it, which get no pull Secret from it; list them in namespaces",
                severity=WARNING, resource=item.ref(), file=item.file()))


def rewritten(p: Plan) -> list[Use]:
    return [u for u in p.uses if u.new is not None]


def errors(results: list[Result]) -> int:
    return sum(r.severity == ERROR for r in results)


def namespace_of(item: Item, site) -> str | None:
    """Where a site's pods run: a List entry's namespace, else the resource's."""
    return site.namespace if site.namespace is not None else item.namespace


def secret_namespaces(p: Plan, extra: tuple[str, ...]) -> set[str | None]:
    """The namespaces that need the pull secret. Workloads in ``default`` beside
    workloads without a namespace share one Secret without a namespace (kustomize takes
    both for ``default``, and two would be a duplicate); an info result says so."""
    namespaces = ({namespace_of(item, site) for item, site in p.sites} | set(extra)
                  | {namespace_of(u.item, u.site) for u in p.uses})  # (bare sites too)
    if None in namespaces and "default" in namespaces:
        namespaces.discard("default")
        p.results.append(Result("workloads in namespace default and without a namespace "
                                "share one pull secret, written without a namespace", INFO))
    return namespaces


def unserved(p: Plan) -> list[Result]:
    """A warning per resource whose proxied images have no pull-secret list in it (a Tekton
    Task's steps): the function cannot give those pods the pull secret."""
    out = []
    seen: set[int] = set()
    for use in p.uses:
        if not use.site.bare or id(use.item) in seen or not (use.new or use.on_target):
            continue
        seen.add(id(use.item))
        item = use.item
        out.append(Result(f"{item.kind} has no pull-secret field for {use.field.path}: its pods "
                          "must get the pull secret another way (from what runs them, "
                          "or the ServiceAccount's imagePullSecrets)", WARNING, item.ref(),
                          {"path": use.field.path}, item.file()))
    return out
