"""Benchmark fn.probe.probe_all against four real local registries.

Starts (all on 127.0.0.1, free ports, stopped on exit):
  * two docker-registry servers without auth,
  * one docker-registry with auth.htpasswd (every image private),
  * one docker-registry with auth.token + the test token server (repos "pub/*" anonymous,
    "priv/*" not),
pushes a tiny image (skopeo, then extra tags by manifest PUT) so that 200 distinct image
references exist, 50 per registry, and probes them (plus 50 duplicate mentions) with default
options and a fresh cache file. Target: under 1.5 s for the cold run.

Run: python bench/bench_probe.py [--rounds N]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from registries import (  # noqa: E402
    OCI_MANIFEST,
    PUSH_PASSWORD,
    PUSH_USER,
    TOKEN_SERVICE,
    FakeServer,
    RegistryProcess,
    TokenServer,
    TokenSigner,
    make_oci_layout,
    missing_tools,
    skopeo_push,
    wait_all,
)

from fn.probe import ProbeOptions, ProbeTarget, probe_all  # noqa: E402

REPOS_PER_REGISTRY = 5
TAGS_PER_REPO = 10
TARGET_SECONDS = 1.5


def _basic() -> str:
    return "Basic " + base64.b64encode(f"{PUSH_USER}:{PUSH_PASSWORD}".encode()).decode()


def put_tags(reg: RegistryProcess, repo: str, manifest: bytes, tags: list[str], auth: str | None):
    """Add tags to an already pushed repo by PUTting its manifest (urllib: keeps httpx out of
    the process until probe_all imports it)."""
    for tag in tags:
        req = urllib.request.Request(
            f"{reg.url}/v2/{repo}/manifests/{tag}",
            data=manifest,
            method="PUT",
            headers={"Content-Type": OCI_MANIFEST},
        )
        if auth:
            req.add_header("Authorization", auth)
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 201, resp.status


def push_token(token_url: str, repo: str) -> str:
    query = urllib.parse.urlencode(
        {"service": TOKEN_SERVICE, "scope": f"repository:{repo}:push,pull"}
    )
    req = urllib.request.Request(f"{token_url}?{query}", headers={"Authorization": _basic()})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return "Bearer " + json.load(resp)["token"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="probe runs (each with a fresh cache)")
    args = ap.parse_args()
    missing = missing_tools()
    if missing:
        print("missing tools:", ", ".join(missing), file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        work = Path(tmp)
        layout = work / "layout"
        make_oci_layout(layout)
        index = json.loads((layout / "index.json").read_text())
        digest = index["manifests"][0]["digest"]
        manifest = (layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()

        signer = TokenSigner(work)
        regs: list[RegistryProcess] = []
        with FakeServer(TokenServer(signer), "token-server") as token_server:
            try:
                setup_started = time.monotonic()
                kinds = [("open-a", None), ("open-b", None), ("htpasswd", "htpasswd")]
                kinds.append(("token", "token"))
                for name, auth in kinds:
                    d = work / name
                    d.mkdir()
                    reg = RegistryProcess(
                        d, auth, token_realm=token_server.url + "/token", cert_path=signer.cert_path
                    )
                    regs.append(reg)
                    reg.start()
                htp, tok = regs[2], regs[3]

                repos: dict[str, list[str]] = {}
                for reg in regs:
                    if reg is tok:
                        names = [f"pub/app{i}" for i in range(REPOS_PER_REGISTRY - 1)]
                        names.append("priv/app0")
                    else:
                        names = [f"bench/app{i}" for i in range(REPOS_PER_REGISTRY)]
                    repos[reg.host] = names
                wait_all(
                    [
                        skopeo_push(layout, "v1", reg.host, repo, "t0", reg.creds)
                        for reg in regs
                        for repo in repos[reg.host]
                    ],
                    limit=120,
                )
                extra = [f"t{i}" for i in range(1, TAGS_PER_REPO)]
                for reg in regs:
                    for repo in repos[reg.host]:
                        if reg is tok:
                            auth = push_token(token_server.url + "/token", repo)
                        elif reg is htp:
                            auth = _basic()
                        else:
                            auth = None
                        put_tags(reg, repo, manifest, extra, auth)
                setup_seconds = time.monotonic() - setup_started
                token_server.reset()

                distinct = [
                    ProbeTarget(reg.host, repo, f"t{i}")
                    for reg in regs
                    for repo in repos[reg.host]
                    for i in range(TAGS_PER_REPO)
                ]
                targets = distinct + distinct[::4]  # 200 distinct + 50 duplicate mentions
                # the token registry's realm is plain http on another port: listed too
                insecure = frozenset([reg.host for reg in regs] + [token_server.host])
                print(f"setup: 4 registries, {len(distinct)} distinct references "
                      f"({len(targets)} mentions), {setup_seconds:.1f} s")  # fmt: skip
                print(f"httpx imported before the first probe_all: {'httpx' in sys.modules}")

                results = []
                for rnd in range(max(1, args.rounds)):
                    cache = work / f"cache-{rnd}.json"  # fresh: does not exist yet
                    opts = ProbeOptions(insecure_registries=insecure, cache_path=str(cache))
                    started = time.perf_counter()
                    verdicts, stats = probe_all(targets, opts)
                    wall = time.perf_counter() - started
                    results.append((wall, stats, verdicts))
                    label = "cold (includes importing httpx)" if rnd == 0 else "warm process"
                    print(
                        f"round {rnd + 1} [{label}]: {wall:.3f} s, requests {stats.requests}, "
                        f"manifest requests {stats.manifest_requests}, "
                        f"token requests {stats.token_requests}, "
                        f"manifest requests <= distinct images: "
                        f"{stats.manifest_requests <= len(distinct)}"
                    )
                wall, stats, verdicts = results[0]
                counts = Counter(v.status for v in verdicts.values())
                print("verdicts:", dict(sorted(counts.items())))
                expected = {"public": 140, "private": 60}
                if dict(counts) != expected:
                    print(f"UNEXPECTED verdicts (wanted {expected})")
                    for t, v in verdicts.items():
                        if v.status == "error":
                            print("  ", t, v)
                cached_opts = ProbeOptions(
                    insecure_registries=insecure, cache_path=str(work / "cache-0.json")
                )
                _, cstats = probe_all(targets, cached_opts)
                print(
                    f"cached re-run: {cstats.seconds * 1000:.1f} ms, requests {cstats.requests}, "
                    f"cache hits {cstats.cache_hits}"
                )
                best = min(r[0] for r in results)
                ok = wall < TARGET_SECONDS and stats.manifest_requests <= len(distinct)
                print(
                    f"RESULT: cold {wall:.3f} s, best {best:.3f} s, target < {TARGET_SECONDS} s: "
                    f"{'PASS' if ok else 'FAIL'}"
                )
                return 0 if ok and dict(counts) == expected else 1
            finally:
                for reg in regs:
                    reg.stop()


if __name__ == "__main__":
    raise SystemExit(main())
