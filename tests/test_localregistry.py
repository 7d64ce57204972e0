"""Local registry (air-gap) mode against real registries: list the images, copy them with
skopeo from a source registry to the target, render, and resolve every new reference.
(The plain input -> output behaviour of local registry mode is in tests/cases/local-registry-*.)"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
import yaml
from e2e_tools import REPO
from registries import (
    PUSH_PASSWORD,
    PUSH_USER,
    SKOPEO,
    RegistryProcess,
    make_oci_layout,
    missing_tools,
    skopeo_push,
    wait_all,
)

from fn.imageref import parse


@pytest.fixture(scope="module")
def air_gap(tmp_path_factory):
    """A source registry holding the app's images and an empty target with htpasswd."""
    missing = missing_tools()
    if missing:
        pytest.fail(f"missing tools: {', '.join(missing)} (run .ci/run)")
    work = tmp_path_factory.mktemp("airgap")
    layout = work / "layout"
    digest = make_oci_layout(layout, "v1")
    (work / "src").mkdir()
    (work / "dst").mkdir()
    source = RegistryProcess(work / "src").start()
    target = RegistryProcess(work / "dst", "htpasswd").start()
    try:
        wait_all([skopeo_push(layout, "v1", source.host, repo, tag)
                  for repo, tag in (("acme/api", "1.0"), ("library/nginx", "1.25"),
                                    ("acme/tools", "2.0"), ("team/sub/worker", "3"))])
        yield source, target, digest
    finally:
        source.stop()
        target.stop()


def manifests(src: str, digest: str) -> str:
    images = [f"{src}/acme/api:1.0", f"{src}/library/nginx:1.25",
              f"{src}/acme/tools:2.0@{digest}", f"{src}/team/sub/worker:3"]
    docs = [{"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": f"d{i}", "namespace": "app"},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}
            for i, image in enumerate(images)]
    return yaml.safe_dump_all(docs)


def fn(stdin: str, config: dict, env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": config}
    path = env["CFG"]
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return subprocess.run([sys.executable, "-m", "fn", "--config", path, *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SKOPEO, "--insecure-policy", *args], capture_output=True, text=True,
                          timeout=120)


def test_air_gap_bundle_round_trip(air_gap, tmp_path):
    source, target, digest = air_gap
    env = {"PATH": "/usr/bin:/bin", "CFG": str(tmp_path / "cfg.yaml"), "PYTHONPATH": str(REPO),
           "REG_USER": PUSH_USER, "REG_PASS": PUSH_PASSWORD}
    listing = tmp_path / "images.txt"
    config = {"localRegistry": f"{target.host}/airgap", "listImages": str(listing),
              "localRegistryUsernameEnv": "REG_USER", "localRegistryPasswordEnv": "REG_PASS",
              "appSlug": "acme"}
    src = manifests(source.host, digest)
    proc = fn(src, config, env, "-v")
    assert proc.returncode == 0, proc.stderr
    assert PUSH_PASSWORD not in proc.stderr
    assert PUSH_PASSWORD not in proc.stdout.split("kind: Secret")[0]
    docs = list(yaml.safe_load_all(proc.stdout))
    new = [d["spec"]["template"]["spec"]["containers"][0]["image"] for d in docs[:4]]
    dst = f"{target.host}/airgap"
    assert new == [f"{dst}/api:1.0", f"{dst}/nginx:1.25", f"{dst}/tools@{digest}",
                   f"{dst}/worker:3"]
    assert all(d["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "acme-registry"}]
               for d in docs[:4])
    secret = docs[4]
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert base64.b64decode(auths[target.host]["auth"]).decode() == \
        f"{PUSH_USER}:{PUSH_PASSWORD}"

    # the list drives the copy into the air-gapped registry
    pairs = [line.split() for line in listing.read_text().splitlines()]
    assert sorted(new) == sorted(p[1] for p in pairs)
    for old, new_ref in pairs:
        name = parse(new_ref)
        dest = f"{target.host}/{name.path}" + (f":{name.tag}" if name.tag else "")
        copy = skopeo("copy", "--quiet", "--preserve-digests", "--src-tls-verify=false",
                      "--dest-tls-verify=false", f"--dest-creds={target.creds}",
                      f"docker://{old}", f"docker://{dest}")
        assert copy.returncode == 0, copy.stderr
    for ref in new:
        seen = skopeo("inspect", "--raw", "--tls-verify=false", f"--creds={target.creds}",
                      f"docker://{ref}")
        assert seen.returncode == 0, (ref, seen.stderr)
        anonymous = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{ref}")
        assert anonymous.returncode != 0, "the target registry really needs the credentials"

    # idempotent: the rendered stream is a fixed point, and the list is kept
    again = fn(proc.stdout, config, env)
    assert again.returncode == 0 and again.stdout == proc.stdout
    assert [line.split() for line in listing.read_text().splitlines()] == pairs
