"""Where events go: the environments (Sandbox, Yespo, Yespo API host, eSputnik legacy, the web tracking
endpoint and its sandbox double, custom URLs).

An environment is a target URL plus how to talk to it: the auth mode (Basic with the API key as the
password, Bearer, or none for the tracker), the Basic user name, a User-Agent to send instead of the
console's, how nested values are encoded (escaped string or real object), whether it is production (the
GUI warns before sending there), whether to confirm each send, the client-side rate limit and the
timeouts, and for corporate networks a CA bundle file to trust besides the operating system's trust store
and a proxy to use instead of the standard proxy variables (a loopback URL is never proxied). It never
holds a secret: keys and tokens live in the OS keyring (see `yespo_console.core.http.secrets`), and a
proxy URL with a password is refused (put that one in `HTTPS_PROXY`).

Built-in environments always exist; a user may edit them (the edit is stored) or reset them. User
environments are stored in `environments.json` in the data folder. A broken file never stops the
console: the built-ins remain, the problem is reported in `EnvironmentStore.problems`, and the broken
file is kept aside as `environments.json.bad` before the next save overwrites it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yespo_console.core.errors import InputError, YespoConsoleError, validation_message
from yespo_console.core.events.payload import NestedEncoding

# Re-exported (`as`): they were defined here, and are still imported from here.
from yespo_console.core.http.addresses import SANDBOX as SANDBOX
from yespo_console.core.http.addresses import SANDBOX_DEFAULT_PORT as SANDBOX_DEFAULT_PORT
from yespo_console.core.http.addresses import SANDBOX_DEFAULT_URL, SANDBOX_TRACKER_URL, TRACKER_URL
from yespo_console.core.http.addresses import is_loopback_url as is_loopback_url
from yespo_console.core.http.addresses import is_production_url as is_production_url
from yespo_console.core.http.masking import mask_url, url_password
from yespo_console.core.paths import data_dir

ENVIRONMENTS_FILE = "environments.json"
FILE_VERSION = 1

#: Yespo's documented limit for POST /api/v2/event and /api/v1/event, in requests per second.
YESPO_EVENT_RATE_LIMIT = 350.0

DEFAULT_ENVIRONMENT = SANDBOX

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class AuthMode(StrEnum):
    BASIC = "basic"  # Authorization: Basic base64("<user name>:<API key>")
    BEARER = "bearer"  # Authorization: Bearer <token>
    NONE = "none"  # no Authorization header: the web tracking page says the tracker needs none


EnvironmentKind = Literal["sandbox", "remote"]


def check_url(url: str) -> str:
    """The URL stripped, or InputError with a plain reason."""
    text = url.strip()
    if not text:
        raise InputError("The URL is empty.")
    if _CONTROL_RE.search(text) or " " in text:
        raise InputError(f"The URL {text!r} contains spaces or control characters.")
    try:
        parsed = urlsplit(text)
        parsed.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        raise InputError(f"The URL {text!r} is not valid: {exc}") from exc
    if parsed.scheme.lower() not in ("http", "https"):
        raise InputError(f"The URL {text!r} must start with http:// or https://.")
    if not parsed.hostname:
        raise InputError(f"The URL {text!r} has no host name.")
    return text


class Environment(BaseModel):
    """One target. Immutable: use `model_copy(update=...)` or `with_url()` for a changed copy."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    name: str = Field(description="unique id, used by --env and as the keyring entry name")
    label: str = ""
    url: str
    kind: EnvironmentKind = "remote"
    auth: AuthMode = AuthMode.BASIC
    username: str = ""
    nested: NestedEncoding = "string"
    production: bool = False
    confirm_before_send: bool | None = None  # None: on for production, off otherwise
    rate_limit: float | None = YESPO_EVENT_RATE_LIMIT  # requests per second; None = no limiter
    connect_timeout_s: float = Field(default=10.0, gt=0, le=600)
    timeout_s: float = Field(default=30.0, gt=0, le=3600)  # whole exchange, per attempt
    verify_tls: bool = True
    ca_bundle: str | None = None  # a PEM file of CA certificates trusted besides the OS trust store
    proxy: str | None = None  # http(s)://host:port; None: the standard proxy variables (HTTPS_PROXY …)
    profile: str | None = None  # the account's event types: a profile name or file (core.profiles.folder)
    # Tracker environments: the User-Agent to send instead of the console's (OpenCart forwards the shopper's and
    # sends nothing without one); None sends the console's own.
    user_agent: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        value = value.strip()
        if not _NAME_RE.match(value):
            raise ValueError(
                "an environment name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        try:
            return check_url(value)
        except InputError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("username")
    @classmethod
    def _check_username(cls, value: str) -> str:
        if ":" in value or _CONTROL_RE.search(value):
            raise ValueError("the Basic user name cannot contain ':' or control characters")
        return value

    @field_validator("proxy")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            value = check_url(value)
        except InputError as exc:
            raise ValueError(f"the proxy: {exc}") from exc
        if urlsplit(value).password is not None:
            raise ValueError("a proxy URL with a password is not stored; set HTTPS_PROXY in the environment instead")
        return value

    @field_validator("user_agent")
    @classmethod
    def _check_user_agent(cls, value: str | None) -> str | None:
        if value is not None and (_CONTROL_RE.search(value) or not value.strip() or len(value) > 1000):
            raise ValueError("the User-Agent is 1-1000 characters without control characters")
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _check_ca_bundle(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if _CONTROL_RE.search(value):
            raise ValueError("the CA bundle path contains control characters")
        return value.strip()

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, value: float | None) -> float | None:
        if value is not None and not (0 < value <= 100_000):
            raise ValueError("the rate limit must be between 0 and 100000 requests per second, or none")
        return value

    @model_validator(mode="before")
    @classmethod
    def _fill_label(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("label") and isinstance(data.get("name"), str):
            return {**data, "label": data["name"].strip()}
        return data

    # -- derived -------------------------------------------------------------------------------

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    @property
    def is_builtin(self) -> bool:
        return self.name in BUILTIN_NAMES

    @property
    def needs_confirmation(self) -> bool:
        """Whether the GUI asks before each send."""
        return self.production if self.confirm_before_send is None else self.confirm_before_send

    @property
    def api_version(self) -> Literal["v1", "v2"]:
        """Which rules the target applies: v1 (every value a string) for a /api/v1/ URL, else v2."""
        return "v1" if "/api/v1/" in urlsplit(self.url).path else "v2"

    def with_url(self, url: str) -> Environment:
        """A copy aimed at another URL (e.g. the embedded sandbox's real port)."""
        return self.model_validate({**self.model_dump(mode="json"), "url": url})

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def custom(cls, url: str, *, auth: AuthMode | str = AuthMode.BASIC) -> Environment:
        """An environment for any URL. Production is inferred from the host (yespo.io, esputnik.com);
        a loopback URL counts as a sandbox (another `yespo-console sandbox` or a local mock)."""
        url = check_url(url)
        try:
            return cls(
                name="custom",
                label=mask_url(url),
                url=url,
                kind="sandbox" if is_loopback_url(url) else "remote",
                auth=AuthMode(auth),
                production=is_production_url(url),
            )
        except (ValidationError, ValueError) as exc:
            raise InputError(_validation_text(exc)) from exc


def _validation_text(exc: Exception) -> str:
    return validation_message(exc) if isinstance(exc, ValidationError) else str(exc)


BUILTIN_ENVIRONMENTS: tuple[Environment, ...] = (
    Environment(
        name=SANDBOX,
        label="Sandbox (local)",
        url=SANDBOX_DEFAULT_URL,
        kind="sandbox",
    ),
    Environment(name="yespo", label="Yespo", url="https://yespo.io/api/v2/event", production=True),
    Environment(name="yespo-api", label="Yespo API host", url="https://api.yespo.io/api/v2/event", production=True),
    Environment(name="esputnik", label="eSputnik (legacy)", url="https://esputnik.com/api/v2/event", production=True),
    # The tracker: no auth, as its page says (WooCommerce and Shopify send Basic anyway: set auth to basic).
    Environment(name="tracker", label="Yespo web tracking", url=TRACKER_URL, auth=AuthMode.NONE, production=True,
                rate_limit=None),
    Environment(name="sandbox-tracker", label="Sandbox web tracking (local)", url=SANDBOX_TRACKER_URL,
                kind="sandbox", auth=AuthMode.NONE, rate_limit=None),
)
BUILTIN_NAMES = frozenset(env.name for env in BUILTIN_ENVIRONMENTS)


def builtin(name: str) -> Environment:
    for env in BUILTIN_ENVIRONMENTS:
        if env.name == name:
            return env
    raise KeyError(name)


class EnvironmentStore:
    """The environments: built-ins (possibly edited) followed by the user's own, persisted as JSON.

    Not thread-safe; the GUI and the CLI use it from one thread.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.problems: list[str] = []
        self._overrides: dict[str, Environment] = {}
        self._custom: dict[str, Environment] = {}
        self._file_broken = False
        self._load()

    @classmethod
    def open(cls, data_dir_override: str | os.PathLike[str] | None = None) -> EnvironmentStore:
        return cls(data_dir(data_dir_override) / ENVIRONMENTS_FILE)

    # -- reading -------------------------------------------------------------------------------

    def all(self) -> list[Environment]:
        """Built-ins in their fixed order, then user environments in the order they were added."""
        return [self._overrides.get(env.name, env) for env in BUILTIN_ENVIRONMENTS] + list(self._custom.values())

    def names(self) -> list[str]:
        return [env.name for env in self.all()]

    def find(self, name: str) -> Environment | None:
        """By name, case-insensitively."""
        wanted = name.strip().lower()
        for env in self.all():
            if env.name.lower() == wanted:
                return env
        return None

    def get(self, name: str) -> Environment:
        env = self.find(name)
        if env is None:
            raise InputError(f"No environment named {name!r}. Known: {', '.join(self.names())}.")
        return env

    def default(self) -> Environment:
        return self.get(DEFAULT_ENVIRONMENT)

    # -- writing -------------------------------------------------------------------------------

    def save(self, env: Environment) -> None:
        """Add or replace an environment (a built-in one is stored as an edit) and write the file. A URL
        with a password is refused: the file holds no secrets."""
        if url_password(env.url) is not None:
            raise InputError(
                f"The URL of environment {env.name!r} holds a password, which is not stored: put the key in the "
                "OS keyring (or $YESPO_API_KEY) and remove it from the URL."
            )
        builtin_env = next((b for b in BUILTIN_ENVIRONMENTS if b.name == env.name), None)
        if builtin_env is not None:
            if env.kind != builtin_env.kind:
                raise InputError(f"The kind of the built-in environment {env.name!r} cannot change.")
            if env == builtin_env:
                self._overrides.pop(env.name, None)
            else:
                self._overrides[env.name] = env
        else:
            clash = self.find(env.name)
            if clash is not None and clash.name != env.name:
                raise InputError(f"An environment named {clash.name!r} already exists.")
            self._custom[env.name] = env
        self._write()

    def delete(self, name: str) -> None:
        """Remove a user environment, or reset an edited built-in to its defaults."""
        env = self.get(name)
        if env.is_builtin:
            self._overrides.pop(env.name, None)
        else:
            self._custom.pop(env.name, None)
        self._write()

    # -- file ----------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.problems.append(f"Could not read {self.path}: {exc.strerror or exc}. Using the built-ins.")
            return
        try:
            document = json.loads(raw)
        except ValueError as exc:
            self._broken(f"{self.path} is not valid JSON ({exc}); it will be kept as .bad on the next save.")
            return
        if not isinstance(document, dict) or not isinstance(document.get("environments"), list):
            self._broken(f"{self.path} has no 'environments' list; it will be kept as .bad on the next save.")
            return
        version = document.get("version", FILE_VERSION)
        if not isinstance(version, int) or version > FILE_VERSION:
            self._broken(f"{self.path} was written by a newer Yespo Console (version {version!r}).")
            return
        for index, item in enumerate(document["environments"]):
            if not isinstance(item, dict):
                self.problems.append(f"Environment #{index + 1} in {self.path} is not an object; skipped.")
                continue
            try:
                env = Environment.model_validate(item)
            except ValidationError as exc:
                label = item.get("name", f"#{index + 1}")
                self.problems.append(f"Environment {label!r} skipped: {_validation_text(exc)}")
                continue
            if env.is_builtin:
                if env.kind != builtin(env.name).kind:
                    self.problems.append(f"Environment {env.name!r}: its kind cannot change; edit ignored.")
                    continue
                self._overrides[env.name] = env
            elif self.find(env.name) is not None:
                self.problems.append(f"Environment {env.name!r} appears twice in {self.path}; the first kept.")
            else:
                self._custom[env.name] = env

    def _broken(self, message: str) -> None:
        self.problems.append(message)
        self._file_broken = True

    def _write(self) -> None:
        document = {
            "version": FILE_VERSION,
            "environments": [env.to_json() for env in (*self._overrides.values(), *self._custom.values())],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._file_broken and self.path.exists():
            os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
            self._file_broken = False
        try:
            fd, tmp = tempfile.mkstemp(prefix=".environments-", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise YespoConsoleError(f"Could not save environments in {self.path.parent}: {exc}") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise YespoConsoleError(f"Could not save environments to {self.path}: {exc}") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
