"""A local Yespo-compatible endpoint: see `yespo_console.sandbox.server` for what it serves."""

from yespo_console.sandbox.faults import Faults
from yespo_console.sandbox.judge import AuthCheck, check_auth, rejection_text
from yespo_console.sandbox.server import SERVICE, Sandbox, SandboxError, SandboxThread
from yespo_console.sandbox.store import SANDBOX_FILE, SandboxEvent, SandboxStore

__all__ = [
    "SANDBOX_FILE",
    "SERVICE",
    "AuthCheck",
    "Faults",
    "Sandbox",
    "SandboxError",
    "SandboxEvent",
    "SandboxStore",
    "SandboxThread",
    "check_auth",
    "rejection_text",
]
