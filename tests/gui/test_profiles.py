"""A profile per environment: the window's event types, form, preview and diagnostics, and the sandbox, follow it."""

import json

from yespo_console.core.events.profiles import BUILTIN


def _types(window):
    return [window.events.item(row).data(256)[1] for row in range(window.events.count())
            if window.events.item(row).data(256)[0] == "type"]


def _use_profile(window, session, name):
    env = session.environments.get("sandbox").model_copy(update={"profile": name})
    session.environments.save(env)
    window._load_environments("sandbox")


def test_an_environment_profile_adds_its_types_with_a_full_form(window, session, qtbot):
    assert _types(window)[-1] == "custom" and "AbandonedCart" not in _types(window)
    _use_profile(window, session, "abandoned-cart")
    assert "AbandonedCart" in _types(window) and "orderCreated" in _types(window)
    assert session.sandbox.account.profile.name == "Example shop (AbandonedCart)"
    row = _types(window).index("AbandonedCart")
    window.events.setCurrentRow(row)
    assert window.form.spec.key == "AbandonedCart"
    assert {"cartId", "totalValue", "currency", "itemCount"} <= set(window.form.focusable)
    body = json.loads(window.current_body())
    assert [p["name"] for p in body["params"]] == ["externalCustomerId", "cartId", "totalValue", "currency",
                                                   "itemCount"]
    qtbot.waitUntil(lambda: window.binding.report is not None and window.binding.report.event_type == "AbandonedCart")
    assert window.binding.report.findings == ()
    window.form.focusable["cartId"].clear()
    qtbot.waitUntil(lambda: any(f.code == "field.missing" for f in window.diagnostics.findings))
    assert "rejects if Validate parameters is on" in window.diagnostics.verdict_text


def test_a_broken_profile_falls_back_to_the_built_in_one_and_says_why(window, session, qtbot):
    folder = session.home / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / "broken.yaml").write_text("name: X\neventTypes: [{key: a, colour: red}]\n")
    _use_profile(window, session, "broken")
    assert window.form.profile is BUILTIN
    assert "Profile 'broken' not used" in window.statusBar().currentMessage()
    assert "broken.yaml:2" in window.statusBar().currentMessage()
