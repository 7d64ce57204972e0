"""Runs last: no test license ID (nor the base64 of ``LICENSE_ID:<id>``) in any stderr,
any ``results`` or any escaped exception text recorded during the whole session.

``helpers.run_fn`` records every process run; tests/conftest.py records the results of
every in-process ``fn.krm.resource_list`` and ``fn.stream.run``. The runs below make
the check meaningful on its own: every example in every mode, and the mistakes most likely
to quote a license ID back. (tests/conftest.py repeats the check when the session ends.)
"""

from __future__ import annotations

import helpers
import pytest
import yaml
from helpers import EXAMPLES, config_map, resource_list, run_fn

from fn import krm

ID = "exampleLicenseId0123456789"


def _docs(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((EXAMPLES / path).read_text()) if d]


def _runs(tmp_path) -> list[tuple[bytes | str, tuple[str, ...]]]:
    quickstart = (EXAMPLES / "quickstart/resourcelist.yaml").read_text()
    stream_cfg = "examples/stream/config.yaml"
    manifests = (EXAMPLES / "stream/manifests.yaml").read_text()
    app = _docs("app/workloads.yaml") + _docs("app/license.yaml")
    typed = _docs("kustomize-exec/replicated-proxy.yaml")[0]
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text(yaml.safe_dump(config_map(licenseID="acme", appSlug=ID)))
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(config_map(appSlug="acme")) + f"  licenseID: '{ID}\n")
    runs: list[tuple[bytes | str, tuple[str, ...]]] = [
        (quickstart, ()),
        (quickstart.replace("appSlug: acme", "appSlug: acme\n    mode: validate"), ()),
        (resource_list(app, typed), ()),
        (resource_list(app, config_map(licenseConfigMap="replicated-license",
                                       mode="validate")), ()),
        (quickstart.replace("appSlug: acme", f"appSlug: {ID}").replace(
            f"licenseID: {ID}", "licenseID: acme"), ()),
        (quickstart.replace(f"licenseID: {ID}", f"licenseID: {ID} {ID}"), ()),
        (quickstart.replace(f"licenseID: {ID}", f'licenseID: "{ID}'), ()),
        (quickstart.replace(f"licenseID: {ID}", f"licenseID: !!float {ID}"), ()),
        (manifests, ("--config", stream_cfg)),
        (manifests, ("--config", stream_cfg, "--verbose")),
        (manifests, ("--config", str(swapped))),
        (manifests, ("--config", str(broken))),
    ]
    for fmt in ("text", "json"):
        runs.append((manifests, ("validate", "--config", stream_cfg, "--format", fmt, "-")))
    for fmt in ("text", "json", "markdown"):
        runs.append((manifests, ("explain", "--config", stream_cfg, "--format", fmt, "-")))
    return runs


def test_every_mode_keeps_the_license_id_secret(tmp_path):
    start = len(helpers.LOG)
    for stdin, args in _runs(tmp_path):
        run_fn(stdin, *args)
    quickstart = (EXAMPLES / "quickstart/resourcelist.yaml").read_text()
    app = resource_list(_docs("app/workloads.yaml") + _docs("app/license.yaml"),
                        config_map(licenseConfigMap="replicated-license"))
    assert f"licenseID: {ID}" in app
    for text, change in ((quickstart, ("appSlug: acme", f"appSlug: {ID}")),
                         (quickstart, (f"licenseID: {ID}", f"licenseID: !!float {ID}")),
                         (app, (f"licenseID: {ID}", f"licenseID: !!float {ID}")),
                         (app, (f"licenseID: {ID}", f"licenseID: !!int {ID}"))):
        try:
            krm.resource_list(text.replace(*change))
        except Exception as exc:  # escaping is a bug of its own; here only its text counts
            helpers.record(f"fn.krm.resource_list (a {change[1].split()[1]} tag)",
                           "exception text", str(exc))
    mine = helpers.LOG[start:]
    assert mine, "nothing recorded"
    problems = [f"{e.label} [{e.channel}]: holds {', '.join(helpers.leaks(e.text))}"
                for e in mine if helpers.leaks(e.text)]
    assert not problems, "\n".join(problems)


def test_whole_session_kept_the_license_ids_secret():
    if not helpers.LOG:
        pytest.fail("nothing was recorded: is tests/conftest.py in use?")
    problems = helpers.secrecy_problems()
    assert not problems, f"{len(problems)} outputs hold a test license ID:\n" + "\n".join(
        problems[:40])
