"""How the client verifies TLS and finds its proxy.

Certificates are verified against the operating system's trust store (the `truststore` package: the
Windows and macOS certificate stores, the system CA bundle on Linux), not a bundle shipped with the
console, so a company CA installed in the OS (the one a TLS-inspecting proxy signs with) is trusted. An
environment may name a CA bundle file trusted besides it. A loopback URL (the sandbox) is never proxied;
any other goes through the environment's proxy, else the standard variables (HTTPS_PROXY, NO_PROXY …).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from yespo_console.core.errors import YespoConsoleError
from yespo_console.core.http.environments import Environment, is_loopback_url


class TLSSetupError(YespoConsoleError):
    """The environment's CA bundle cannot be used; the message says which file and why."""


def tls_verify(environment: Environment) -> ssl.SSLContext | bool:
    """What httpx's `verify` gets: False when the environment turns verification off, else a context on
    the OS trust store (plus the environment's CA bundle)."""
    if not environment.verify_tls:
        return False
    import truststore  # loaded with the first client, not while the window opens

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if environment.ca_bundle:
        path = Path(environment.ca_bundle).expanduser()
        try:
            context.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise TLSSetupError(
                f"The CA bundle {str(path)!r} of environment {environment.name!r} could not be loaded: {reason}. "
                "Name a PEM file of CA certificates, or clear the setting to use the system's trust store alone."
            ) from None
    return context


def transport_options(environment: Environment) -> dict[str, Any]:
    """The `httpx.AsyncClient` options for TLS and proxies."""
    loopback = is_loopback_url(environment.url)
    return {
        "verify": tls_verify(environment),
        "trust_env": not loopback,  # never send the local sandbox through a proxy
        "proxy": None if loopback else environment.proxy,
    }
