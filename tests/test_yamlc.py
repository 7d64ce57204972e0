"""fn.yamlc: PyYAML's C parser and resolver without PyYAML's whole import, same behaviour.

Each check runs in a fresh interpreter, where fn.yamlc is imported before PyYAML."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(code: str) -> str:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=REPO, check=False, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_only_the_parts_needed_are_imported() -> None:
    out = json.loads(_run(
        "import json, sys, fn.yamlc as y\n"
        "from fn import yamlread\n"
        "yamlread.read('a: [1, x]\\n')\n"
        "print(json.dumps({'mods': sorted(m for m in sys.modules if m.startswith('yaml')),\n"
        "  'init_ran': 'load' in vars(y.yaml),\n"
        "  'pattern': type(y.yaml.reader.Reader.NON_PRINTABLE).__name__}))"))
    assert not out["init_ran"]
    assert "yaml.loader" not in out["mods"] and "yaml.cyaml" not in out["mods"]
    assert "yaml._yaml" in out["mods"]
    assert out["pattern"] == "LazyPattern"  # not compiled: the reader never ran


def test_import_yaml_afterwards_is_all_of_pyyaml_with_the_same_classes() -> None:
    out = _run(
        "import fn.yamlc as y\n"
        "import yaml\n"
        "assert yaml is y.yaml\n"
        "assert yaml.safe_load('a: [1, 2.5, yes, ~]') == {'a': [1, 2.5, True, None]}\n"
        "assert yaml.__with_libyaml__ and yaml.CSafeLoader.get_event is y.CParser.get_event\n"
        "assert yaml.ScalarEvent is y.ScalarEvent is yaml.events.ScalarEvent\n"
        "assert yaml._yaml.ReaderError is yaml.reader.ReaderError\n"
        "assert yaml._yaml.ConstructorError is yaml.constructor.ConstructorError\n"
        "try:\n"
        "    yaml.load('\\x01', Loader=yaml.CSafeLoader)\n"
        "except yaml.reader.ReaderError as e:\n"
        "    print(type(e).__name__, str(e).splitlines()[0])\n"
        "print(yaml.dump({'k': [1, 'x']}, Dumper=yaml.CSafeDumper), end='')\n")
    assert out.splitlines() == [
        "ReaderError unacceptable character #x0001: control characters are not allowed",
        "k:", "- 1", "- x"]


def _scalars() -> list[str]:
    """The resolver's own examples (YAML 1.1 types) and random mixes of their pieces."""
    known = [
        "", "~", "null", "Null", "NULL", "nul", "yes", "Yes", "YES", "yEs", "no", "No", "on",
        "On", "ON", "off", "OFF", "y", "Y", "n", "true", "True", "TRUE", "false", "tRUE",
        "0", "-0", "+0", "012", "0o12", "0x1F", "0xg", "0b101", "0b102", "1_000", "190:20:30",
        "-190:20:30", "1:60", "1.5", "-1.5e+3", "1e3", "1.0e3", "6.8523015e+5", ".5", "+.5",
        "._", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".NAN", ".nAn", "1.", "_1", "1__",
        "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
        "2001-12-15T02:59:43.1Z", "2001-1-1", "2001-12-14 21:59:43", "<<", "<", "=", "==",
        "!", "&", "*", "-", "+", ".", "1,000", "0.1.2", "12:30", "v1", "ConfigMap",
    ]
    rng = random.Random(14)
    alphabet = "0123456789_.:+-eEoxXbB T tZzn~<=!yYNnOofFaA"
    pieces = [k for k in known if k]
    made = set(known)
    while len(made) < 6000:
        if rng.random() < 0.5:
            made.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
        else:
            a, b = rng.choice(pieces), rng.choice(pieces)
            cut = rng.randint(0, len(a))
            made.add(a[:cut] + b[rng.randint(0, len(b)):])
    return sorted(made)


def test_plain_scalars_resolve_as_pyyaml_does() -> None:
    values = _scalars()
    data = json.dumps(values)
    ours = _run(
        "import json, sys\nfrom fn.nodes import resolve\n"
        f"print(json.dumps([resolve(v) for v in json.loads({data!r})]))")
    theirs = _run(
        "import json, yaml\nr = yaml.resolver.Resolver()\n"
        f"print(json.dumps([r.resolve(yaml.ScalarNode, v, (True, False)) "
        f"for v in json.loads({data!r})]))")
    ours_l, theirs_l = json.loads(ours), json.loads(theirs)
    assert len(set(theirs_l)) >= 8  # every implicit type is among the samples
    assert ours_l == theirs_l


def test_explicit_tags_and_values_as_before() -> None:
    out = _run(
        "from fn import yamlread\nfrom fn.nodes import to_python\n"
        "refused = []\n"
        "root = yamlread.read('a: !!int 12\\nb: !!int abc\\nc: !!timestamp 2001-12-14\\n"
        "d: 0x1F\\ne: !!binary aGk=\\n', refused=refused)\n"
        "print([r.problem for r in refused])\n"
        "print(to_python(root['a'] if False else root.get('a')), to_python(root.get('c')),\n"
        "      to_python(root.get('d')), to_python(root.get('e')))\n")
    assert out.splitlines() == [
        "['a value that does not match its tag']", "12 2001-12-14 31 b'hi'"]
