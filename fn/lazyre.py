"""Regular expressions compiled when first used: a run needs few of the function's
patterns, and compiling one is start-up time (``re``'s compiler is Python code)."""

from __future__ import annotations

import re

_compile = re.compile  # (fn.yamlc stands LazyPattern in for re.compile while PyYAML imports)


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled when first used (``pattern`` is there
    without compiling). Each attribute asked for is then kept on the instance, so later
    calls cost one lookup."""

    __slots__ = ("__dict__", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") or name in ("pattern", "_flags"):  # (copy, pickle: not
            raise AttributeError(name)  # a pattern's; and no loop on a half-made one)
        value = getattr(_compile(self.pattern, self._flags), name)
        setattr(self, name, value)
        return value


def later(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern compiled on first use, for one most runs never need."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
