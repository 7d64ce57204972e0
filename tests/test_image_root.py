"""The container image's build helpers (image/): which requirements the image installs,
and how image/minroot.py copies files with the links the kernel and loader resolve. The
whole image is built and compared with exec mode by tests/container/image-test.sh."""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "image" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


requirements = load("requirements")
minroot = load("minroot")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(extras: list[str]) -> list[str]:
    return [requirements.name(r) for r in requirements.requirements(PROJECT, extras)]


def test_default_image_leaves_out_what_only_a_feature_needs():
    assert "httpx" in [requirements.name(r) for r in PROJECT["dependencies"]]
    assert names([]) == ["pyyaml", "lz4"]  # (lz4: a large input held packed, packedtext)


def test_extras_add_their_feature():
    assert names(["probe"]) == ["pyyaml", "lz4", "httpx"]
    assert names(["probe", "sealed"]) == ["pyyaml", "lz4", "httpx", "cryptography"]


def test_the_test_extra_does_not_make_a_dependency_optional():
    project = {"dependencies": ["PyYAML>=6", "httpx>=0.27"],
               "optional-dependencies": {"test": ["PyYAML==6.0.2"], "probe": ["httpx"]}}
    assert [requirements.name(r) for r in requirements.requirements(project, [])] == ["pyyaml"]


def test_unknown_extra_is_refused():
    with pytest.raises(SystemExit, match="no such extra nope"):
        requirements.requirements(PROJECT, ["nope"])


def test_elf_interpreter_of_this_python():
    loader = minroot.elf_interpreter(os.path.realpath(sys.executable))
    assert loader and os.path.isabs(loader) and os.path.exists(loader)
    assert minroot.elf_interpreter(__file__) is None


def test_keep_copies_links_as_links(tmp_path):
    src = tmp_path / "src"
    (src / "real").mkdir(parents=True)
    (src / "real" / "lib.so.1.2").write_bytes(b"x")
    (src / "real" / "lib.so.1").symlink_to("lib.so.1.2")
    (src / "alias").symlink_to("real")
    out = tmp_path / "out"
    minroot.keep_object(str(src / "alias" / "lib.so.1"), out)
    mirror = out / str(src).lstrip("/")
    assert os.readlink(mirror / "alias") == "real"
    assert os.readlink(mirror / "real" / "lib.so.1") == "lib.so.1.2"
    assert (mirror / "real" / "lib.so.1.2").read_bytes() == b"x"
    assert (mirror / "alias" / "lib.so.1").read_bytes() == b"x"
