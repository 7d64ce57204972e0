"""Is an image private (pull it through the proxy) or public (leave it)?

Order: ``publicImages`` patterns, ``privateImages`` patterns, ``proxyAll``, then — when
``probe`` is on — an anonymous look at the registry, as KOTS does; else public.
"""

from __future__ import annotations

from typing import NamedTuple

from fn import patterns
from fn.config import Settings
from fn.imageref import ImageRef
from fn.problems import Problem
from fn.results import INFO, WARNING, Result


class Verdict(NamedTuple):
    private: bool
    why: str               # "matches privateImages 'quay.io'", "probe: 401 Unauthorized"
    probed: bool = False


def by_patterns(ref: ImageRef, s: Settings) -> Verdict | None:
    """The verdict of the first ``publicImages``, else ``privateImages``, pattern that
    matches; None when none does."""
    p = patterns.first_match(s.public, ref)
    if p is not None:
        return Verdict(False, f"matches publicImages {p.text!r}")
    p = patterns.first_match(s.private, ref)
    if p is not None:
        return Verdict(True, f"matches privateImages {p.text!r}")
    return None


def by_rules(ref: ImageRef, s: Settings) -> Verdict | None:
    """The verdict from configuration alone, or None when only a probe can tell."""
    verdict = by_patterns(ref, s)
    if verdict is not None:
        return verdict
    if s.proxy_all:
        return Verdict(True, "proxyAll is true")
    if s.probe:
        return None
    return Verdict(False, "matches no privateImages pattern")


def classify(refs: list[ImageRef], s: Settings) -> tuple[dict[ImageRef, Verdict], list[Result]]:
    """Verdicts for all references (probing the undecided ones at once)."""
    verdicts: dict[ImageRef, Verdict] = {}
    undecided: list[ImageRef] = []
    alike: dict[Verdict, Verdict] = {}  # (many references, few verdicts: one of each)
    for ref in refs:
        v = by_rules(ref, s)
        if v is None:
            undecided.append(ref)
        else:
            verdicts[ref] = alike.setdefault(v, v)
    results: list[Result] = []
    if undecided:
        probed, results = _probe(undecided, s)
        verdicts.update(probed)
    return verdicts, results


def _need_httpx() -> None:
    """probe without httpx (a container image built without EXTRAS=probe): say so."""
    import importlib.util

    if importlib.util.find_spec("httpx") is None:
        raise Problem("probe needs the httpx package: pip install 'replicated-proxy-fn[probe]'"
                      "; the container image: build it with EXTRAS=probe", field="probe")


def _probe(refs: list[ImageRef], s: Settings) -> tuple[dict[ImageRef, Verdict], list[Result]]:
    """Probe ``refs``; one result per distinct target in the order of ``refs`` and a summary.
    Results hold no timings or request counts: the same registries give the same results."""
    from fn import probe  # httpx is imported only here, only when probing is on

    _need_httpx()
    targets = {ref: probe.ProbeTarget.of(ref) for ref in refs}
    options = probe.ProbeOptions(
        concurrency=s.probe_concurrency,
        timeout=s.probe_timeout,
        deadline=s.probe_deadline,
        insecure_registries=frozenset(s.insecure_registries),
        cache_path=s.probe_cache,
        cache_ttl=s.probe_cache_ttl,
    )
    try:
        found, stats = probe.probe_all(list(dict.fromkeys(targets.values())), options)
    except probe.CacheFileError as e:
        raise Problem(str(e), field="probeCache") from None
    verdicts: dict[ImageRef, Verdict] = {}
    results: list[Result] = []
    reported: set = set()
    for ref, target in targets.items():
        verdict, severity = _verdict(ref, found[target], s.on_probe_error)
        verdicts[ref] = verdict
        if target not in reported:
            reported.add(target)
            label = "private" if verdict.private else "public"
            results.append(Result(f"{ref.written}: {label} ({verdict.why})", severity,
                                  tags={"probe": found[target].status}))
    if stats.cache_warning:
        results.append(Result(stats.cache_warning, WARNING))
    from_cache = f", {stats.cache_hits} from cache" if stats.cache_hits else ""
    results.append(Result(f"probed {len(reported)} images{from_cache}", INFO))
    return verdicts, results


def _verdict(ref: ImageRef, pv, on_error: str) -> tuple[Verdict, str]:
    """The verdict on one probed image, and the severity of its result."""
    cached = " (cached)" if pv.cached else ""
    if pv.status in ("public", "private"):
        return Verdict(pv.status == "private", f"probe: {pv.reason}{cached}", True), INFO
    if on_error == "error":
        raise Problem(f"could not tell whether {ref.written} is private: {pv.reason} "
                      "(onProbeError is error)")
    what = "not found" if pv.status == "not-found" else "probe failed"
    return Verdict(on_error == "private", f"probe: {what}: {pv.reason}{cached}; "
                   f"onProbeError={on_error}", True), WARNING
