from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yespo_console.core.errors import InputError
from yespo_console.core.http.environments import (
    BUILTIN_ENVIRONMENTS,
    ENVIRONMENTS_FILE,
    SANDBOX_DEFAULT_URL,
    AuthMode,
    Environment,
    EnvironmentStore,
    is_production_url,
)


def test_builtins_are_the_documented_targets() -> None:
    by_name = {env.name: env for env in BUILTIN_ENVIRONMENTS}
    assert list(by_name) == ["sandbox", "yespo", "yespo-api", "esputnik", "tracker", "sandbox-tracker"]
    assert by_name["sandbox"].url == SANDBOX_DEFAULT_URL
    assert by_name["sandbox"].is_sandbox and not by_name["sandbox"].production
    assert by_name["yespo"].url == "https://yespo.io/api/v2/event"
    assert by_name["yespo-api"].url == "https://api.yespo.io/api/v2/event"
    assert by_name["esputnik"].url == "https://esputnik.com/api/v2/event"
    for name in ("yespo", "yespo-api", "esputnik"):
        env = by_name[name]
        assert env.production and env.needs_confirmation
        assert env.auth is AuthMode.BASIC and env.username == "" and env.nested == "string"
        assert env.rate_limit == 350.0
    assert not by_name["sandbox"].needs_confirmation


def test_confirmation_switch_overrides_the_production_default() -> None:
    env = BUILTIN_ENVIRONMENTS[1].model_copy(update={"confirm_before_send": False})
    assert env.production and not env.needs_confirmation
    sandbox = BUILTIN_ENVIRONMENTS[0].model_copy(update={"confirm_before_send": True})
    assert sandbox.needs_confirmation


@pytest.mark.parametrize(
    ("url", "production", "kind"),
    [
        ("https://yespo.io/api/v2/event", True, "remote"),
        ("https://eu.api.yespo.io/api/v2/event", True, "remote"),
        ("https://esputnik.com/api/v1/event", True, "remote"),
        ("https://notyespo.io/api/v2/event", False, "remote"),
        ("http://127.0.0.1:9000/api/v2/event", False, "sandbox"),
        ("http://localhost:9000/api/v2/event", False, "sandbox"),
        ("https://staging.example.com/yespo", False, "remote"),
    ],
)
def test_custom_url_infers_production_and_kind(url: str, production: bool, kind: str) -> None:
    env = Environment.custom(url)
    assert env.production is production
    assert env.kind == kind
    assert is_production_url(url) is production


@pytest.mark.parametrize("url", ["", "   ", "ftp://yespo.io/api", "yespo.io/api/v2/event", "http://", "http://a b/"])
def test_bad_urls_are_refused_plainly(url: str) -> None:
    with pytest.raises(InputError):
        Environment.custom(url)


def test_api_version_follows_the_path() -> None:
    assert Environment.custom("https://yespo.io/api/v1/event").api_version == "v1"
    assert Environment.custom("https://yespo.io/api/v2/event").api_version == "v2"


def test_bad_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="user name"):
        Environment(name="x", url="https://example.com/e", username="a:b")
    with pytest.raises(ValueError, match="environment name"):
        Environment(name="has space", url="https://example.com/e")
    with pytest.raises(ValueError, match="rate limit"):
        Environment(name="x", url="https://example.com/e", rate_limit=0)
    env = Environment(name="x", url="https://example.com/e", rate_limit=None)
    assert env.rate_limit is None and env.label == "x"


def test_with_url_keeps_everything_else() -> None:
    env = BUILTIN_ENVIRONMENTS[0].with_url("http://127.0.0.1:5555/api/v2/event")
    assert env.url.endswith(":5555/api/v2/event")
    assert env.name == "sandbox" and env.is_sandbox


def test_store_starts_with_builtins_and_no_file(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / ENVIRONMENTS_FILE)
    assert store.names() == ["sandbox", "yespo", "yespo-api", "esputnik", "tracker", "sandbox-tracker"]
    assert store.default().name == "sandbox"
    assert store.find("YESPO").name == "yespo"  # type: ignore[union-attr]
    assert store.problems == []
    assert not (tmp_path / ENVIRONMENTS_FILE).exists()
    with pytest.raises(InputError, match="Known: sandbox, yespo"):
        store.get("nope")


