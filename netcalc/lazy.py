"""Names a package re-exports, imported from their modules when first asked for (start-up time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module-level __getattr__ for `package`: each name in `modules` is taken from the module
    named beside it on first use and kept in `namespace` (the package's globals()), so the next use
    is an ordinary global; any other name is the usual AttributeError."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(module), name)
        return value

    return __getattr__
