"""Who holds a sandbox environment's loopback address: a Yespo Console sandbox (it answers
GET /_sandbox/health with its service name), something else, something silent, or nothing.

Asked before anything is sent there: the CLI (cli.targets) and the window (gui.session) send to a loopback
sandbox address only once it has said it is a console sandbox, since whatever holds the port would receive
the event.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import httpx

from yespo_console.core.http.environments import Environment

PROBE_TIMEOUT_S = 3.0

Holder = Literal["sandbox", "refused", "silent", "other"]


async def probe_sandbox(url: str, service: str, timeout_s: float = PROBE_TIMEOUT_S) -> Holder:
    """'sandbox' when a Yespo Console sandbox (SERVICE: the name its health check gives) answers at the URL's
    host and port, 'refused' when nothing listens there, 'silent' when something takes the connection but
    does not answer in time, 'other' when something else answers."""
    health = httpx.URL(url).copy_with(path="/_sandbox/health", query=None)
    try:
        async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as client:
            response = await client.get(health)
    except httpx.ConnectError:
        return "refused"
    except httpx.TimeoutException:
        return "silent"
    except httpx.HTTPError:
        return "other"
    try:
        ok = response.status_code == 200 and response.json().get("service") == service
    except (ValueError, AttributeError):
        ok = False
    return "sandbox" if ok else "other"


def held_by_a_stranger(env: Environment, found: Holder) -> str:
    """What holds ENV's address when it is not a console sandbox ('other' or 'silent'), in words."""
    wanted = urlsplit(env.url)
    what = "does not answer" if found == "silent" else "is not a Yespo Console sandbox"
    return f"something that {what} holds {wanted.hostname}:{wanted.port}, the address of the {env.label} environment"
