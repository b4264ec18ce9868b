"""Where the environments point, without the environments: the sandbox's default address, the real
service's hosts, and what a URL's host says. Apart from `environments` (pydantic) so that what only asks
these (the window before its first paint, the session) does not load the models.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: The port the standalone sandbox (`yespo-console sandbox`) listens on by default.
SANDBOX_DEFAULT_PORT = 8750
SANDBOX_DEFAULT_URL = f"http://127.0.0.1:{SANDBOX_DEFAULT_PORT}/api/v2/event"

#: Hosts (and their subdomains) that are the real service: sending there reaches real contacts.
PRODUCTION_HOSTS = ("yespo.io", "esputnik.com")

#: The built-in sandbox environment's name.
SANDBOX = "sandbox"

#: The web tracking REST endpoint (the second wire format, core.events.tracker_catalog) and the sandbox's double,
#: at its own path beside the Generate event endpoint.
TRACKER_URL = "https://tracker.yespo.io/api/v2"
SANDBOX_TRACKER_PATH = "/tracker/api/v2"
SANDBOX_TRACKER_URL = f"http://127.0.0.1:{SANDBOX_DEFAULT_PORT}{SANDBOX_TRACKER_PATH}"


def url_host(url: str) -> str:
    """The host name of a URL, lower case; "" when there is none or the URL does not parse.

    urllib, not httpx: asked when the window opens, and httpx is slow to import.
    """
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except (ValueError, TypeError, AttributeError):
        return ""


def is_production_url(url: str) -> bool:
    """True when the URL's host is a real Yespo/eSputnik host (or a subdomain of one)."""
    host = url_host(url)
    return bool(host) and any(host == known or host.endswith("." + known) for known in PRODUCTION_HOSTS)


def is_loopback_url(url: str) -> bool:
    host = url_host(url)
    return host in ("localhost", "::1") or host.startswith("127.")
