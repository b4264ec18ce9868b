"""Packages whose names are loaded on first use (the sandbox's, the recording proxy's, the history's): their
modules pull in uvicorn, starlette, httpx or the exports' validators, which the window should not pay for at
start-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's module `__getattr__`: each name in `exports` is imported from the module it names (in
    `package`) when first asked for."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return __getattr__
