"""Exec mode against container mode on the function's other entry points (``validate``,
``explain`` in every format, errors, ``--help``), the features the default image leaves out
(probe and sealed end with a message saying so), and the same features on an image built
with their extras (``EXTRAS=probe,sealed``): probe against the test's local registry,
sealed on a re-run. Called by ``image_check.Test`` (see README.md beside this file)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

LICENSE = "exampleLicenseId0123456789"
CONFIG = {"licenseID": LICENSE, "appSlug": "acme", "privateImages": "quay.io/acme/"}


def resource_list(config: dict[str, str], *images: str) -> bytes:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    return yaml.safe_dump({
        "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
        "items": [{"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "api", "namespace": "shop"},
                   "spec": {"template": {"spec": {"containers": containers}}}}],
        "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "replicated-proxy"}, "data": config},
    }, sort_keys=False).encode()


def both(test, name: str, args: list[str], image: str, stdin: bytes = b"",
         pkg: Path | None = None, expect_rc: int | None = None, network: str = "none",
         ) -> subprocess.CompletedProcess[bytes]:
    """The same command in exec mode (in ``pkg``) and in the container (``pkg`` mounted
    read-only as its working directory): same stdout and exit code. Returns exec's run."""
    exec_proc = test.sh(["replicated-proxy-fn", *args], stdin=stdin, check=False, cwd=pkg)
    flags = [*test.run_flags]
    flags[flags.index("--network") + 1] = network
    mount = ["-v", f"{pkg}:/in:ro", "-w", "/in"] if pkg else []
    ctr_proc = test.sh([*flags, *mount, image, *args], stdin=stdin, check=False)
    test.same(name, exec_proc, ctr_proc, expect_rc=expect_rc)
    return exec_proc


def formats(test, command: str) -> list[str]:
    """The --format choices ``command --help`` names (exec mode: the code being imaged)."""
    out = test.sh(["replicated-proxy-fn", command, "--help"]).stdout.decode()
    found = re.search(r"--format \{([a-z,]+)\}", out)
    return found[1].split(",") if found else ["text"]


def modes(test, image: str) -> None:
    """validate and explain in every format (files and stdin), errors, --help."""
    pkg = test.context / "examples" / "stream"
    manifests = (pkg / "manifests.yaml").read_bytes()
    for command in ("validate", "explain"):
        for fmt in formats(test, command):
            run = both(test, f"{command} --format {fmt}", [
                command, "--config", "config.yaml", "--format", fmt, "manifests.yaml"], image,
                pkg=pkg)
            test.check(f"{command} --format {fmt}: exec mode printed a report",
                       run.returncode in (0, 1) and bool(run.stdout.strip()),
                       f"exit {run.returncode}")
        both(test, f"{command}, manifests on stdin", [command, "--config", "config.yaml", "-"],
             image, stdin=manifests, pkg=pkg)
        both(test, f"{command} --help", [command, "--help"], image, expect_rc=0)
        both(test, f"error: {command} with an unknown format",
             [command, "--config", "config.yaml", "--format", "nope", "manifests.yaml"],
             image, pkg=pkg, expect_rc=2)
        both(test, f"error: {command} without --config", [command, "manifests.yaml"], image,
             pkg=pkg, expect_rc=2)
    both(test, "--help", ["--help"], image, expect_rc=0)
    both(test, "error: unknown option", ["--nope"], image, expect_rc=2)
    both(test, "error: ResourceList that is not YAML", [], image, stdin=b"items: [\n",
         expect_rc=1)
    both(test, "error: input that is not UTF-8", [], image, stdin=b"\xff\xfe\x00", expect_rc=1)
    both(test, "error: unknown config field (did you mean)", [], image, expect_rc=1,
         stdin=resource_list({**CONFIG, "privateImage": "quay.io/acme/"}, "quay.io/acme/a:1"))
    both(test, "error: stream mode, config file missing", ["--config", "missing.yaml"], image,
         stdin=manifests, pkg=pkg, expect_rc=1)


def without_features(test, image: str) -> None:
    """The default image has neither httpx nor cryptography: probe and sealed end with an
    error result and a message that says what to install, not an internal error."""
    cert = (test.context / "examples/gitops/sealed/controller.crt").read_text()
    cases = {
        "probe": ({**CONFIG, "probe": "true"}, b"probe needs the httpx package"),
        "sealed": ({**CONFIG, "secretMode": "sealed", "sealedSecretCertPEM": cert},
                   b"secretMode sealed needs the cryptography package"),
    }
    extras = set(filter(None, test.args.extras.split(",")))
    for extra, (config, message) in cases.items():
        if extra in extras:
            continue
        proc = test.sh([*test.run_flags, image], check=False,
                       stdin=resource_list(config, "quay.io/acme/api:1", "nginx:1.25"))
        test.check(f"default image, {extra}: a clear error (no {extra} extra)",
                   proc.returncode == 1 and message in proc.stderr
                   and b"internal error" not in proc.stderr
                   and b"kind: ResourceList" in proc.stdout,
                   f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")


def feature_image(test, image: str) -> dict[str, object]:
    info = json.loads(test.sh(["podman", "image", "inspect", image]).stdout)[0]
    rl = (test.context / "examples/quickstart/resourcelist.yaml").read_bytes()
    both(test, "feature image: ResourceList on stdin", [], image, stdin=rl, expect_rc=0)
    return {"id": info["Id"], "size_bytes": info["Size"], "extras": test.args.feature_extras}


def sealed(test, image: str) -> None:
    """secretMode sealed: a seal is random, so exec mode seals once and both modes re-run
    on that output (the sealed value is kept: the same bytes)."""
    if "sealed" not in test.args.feature_extras.split(","):
        return
    cert = (test.context / "examples/gitops/sealed/controller.crt").read_text()
    rl = resource_list({**CONFIG, "secretMode": "sealed", "sealedSecretCertPEM": cert},
                       "quay.io/acme/api:1")
    once = test.sh(["replicated-proxy-fn"], stdin=rl, check=False)
    if not test.check("sealed: exec mode seals", once.returncode == 0
                      and b"kind: SealedSecret" in once.stdout, tail(once.stderr)):
        return
    both(test, "sealed: re-run on sealed output", [], image, stdin=once.stdout, expect_rc=0)


def probe(test, image: str, registry: str) -> None:
    """probe: "true" against the local registry the test pushed the image to (host network,
    plain http through insecureRegistries): a tag that is there, one that is not, a
    repository that is not."""
    if "probe" not in test.args.feature_extras.split(","):
        return
    there = f"{registry}/replicated-proxy-fn:{test.version}"
    rl = resource_list({"licenseID": LICENSE, "appSlug": "acme", "probe": "true",
                        "insecureRegistries": registry}, there,
                       f"{registry}/replicated-proxy-fn:no-such-tag", f"{registry}/never/pushed:1")
    run = both(test, "probe against the local registry", [], image, stdin=rl, expect_rc=0,
               network="host")
    test.check("probe reached the registry: the pushed image public, the others not found",
               f"{there}: public (probe: 200)".encode() in run.stdout
               and run.stdout.count(b"probe: not-found") == 2,
               run.stdout.decode(errors="replace")[-1500:])


def tail(data: bytes, n: int = 15) -> str:
    return "\n".join(data.decode(errors="replace").rstrip().splitlines()[-n:])
