"""Support for the public API: modules that are also their main function.

``geostrike.check`` and ``geostrike.extract`` name both a submodule and the function it
exports. Importing the submodule (``from geostrike.check import OUTPUT_COLUMNS``) makes
the package attribute the module, shadowing the lazily exported function; making those
modules callable keeps ``geostrike.check(claims, zones)`` working either way.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    """A module whose call runs the function of the same name inside it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def make_callable(module_name: str) -> None:
    """Make the module ``module_name`` callable as its same-named function."""
    sys.modules[module_name].__class__ = _CallableModule
