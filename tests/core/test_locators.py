import pytest

from yespo_console.core.events.locators import CandidateState, resolve, resolve_body


def body(key_value=..., **params):
    data = {"eventTypeKey": "x", "params": [{"name": k, "value": v} for k, v in params.items()]}
    if key_value is not ...:
        data["keyValue"] = key_value
    return data


def states(resolution):
    return {c.name: c.state for c in resolution.candidates}


def test_priority_order_contact_id_first():
    r = resolve_body(body(pushToken="t", phone="380501234567", email="a@b.co", externalCustomerId="e", contactId="7"))
    assert (r.key_value, r.source) == ("7", "contactId")
    assert states(r)["externalCustomerId"] is CandidateState.LOWER_PRIORITY
    assert r.runner_up.name == "externalCustomerId"
    assert "contactId ranks higher" in next(c for c in r.candidates if c.name == "email").reason


@pytest.mark.parametrize(("value", "state"), [("", CandidateState.EMPTY), ("   ", CandidateState.BLANK),
                                              ("null", CandidateState.NULL), ("NULL", CandidateState.NULL),
                                              (None, CandidateState.NULL), ({"a": 1}, CandidateState.NOT_TEXT)])
def test_unusable_values_lose_with_a_reason(value, state):
    r = resolve_body(body(externalCustomerId=value, email="a@b.co"))
    assert r.source == "email"
    candidate = next(c for c in r.candidates if c.name == "externalCustomerId")
    assert candidate.state is state and candidate.reason and candidate.param_index == 0


def test_explicit_key_value_wins_and_empty_key_value_counts_as_absent():
    r = resolve_body(body("K", email="a@b.co"))
    assert (r.key_value, r.source) == ("K", "keyValue")
    assert "keyValue is sent explicitly" in r.candidates[3].reason
    assert r.best_locator.name == "email"
    r = resolve_body(body("", email="a@b.co"))
    assert (r.source, r.candidates[0].state) == ("email", CandidateState.EMPTY)


def test_nothing_usable_is_rejected():
    r = resolve_body(body(email="", phone="null"))
    assert not r.accepted and r.key_value is None and r.runner_up is None
    assert "reject" in r.summary()
    assert states(r)["contactId"] is CandidateState.ABSENT
    assert states(r)["keyValue"] is CandidateState.ABSENT


def test_removing_the_winner_promotes_the_runner_up():
    params = [(0, "email", "a@b.co"), (1, "phone", "380501234567")]
    first = resolve(None, params, key_value_present=False)
    second = resolve(None, [p for p in params if p[1] != first.source], key_value_present=False)
    assert first.runner_up.name == second.source == "phone"


def test_numbers_are_usable_as_text_and_first_duplicate_counts():
    r = resolve_body({"params": [{"name": "contactId", "value": 42}, {"name": "contactId", "value": "9"}]})
    assert (r.key_value, r.source) == ("42", "contactId")
