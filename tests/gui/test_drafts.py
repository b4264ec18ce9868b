"""Saved drafts over a QSettings file of their own, without a window: what is written comes back after a
restart, and a settings file edited by hand (or broken) is read as absent or told plainly, never raised."""

import json

import pytest
from PySide6.QtCore import QSettings

from yespo_console.core.errors import InputError
from yespo_console.core.events.examples import example_draft
from yespo_console.gui.drafts import CURRENT_KEY, DRAFTS_KEY, DraftStore


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "settings.ini")


def reopened(path: str) -> DraftStore:
    """A store over a fresh QSettings on the same file: what a restarted console reads."""
    return DraftStore(QSettings(path, QSettings.Format.IniFormat))


def test_saved_drafts_come_back_after_a_restart(path):
    store = reopened(path)
    assert store.names() == []
    search = example_draft("searchRequest")
    search.values["search"] = "чашки"
    store.save("my search", search)
    store.save("a cart", example_draft("cartUpdated"))
    store.settings.sync()
    again = reopened(path)
    assert again.names() == ["a cart", "my search"]  # sorted, as the event list shows them
    assert again.load("my search") == search
    assert again.load("a cart").event_type == "cartUpdated"


def test_saving_under_a_name_again_replaces_that_draft(path):
    store = reopened(path)
    store.save("x", example_draft("pageViewed"))
    store.save("x", example_draft("productViewed"))
    assert store.names() == ["x"] and store.load("x").event_type == "productViewed"


def test_delete_removes_one_draft_and_ignores_a_missing_name(path):
    store = reopened(path)
    store.save("keep", example_draft("pageViewed"))
    store.save("drop", example_draft("pageViewed"))
    store.delete("drop")
    store.delete("never saved")
    store.settings.sync()
    assert reopened(path).names() == ["keep"]


def test_loading_a_missing_name_says_so(path):
    with pytest.raises(InputError, match="no saved draft named 'ghost'"):
        reopened(path).load("ghost")


def test_a_saved_draft_that_is_not_a_draft_is_told_with_its_name(path):
    store = reopened(path)
    store.settings.setValue(DRAFTS_KEY, json.dumps({"broken": {"event_type": 5}, "good": {"event_type": "x"}}))
    with pytest.raises(InputError) as caught:
        store.load("broken")
    assert "'broken' cannot be read" in str(caught.value) and "event_type" in str(caught.value)
    assert store.load("good").event_type == "x"  # the others still load


@pytest.mark.parametrize("stored", ["not json {", "[1, 2]", '"a string"', "[" * 50_000])
def test_unreadable_saved_drafts_read_as_none_and_saving_starts_over(path, stored):
    store = reopened(path)
    store.settings.setValue(DRAFTS_KEY, stored)
    assert store.names() == []
    store.save("fresh", example_draft("pageViewed"))
    assert store.names() == ["fresh"]


def test_the_current_draft_round_trips(path):
    store = reopened(path)
    assert store.load_current() is None
    draft = example_draft("cartUpdated")
    store.save_current(draft)
    store.settings.sync()
    assert reopened(path).load_current() == draft


@pytest.mark.parametrize("stored", ["", "not json", '{"event_type": 5}', "[" * 50_000])
def test_an_unreadable_current_draft_reads_as_none(path, stored):
    store = reopened(path)
    store.settings.setValue(CURRENT_KEY, stored)
    assert store.load_current() is None
