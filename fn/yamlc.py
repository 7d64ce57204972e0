"""PyYAML's C event parser and its YAML 1.1 tag resolution, without importing all of PyYAML.

``import yaml`` runs PyYAML's whole pure-Python reader, scanner, parser, composer,
constructor, emitter, serializer and representer; compiling their regular expressions
alone is most of an empty run's own cost. The function needs libyaml's events
(``CParser``), the event and node classes, the resolver for plain scalars and, only for
explicitly tagged or non-string scalars, the safe constructor.

So, unless PyYAML is already imported, the ``yaml`` package is registered *unexecuted*:
its submodules are imported one by one (the C extension needs a few of them at import),
with the regular expressions PyYAML compiles at import compiled on first use instead
(same pattern, same flags). Everything is PyYAML's own code and classes; nothing is
reimplemented. The first access to any other name of the package (``yaml.load``,
``yaml.CSafeLoader``, ...), from anywhere, runs PyYAML's ``__init__`` then, in the same
module object, so ``import yaml`` elsewhere still sees the whole of PyYAML.

Exports: ``yaml`` (the package), ``CParser``, the event classes, ``ScalarNode``,
``YAMLError``, ``resolver()`` and ``safe_constructor()`` (both built on first use).
"""

from __future__ import annotations

import sys

from fn.lazyre import LazyPattern


def _load() -> object:
    """The ``yaml`` package with only what the C parser and the resolver need; a plain
    ``import yaml`` when PyYAML is not a package on sys.path."""
    # importlib.util would import contextlib: PathFinder and the function util re-exports
    import importlib.machinery
    import re

    try:
        from importlib._bootstrap import module_from_spec
    except ImportError:  # pragma: no cover - another Python
        from importlib.util import module_from_spec
    spec = importlib.machinery.PathFinder.find_spec("yaml")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        import yaml as full

        return full
    pkg = module_from_spec(spec)

    def complete(name: str) -> object:
        """PEP 562: a name not there yet. Run PyYAML's __init__ (it finds its submodules
        already imported) in this module, then answer."""
        del pkg.__getattr__
        spec.loader.exec_module(pkg)  # type: ignore[union-attr]
        return pkg.__dict__[name] if name in pkg.__dict__ else getattr(pkg, name)

    sys.modules["yaml"] = pkg
    try:
        from yaml import error, events, nodes, tokens

        for mod in (error, tokens, events, nodes):  # what __init__'s "import *" binds
            names = getattr(mod, "__all__", None)
            if names is None:
                names = [n for n in vars(mod) if not n.startswith("_")]
            for name in names:
                setattr(pkg, name, getattr(mod, name))
        compile_now = re.compile
        re.compile = LazyPattern  # type: ignore[assignment]  # only while these run:
        try:
            # what the C extension reads at import (its error classes), and the resolver
            import yaml.composer
            import yaml.constructor
            import yaml.emitter
            import yaml.parser
            import yaml.reader
            import yaml.representer
            import yaml.resolver
            import yaml.scanner
            import yaml.serializer  # noqa: F401
        finally:
            re.compile = compile_now
        pkg.__getattr__ = complete  # type: ignore[attr-defined]
    except BaseException:
        del sys.modules["yaml"]
        raise
    return pkg


yaml = sys.modules.get("yaml") or _load()

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML without libyaml: its pure-Python parser, as before
    CParser = yaml.SafeLoader

from yaml.error import YAMLError  # noqa: E402
from yaml.events import (  # noqa: E402
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode  # noqa: E402

__all__ = [
    "AliasEvent", "CParser", "DocumentEndEvent", "DocumentStartEvent", "MappingEndEvent",
    "MappingStartEvent", "ScalarEvent", "ScalarNode", "SequenceEndEvent",
    "SequenceStartEvent", "StreamEndEvent", "YAMLError", "resolver", "safe_constructor",
    "yaml",
]

_made: dict[str, object] = {}


def resolver():  # -> yaml.resolver.Resolver
    """PyYAML's (YAML 1.1) resolver, one instance."""
    r = _made.get("resolver")
    if r is None:
        r = _made["resolver"] = yaml.resolver.Resolver()
    return r


def safe_constructor():  # -> yaml.constructor.SafeConstructor
    """PyYAML's safe constructor, one instance (its state is per document: callers
    construct one scalar document at a time)."""
    c = _made.get("constructor")
    if c is None:
        c = _made["constructor"] = yaml.constructor.SafeConstructor()
    return c
