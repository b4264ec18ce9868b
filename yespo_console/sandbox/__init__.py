"""A local Yespo-compatible endpoint: `server` runs it, `endpoints` says what it serves.

The names are loaded on first use: the window imports `faults` at start-up and should not pay for
starlette and uvicorn before the sandbox actually starts.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Faults": "faults",
    "AuthCheck": "judge",
    "check_auth": "judge",
    "SERVICE": "endpoints",
    "Sandbox": "server",
    "SandboxError": "server",
    "SANDBOX_FILE": "store",
    "SandboxEvent": "store",
    "SandboxStore": "store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
