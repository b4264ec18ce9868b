"""A local Yespo-compatible endpoint: `server` runs it, `endpoints` says what it serves.

The names are loaded on first use: the window imports `faults` at start-up and should not pay for
starlette and uvicorn before the sandbox actually starts.
"""

from yespo_console.core.lazy import lazy_exports

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

__getattr__ = lazy_exports(__name__, _EXPORTS)
