"""fn/fielddata.py is generated from fn/data/fields.yaml (``python3 -m fn.fieldsgen``):
the two must agree, and every row must reach the built-in table."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from helpers import REPO

from fn import crdrows, fielddata, fieldsgen
from fn.fieldspecs import split


def test_generated_module_matches_fields_yaml():
    text = (REPO / "fn/data/fields.yaml").read_text(encoding="utf-8")
    assert fieldsgen.render(text) == (REPO / "fn/fielddata.py").read_text(encoding="utf-8"), (
        "fn/fielddata.py is stale: run python3 -m fn.fieldsgen")


def test_every_row_is_in_the_builtin_table():
    for group, version, kind, path in fielddata.IMAGE_FIELDS:
        images, _ = crdrows.BUILTIN.find(group, kind, version or None) or ([], [])
        assert split(path) in {r.path for r in images}, (kind, path)
    for group, version, kind, path in fielddata.PULL_SECRET_FIELDS:
        _, secrets = crdrows.BUILTIN.find(group, kind, version or None) or ([], [])
        assert split(path) in {r.path for r in secrets}, (kind, path)
    for group, _, kind, path in fielddata.POD_TEMPLATES:
        images, _ = crdrows.BUILTIN.find(group, kind) or ([], [])
        assert (*split(path), "containers[]", "image") in {r.path for r in images}


def test_version_rows_hold_for_their_version_only():
    images, _ = crdrows.BUILTIN.find("kafka.strimzi.io", "Kafka", "v1")
    assert ("spec", "zookeeper", "image") not in {r.path for r in images}
    images, _ = crdrows.BUILTIN.find("kafka.strimzi.io", "Kafka", "v1beta2")
    assert ("spec", "zookeeper", "image") in {r.path for r in images}


def test_validate_never_waits_on_a_terminal(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                      "data: {appSlug: acme, privateImages: quay.io/acme/}\n")
    main, secondary = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "fn", "validate", "--config", str(config)],
                              stdin=secondary, capture_output=True, text=True, timeout=30,
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        os.close(main)
        os.close(secondary)
    assert proc.returncode == 1
    assert "stdin is a terminal" in proc.stderr
    assert "validate --config FILE FILE|DIR|-" in proc.stderr
