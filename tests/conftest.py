"""Session-wide: the secrecy log and the fuzz case counts.

Every run through ``helpers.run_fn`` is recorded by helpers itself; in-process runs
(``fn.krm.resource_list`` and ``fn.stream.run``, whoever calls them) have their
results recorded here. ``tests/test_zz_secrecy.py`` checks the log as the last test, and
``pytest_sessionfinish`` checks it again (so tests that ran after it, or a reordered run,
are covered too) and fails the session on a leak.
"""

from __future__ import annotations

from pathlib import Path

import helpers
import pytest

# real registries and test servers on 127.0.0.1, as fixtures (assertions rewritten)
pytest_plugins = ["registries"]

FUZZ_COUNT_FILE = helpers.REPO / "bench" / "out" / "fuzz-count.txt"


@pytest.fixture(autouse=True, scope="session")
def _record_in_process_results():
    from fn import krm, stream

    original_list, original_stream = krm.resource_list, stream.run

    def resource_list(text, *args, **kwargs):
        run = original_list(text, *args, **kwargs)
        helpers.record_results("fn.krm.resource_list", run.results, text)
        return run

    def stream_run(text, settings, *args, **kwargs):
        run = original_stream(text, settings, *args, **kwargs)
        helpers.record_results("fn.stream.run", run.results, text)
        return run

    resource_list.__doc__ = original_list.__doc__
    stream_run.__doc__ = original_stream.__doc__
    patch = pytest.MonkeyPatch()
    patch.setattr(krm, "resource_list", resource_list)
    patch.setattr(stream, "run", stream_run)
    yield
    patch.undo()


def pytest_sessionfinish(session, exitstatus):
    problems = helpers.secrecy_problems()
    if problems:
        session.config._secrecy_problems = problems  # shown in the terminal summary
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if helpers.FUZZ_COUNTS:
        try:
            FUZZ_COUNT_FILE.parent.mkdir(parents=True, exist_ok=True)
            FUZZ_COUNT_FILE.write_text("".join(
                f"{name}\t{count}\n" for name, count in sorted(helpers.FUZZ_COUNTS.items())))
        except OSError:
            pass


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if helpers.FUZZ_COUNTS:
        terminalreporter.section("fuzz cases run")
        for name, count in sorted(helpers.FUZZ_COUNTS.items()):
            terminalreporter.write_line(f"{name}: {count}")
        terminalreporter.write_line(f"(also in {Path(FUZZ_COUNT_FILE).relative_to(helpers.REPO)})")
    problems = getattr(config, "_secrecy_problems", None)
    if problems:
        terminalreporter.section("SECRECY: a test license ID reached stderr or results")
        for line in problems[:50]:
            terminalreporter.write_line(line)
        if len(problems) > 50:
            terminalreporter.write_line(f"... and {len(problems) - 50} more")
