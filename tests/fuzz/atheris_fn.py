"""Coverage-guided fuzzing of ``fn.krm.resource_list`` with atheris (libFuzzer).

Not collected by pytest (tests/test_fuzz.py runs it briefly). Every input must satisfy
``helpers.check_invariants``: exit 0 with a valid, deterministic, idempotent ResourceList,
or exit 1 with an error result; never an exception.

    python tests/fuzz/atheris_fn.py -atheris_runs=100000        # stop at the first crash
    python tests/fuzz/atheris_fn.py -max_total_time=60 --survey=DIR

The corpus starts from the examples (a temporary directory unless corpus directories are
given) with a dictionary of YAML and ResourceList tokens. Input that is not UTF-8 is
skipped (the command line rejects it before the function; tests/test_fuzz.py covers that).

``--survey=DIR``: do not stop at a violation; keep the smallest input of each distinct kind
in DIR (``<n>.txt`` with the kind on the first line) and go on. libFuzzer prints the number
of runs at the end ("Done N runs").
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

with atheris.instrument_imports(include=["fn"]):
    from fn import krm

import helpers  # noqa: E402

MAX_INPUT = 100_000  # characters: bigger inputs only slow the search down
TOKENS = [
    "&a ", "*a", "<<: *a", "!!python/object/apply:os.system ", "!!str ", "!!int ", "!!binary ",
    "!!timestamp ", "!!bool ", "!custom ", "---\n", "...\n", "- ", ": ", "? ", "{", "}", "[",
    "]", "|\n", ">-\n", "'", '"', "#", "\t", "\r\n", "\ufeff", "\\u0000", "null", "~",
    "items:\n", "items: []\n", "functionConfig:\n", "kind: ResourceList\n",
    "apiVersion: config.kubernetes.io/v1\n", "metadata:\n  name: x\n", "namespace: ",
    "containers:\n", "- name: c\n  image: quay.io/acme/x:1\n", "initContainers:\n",
    "imagePullSecrets:\n", "volumes:\n", "image: ", "reference: ", "licenseID: ", "appSlug: ",
    "license.yaml: |\n", "privateImages: ", "licenseConfigMap: ", "mode: validate\n",
    "kind: Secret\n", "kind: ConfigMap\n", "kind: List\n", "fn.replicated-proxy/generated",
    "internal.config.kubernetes.io/path: ", "config.kubernetes.io/local-config: \"true\"",
    "quay.io/acme/", "proxy.replicated.com/proxy/acme/", "@sha256:" + "a" * 64,
]


class Survey:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.found: dict[str, int] = {}  # kind -> size of the smallest input kept
        directory.mkdir(parents=True, exist_ok=True)

    def keep(self, kind: str, text: str) -> None:
        if kind in self.found and self.found[kind] <= len(text):
            return
        n = self.found.get(kind)
        index = len(self.found) if n is None else list(self.found).index(kind)
        self.found[kind] = len(text)
        (self.directory / f"{index}.txt").write_text(kind + "\n" + text, encoding="utf-8")


SURVEY: Survey | None = None


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if len(text) > MAX_INPUT:
        return
    try:
        helpers.check_invariants(text, krm.resource_list)
    except Exception as exc:
        leaked = helpers.leaks(str(exc)) if not isinstance(exc, AssertionError) else []
        if SURVEY is None:
            raise
        SURVEY.keep(helpers.violation_kind(exc) + (" (the exception text holds a license ID)"
                                    if leaked else ""), text)


def seed_corpus(directory: Path) -> None:
    examples = REPO / "examples"
    seeds = [(examples / "quickstart/resourcelist.yaml").read_text()]
    manifests = (examples / "stream/manifests.yaml").read_text()
    config = (examples / "stream/config.yaml").read_text()
    items = "".join(f"- {doc.strip().replace(chr(10), chr(10) + '  ')}\n"
                    for doc in manifests.split("---\n") if doc.strip())
    seeds.append("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
                 + "functionConfig:\n" + "".join(f"  {line}\n" for line in config.splitlines()
                                                 if not line.startswith("#")))
    for i, seed in enumerate(seeds):
        (directory / f"seed{i}").write_text(seed, encoding="utf-8")


def dict_entry(token: str) -> str:
    """A libFuzzer dictionary entry: printable ASCII as is, other bytes as \\xNN."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}"
                   for b in token.encode())


def main() -> None:
    global SURVEY
    args = [a for a in sys.argv if not a.startswith("--survey=")]
    survey = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--survey=")]
    if survey:
        SURVEY = Survey(Path(survey[-1]))
    work = Path(tempfile.mkdtemp(prefix="atheris-fn-"))
    dictionary = work / "yaml.dict"
    dictionary.write_text("".join(f'"{dict_entry(t)}"\n' for t in TOKENS))
    extra = [f"-dict={dictionary}", f"-artifact_prefix={work}{os.sep}", "-max_len=20000"]
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = work / "corpus"
        corpus.mkdir()
        seed_corpus(corpus)
        extra.append(str(corpus))
    atheris.Setup([args[0], *extra, *args[1:]], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
