"""``probe=true`` end to end: kpt fn eval --exec against real registries on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import yaml
from e2e_tools import fn_env, kpt, run

__all__ = ["fn_env", "kpt"]

LICENSE_ID = "probeE2eLicense0000000001"


@pytest.fixture(scope="module")
def closed_host() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    host = f"127.0.0.1:{s.getsockname()[1]}"
    s.close()  # nothing listens there: connection refused
    return host


def package(tmp_path: Path, images: dict[str, str]) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    docs = [{"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": name, "namespace": "app"},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}
            for name, image in images.items()]
    (pkg / "deploy.yaml").write_text(yaml.safe_dump_all(docs))
    return pkg


def evaluate(kpt_bin: str, env: dict, pkg: Path, *config: str, check: bool = True):
    """kpt fn eval; returns the process and (when it ran) the output with its results."""
    results_dir = pkg.parent / "results"
    proc = run([kpt_bin, "fn", "eval", str(pkg), "--exec", "replicated-proxy-fn", "-o",
                "stdout", "--results-dir", str(results_dir), "--", f"licenseID={LICENSE_ID}",
                "appSlug=app", "probe=true", *config], env, check=check)
    if proc.returncode != 0:
        return proc, None
    out = yaml.safe_load(proc.stdout)
    out["results"] = yaml.safe_load((results_dir / "results.yaml").read_text())["items"][0][
        "results"]
    return proc, out


def image_of(out: dict, name: str) -> str:
    for item in out["items"]:
        if item["metadata"]["name"] == name:
            return item["spec"]["template"]["spec"]["containers"][0]["image"]
    raise KeyError(name)


def test_probe_decides_with_real_registries(kpt, fn_env, registries, closed_host, tmp_path):
    r = registries
    images = {
        "public": f"{r.public.host}/app/hello:v1",
        "private": f"{r.private.host}/app/secret:v1",
        "token-public": f"{r.token.host}/pub/app:v1",
        "token-private": f"{r.token.host}/priv/app:v1",
        "unknown-tag": f"{r.public.host}/app/hello:nope",
        "down": f"{closed_host}/app/x:1",
        "declared-public": f"{r.private.host}/app/declared:v1@{r.digest}",
    }
    pkg = package(tmp_path, images)
    # the token registry's realm is plain http on another port: listed too, or refused
    insecure = ",".join(h.host for h in (r.public, r.private, r.token, r.token_server))
    insecure += "," + closed_host
    cache = tmp_path / "probe-cache.json"
    _, out = evaluate(kpt, fn_env, pkg, f"insecureRegistries={insecure}",
                      f"publicImages={r.private.host}/app/declared", f"probeCache={cache}")
    assert image_of(out, "public") == images["public"]
    assert image_of(out, "token-public") == images["token-public"]
    assert judged_private(out, images["private"])
    assert judged_private(out, images["token-private"])
    # KOTS: anything that is not a clear success is private (onProbeError=private)
    assert judged_private(out, images["unknown-tag"])
    assert judged_private(out, images["down"])
    assert image_of(out, "declared-public") == images["declared-public"]  # no probe needed
    results = {r_["message"].split(": ", 1)[0]: r_ for r_ in out["results"]
               if r_.get("tags", {}).get("probe")}
    assert results[images["private"]]["message"].endswith("private (probe: 401 Unauthorized)")
    assert results[images["down"]]["severity"] == "warning"
    assert "connection refused" in results[images["down"]]["message"]
    assert "not found" in results[images["unknown-tag"]]["message"]
    assert images["declared-public"] not in results
    assert r.token_server.requests, "the anonymous bearer token flow was used"

    # a second run answers from the cache file: the same decisions, marked cached
    _, again = evaluate(kpt, fn_env, pkg, f"insecureRegistries={insecure}",
                        f"probeCache={cache}")
    assert judged_private(again, images["private"])
    cached = [x["message"] for x in again["results"]
              if x.get("tags", {}).get("probe") and "(cached)" in x["message"]]
    assert len(cached) == 5, cached  # every decided verdict; the refused port is re-probed


def judged_private(out: dict, image: str) -> bool:
    """The probe judged ``image`` private. The test registries listen on ports, and a
    registry with a port cannot stand in a proxy path: the image is left as it is, with a
    warning that says so (so the verdict is read from the results)."""
    messages = [x["message"] for x in out["results"]]
    return (any(m.startswith(f"{image}: private (") for m in messages)
            and any(m.startswith("left as is: private (probe: ") and "proxy path" in m
                    for m in messages)
            and image in [c["image"] for i in out["items"] if i["kind"] == "Deployment"
                          for c in i["spec"]["template"]["spec"]["containers"]])


def test_on_probe_error_public_and_error(kpt, fn_env, registries, closed_host, tmp_path):
    r = registries
    pkg = package(tmp_path, {"down": f"{closed_host}/app/x:1",
                             "private": f"{r.private.host}/app/secret:v1"})
    insecure = f"insecureRegistries={r.private.host},{closed_host}"
    _, out = evaluate(kpt, fn_env, pkg, insecure, "onProbeError=public")
    assert image_of(out, "down") == f"{closed_host}/app/x:1"
    assert judged_private(out, f"{r.private.host}/app/secret:v1")
    proc, _ = evaluate(kpt, fn_env, pkg, insecure, "onProbeError=error", check=False)
    assert proc.returncode != 0
    assert "could not tell whether" in proc.stderr and LICENSE_ID not in proc.stderr


def test_probe_off_by_default_imports_no_httpx(tmp_path):
    import subprocess
    import sys

    from e2e_tools import REPO

    code = ("import sys; from fn import krm; "
            "r = krm.resource_list(sys.stdin.read()); "
            "print(r.code, 'httpx' in sys.modules)")
    rl = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
          "- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: "
          "[{name: c, image: quay.io/a/b:1}]}}\nfunctionConfig: {apiVersion: v1, kind: "
          "ConfigMap, metadata: {name: f}, data: {licenseID: x, appSlug: app}}\n")
    proc = subprocess.run([sys.executable, "-c", code], input=rl, capture_output=True,
                          text=True, cwd=REPO, check=True)
    assert proc.stdout.split() == ["0", "False"]


def test_kpt_runs_repeat_exactly_and_a_refused_realm_warns(kpt, fn_env, registries,
                                                            realm_regs, tmp_path):
    r = registries
    images = {"public": f"{r.public.host}/app/hello:v1",
              "private": f"{r.private.host}/app/secret:v1",
              "token-public": f"{r.token.host}/pub/app:v1",
              "realm-elsewhere": f"{realm_regs.plain.host}/pub/app:v1"}
    pkg = package(tmp_path, images)
    insecure = ",".join([r.public.host, r.private.host, r.token.host, r.token_server.host,
                         realm_regs.plain.host])  # not realm_regs.token_server (127.0.0.2)
    _, first = evaluate(kpt, fn_env, pkg, f"insecureRegistries={insecure}")
    _, second = evaluate(kpt, fn_env, pkg, f"insecureRegistries={insecure}")
    assert first == second  # output and results, byte for byte as data
    assert image_of(first, "token-public") == images["token-public"]
    assert judged_private(first, images["realm-elsewhere"])
    (warning,) = [x for x in first["results"] if x["severity"] == "warning"
                  and "proxy path" not in x["message"]]
    assert warning["message"] == (
        f"{images['realm-elsewhere']}: private (probe: probe failed: token realm plain "
        f"http://{realm_regs.token_server.host} refused (not in insecureRegistries); "
        "onProbeError=private)")
    assert not any(re.search(r"\d(s|ms)\b", x["message"]) for x in first["results"])
