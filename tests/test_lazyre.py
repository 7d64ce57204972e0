"""fn.lazyre: patterns compiled on first use, and a KRM run that pays for no module or
pattern it does not use (start-up is most of a small package's cost)."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

from fn import lazyre

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("pattern", "flags", "text"), [
    (r"[a-z]+(?:-[a-z]+)*", 0, "ab-cd"),
    (r"[a-z]+(?:-[a-z]+)*", 0, "Ab-cd"),
    (r"\w+", re.ASCII, "nginx:é"),
    (r"\w+", 0, "é"),
    ("\r(?!\n)|[\x85\u2028\u2029]", 0, "a\r\nb\rc\u2028"),
])
def test_a_lazy_pattern_answers_as_the_compiled_one(pattern: str, flags: int, text: str
                                                    ) -> None:
    lazy, now = lazyre.later(pattern, flags), re.compile(pattern, flags)
    assert lazy.pattern == now.pattern
    assert bool(lazy.fullmatch(text)) == bool(now.fullmatch(text))
    assert lazy.findall(text) == now.findall(text)
    assert lazy.sub("_", text) == now.sub("_", text)
    found, expected = lazy.search(text, 1), now.search(text, 1)
    assert (found and found.span()) == (expected and expected.span())


def test_a_lazy_pattern_is_compiled_when_first_used_and_once() -> None:
    p = lazyre.LazyPattern(r"x+")
    assert vars(p) == {} and p.pattern == "x+"  # its pattern, without compiling
    assert p.match("xx").end() == 2
    first = p.match
    assert p.match is first and p.match("y") is None  # kept: one lookup from then on


def test_a_lazy_pattern_copies_as_itself() -> None:
    import copy
    import pickle

    p = lazyre.later(r"a+", re.IGNORECASE)
    for again in (copy.copy(p), pickle.loads(pickle.dumps(p))):
        assert again.pattern == "a+" and again.fullmatch("AA")


def _run_in_bare_python(code: str, stdin: bytes) -> dict:
    """``code`` in ``python -S`` (no site hooks: an editable install's finder or other
    .pth files import pathlib and more before the function starts), fn from this tree."""
    path = os.pathsep.join([str(REPO), *site.getsitepackages()])
    p = subprocess.run([sys.executable, "-S", "-c", code], input=stdin, capture_output=True,
                       cwd=REPO, env={**os.environ, "PYTHONPATH": path}, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stderr.decode().splitlines()[-1])


def test_a_krm_run_imports_and_compiles_only_what_it_uses() -> None:
    """The quick start's package (a private image rewritten, a public one kept, a pull
    secret added): no file-path or IPv6 module, none of the config's
    host/duration/env patterns compiled."""
    code = (
        "import sys, os\n"
        "from fn import cli\n"
        "sys.stdout = open(os.devnull, 'w')\n"
        "code = cli.main([])\n"
        "mods = sorted(sys.modules)\n"
        "from fn import config, externalsecret, imageref, linebreaks, localregistry\n"
        "from fn import textedit, yamlrules\n"
        "compiled = [n for m, n in ((config, 'HOST'), (config, 'HOST_OR_IPV6'),\n"
        "            (config, 'ENV_NAME'), (config, 'DNS_SUBDOMAIN'), (config, '_DURATION'),\n"
        "            (linebreaks, '_OTHER'), (textedit, '_ALIAS'), (yamlrules, '_ANCHOR'),\n"
        "            (localregistry, '_NAMESPACE'), (externalsecret, '_HOST'),\n"
        "            (imageref, '_IPV6')) if vars(getattr(m, n))]\n"
        "import json\n"
        "print(json.dumps({'code': code, 'mods': mods, 'compiled': compiled}),\n"
        "      file=sys.stderr)\n")
    out = _run_in_bare_python(code, (REPO / "examples/quickstart/resourcelist.yaml").read_bytes())
    assert out["code"] == 0
    assert out["compiled"] == []
    for module in ("pathlib", "ipaddress", "urllib.parse"):
        assert module not in out["mods"], module
    assert "fn.lazyre" in out["mods"] and "yaml._yaml" in out["mods"]  # (it did run)
