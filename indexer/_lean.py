"""Keep whoosh from importing, at start-up, standard modules it never uses here.

A query from the command line should take at most 150 ms, and Python's imports are most of
it. whoosh 2.7 pulls in two things our code never calls, ~30 ms together:

- `asyncio` (13 ms), through `cached_property`, which calls `asyncio.iscoroutinefunction`
  when a cached property is first read (whoosh reads one, `deleted_docs_set`, for every
  term). Until asyncio is imported no function can carry its coroutine marker, so
  `inspect.iscoroutinefunction` gives the same answer without it;
- `urllib.request` with `http.client`, `ssl` and `email` (17 ms), for `whoosh.compat`'s
  `urlretrieve`, a download helper nothing here calls.

Each of those two modules is imported while a stand-in sits in sys.modules for the standard
module; the stand-in's functions import the real module when first called. The stand-in is
removed straight after, so any later `import asyncio` or `import urllib.request`, by anyone,
loads the real module. (importlib.util.LazyLoader cannot do this on Python 3.11: the import
statement itself reads the lazy module's `__spec__`, which loads it.)
tests/test_lean_imports.py checks all of it.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any

DEFERRED = {  # module to import -> (standard module it need not load yet, names it binds)
    "cached_property": ("asyncio", ("iscoroutinefunction", "ensure_future")),
    "whoosh.compat": ("urllib.request", ("urlretrieve",)),
}


def defer_unused_imports() -> None:
    for target, (standard, names) in DEFERRED.items():
        if target in sys.modules or standard in sys.modules:
            continue  # too late, or nothing to save
        stand_in = types.ModuleType(standard)
        for name in names:
            setattr(stand_in, name, ANSWERED.get((standard, name)) or _deferred(standard, name))
        sys.modules[standard] = stand_in
        try:
            importlib.import_module(target)
        except ImportError:
            pass  # reported when the real import runs
        finally:
            if sys.modules.get(standard) is stand_in:
                del sys.modules[standard]


def _iscoroutinefunction(func: Any) -> bool:
    """asyncio.iscoroutinefunction, answered without importing asyncio while nobody has."""
    real = sys.modules.get("asyncio")
    if real is not None:
        return bool(real.iscoroutinefunction(func))
    return inspect.iscoroutinefunction(func)


ANSWERED = {("asyncio", "iscoroutinefunction"): _iscoroutinefunction}


def _deferred(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported when first called."
    return call
