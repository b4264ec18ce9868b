"""The window's export of selected exchanges carries their verifications, as `history export` does."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.test_history_verifications import filled
from yespo_console.gui.history_export import write_exchanges


def test_the_windows_export_carries_what_followed_each_send(tmp_path: Path) -> None:
    with filled(tmp_path / "h.sqlite3") as store:
        ndjson, har = tmp_path / "chosen.ndjson", tmp_path / "chosen.har"
        assert write_exchanges(store, [5, 2, 3], str(ndjson), "ndjson") == 3
        assert write_exchanges(store, [2], str(har), "har") == 1
    records = [json.loads(line) for line in ndjson.read_text().splitlines()]
    assert [r.get("verification", {}).get("status") for r in records] == ["contact_not_found", "linked", None]
    (entry,) = json.loads(har.read_text())["log"]["entries"]
    assert entry["_yespoVerification"]["activities"][0]["workflowName"] == "Abandoned cart"
