"""The recording pass-through proxy (`yespo-console proxy`): `server` runs it, `app` is its HTTP face,
`upstream` says where it relays and what crosses, `record` what the history keeps of each exchange.

It reuses the sandbox's hardening (`sandbox.guard`, `intake`, `connections`, `logs`), hence its place in the
layers: above the sandbox, below the window. The names are loaded on first use (uvicorn and httpx are slow
to import).
"""

from yespo_console.core.lazy import lazy_exports

_EXPORTS = {
    "Relay": "server",
    "RelayError": "server",
    "ProxiedExchange": "record",
    "Upstream": "upstream",
    "upstream_for": "upstream",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