def test_custom_environment_round_trips(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    store = EnvironmentStore(path)
    env = Environment(
        name="staging",
        label="Staging",
        url="https://staging.example.com/api/v2/event",
        auth=AuthMode.BEARER,
        nested="object",
        confirm_before_send=True,
        rate_limit=10,
    )
    store.save(env)
    again = EnvironmentStore(path)
    assert again.get("staging") == env
    assert again.names()[-1] == "staging"
    again.delete("staging")
    assert EnvironmentStore(path).find("staging") is None


def test_editing_a_builtin_is_stored_and_can_be_reset(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    store = EnvironmentStore(path)
    edited = store.get("yespo").model_copy(update={"username": "user", "confirm_before_send": False})
    store.save(edited)
    assert EnvironmentStore(path).get("yespo").username == "user"
    store.delete("yespo")
    assert EnvironmentStore(path).get("yespo") == BUILTIN_ENVIRONMENTS[1]
    with pytest.raises(InputError, match="kind"):
        store.save(store.get("sandbox").model_copy(update={"kind": "remote"}))


def test_names_clash_case_insensitively(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / ENVIRONMENTS_FILE)
    store.save(Environment(name="Staging", url="https://example.com/e"))
    with pytest.raises(InputError, match="already exists"):
        store.save(Environment(name="staging", url="https://example.com/f"))


def test_no_secret_is_ever_written(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "environments": [
                    {
                        "name": "mine",
                        "url": "https://example.com/e",
                        "api_key": "SECRET-KEY-123456",
                        "password": "pw-999999",
                    },
                ],
            }
        )
    )
    store = EnvironmentStore(path)
    assert store.get("mine").url == "https://example.com/e"
    store.save(store.get("mine").model_copy(update={"label": "Mine"}))
    text = path.read_text()
    assert "SECRET-KEY-123456" not in text and "pw-999999" not in text
    assert "api_key" not in text and "password" not in text


def test_a_broken_file_keeps_the_builtins_and_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    path.write_text("{not json")
    store = EnvironmentStore(path)
    assert store.names() == ["sandbox", "yespo", "yespo-api", "esputnik", "tracker", "sandbox-tracker"]
    assert store.problems and "not valid JSON" in store.problems[0]
    store.save(Environment(name="new", url="https://example.com/e"))
    assert (tmp_path / (ENVIRONMENTS_FILE + ".bad")).read_text() == "{not json"
    assert EnvironmentStore(path).find("new") is not None


def test_bad_entries_are_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "environments": [
                    {"name": "ok", "url": "https://example.com/e"},
                    {"name": "bad", "url": "ftp://example.com"},
                    "not an object",
                    {"name": "sandbox", "url": "http://127.0.0.1:1/api/v2/event", "kind": "remote"},
                    {"name": "ok", "url": "https://example.com/dup"},
                ],
            }
        )
    )
    store = EnvironmentStore(path)
    assert store.get("ok").url == "https://example.com/e"
    assert store.find("bad") is None
    assert store.get("sandbox").url == SANDBOX_DEFAULT_URL
    assert len(store.problems) == 4
    assert any("'bad'" in p and "http" in p for p in store.problems)


def test_a_newer_file_is_not_overwritten_silently(tmp_path: Path) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    path.write_text(json.dumps({"version": 99, "environments": []}))
    store = EnvironmentStore(path)
    assert "newer" in store.problems[0]
    store.save(Environment(name="x", url="https://example.com/e"))
    assert (tmp_path / (ENVIRONMENTS_FILE + ".bad")).exists()


def test_open_uses_the_data_dir(tmp_path: Path) -> None:
    store = EnvironmentStore.open(tmp_path / "data")
    store.save(Environment(name="x", url="https://example.com/e"))
    assert (tmp_path / "data" / ENVIRONMENTS_FILE).exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(document=json_values | st.fixed_dictionaries({"environments": st.lists(json_values, max_size=4)}))
def test_any_file_content_loads_without_crashing(tmp_path: Path, document: object) -> None:
    path = tmp_path / ENVIRONMENTS_FILE
    path.write_text(json.dumps(document))
    store = EnvironmentStore(path)
    assert store.names()[:4] == ["sandbox", "yespo", "yespo-api", "esputnik"]


def test_a_url_with_a_password_is_never_stored(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / "environments.json")
    with pytest.raises(InputError, match="holds a password"):
        store.save(Environment(name="gw", url="https://shop:the-secret-key@gw.example.com/api/v2/event"))
    assert not (tmp_path / "environments.json").exists()
    store.save(Environment(name="gw", url="https://shop@gw.example.com/api/v2/event"))  # a user name alone is fine
    assert "the-secret-key" not in (tmp_path / "environments.json").read_text()
