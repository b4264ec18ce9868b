"""The hostile-input corpus (issue 15): every input an attack tried, run as a user runs the command, in a
process of its own. Each must end with its documented exit code and a clear message, never a traceback,
lose no exchange of the history, and let no escape sequence from a stranger reach the terminal raw.

The cases build their files in the test's folder; `{dir}` in an argument is that folder, `{url}` a server
on 127.0.0.1 that answers every event with a 400 whose body carries escape sequences.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.hostile import ESCAPES, hostile_record, hostile_server, no_raw_controls
from tests.reliability.helpers import child_env
from yespo_console.core.history import HistoryStore, read_exchanges

CANARY = "canary-key-7f3a9c"
DEEP_DOC_MISTAKE = ('{"eventTypeKey":"x","keyValue":"k","params":[{"name":"a","value":"'
                    + '{"b":' * 3000 + "1" + "}" * 3000 + '"}]}')
EVENT = {"eventTypeKey": f"pageViewed{ESCAPES}", "keyValue": f"k{ESCAPES}", "params": []}


def _files(folder: Path) -> None:
    """Every file the cases name."""
    (folder / "deep.json").write_text(DEEP_DOC_MISTAKE)
    (folder / "inf.json").write_text('{"eventTypeKey":"pageViewed","keyValue":"a",'
                                     '"params":[{"name":"n","value":1e999}]}')
    (folder / "surrogate.json").write_bytes(b'{"eventTypeKey":"pageViewed","keyValue":"\\ud800","params":[]}')
    (folder / "escapes.json").write_text(json.dumps(EVENT))
    (folder / "zero.json").symlink_to("/dev/zero")
    (folder / "deep.ndjson").write_text('{"a":' * 5000 + "1" + "}" * 5000 + "\n")
    (folder / "inf.ndjson").write_text(hostile_record().replace('"status": 400', '"status": 400, "duration_ms": 1e999'))
    (folder / "escapes.ndjson").write_text(hostile_record())
    (folder / "deep-past.ndjson").write_text('{"a":' * 5000 + "1" + "}" * 5000 + "\n")
    suite = folder / "suite"
    suite.mkdir()
    for name, body in (("environ", "/proc/self/environ"), ("passwd", "../../../../../../etc/passwd"),
                       ("zero", "/dev/zero")):
        (suite / f"{name}.yaml").write_text(f"name: {name}\nsteps:\n  - body: {body}\n")
    (suite / "outside-data.yaml").write_text("name: d\ndata: ../contacts.csv\nsteps:\n  - event: pageViewed\n")
    (folder / "contacts.csv").write_text("email\na@example.com\n")
    (suite / "formula.yaml").write_text("name: f\nsteps:\n  - event: pageViewed\n    keyValue: '{{email}}'\n"
                                        "    values: {page: {location: 'https://example.com'}}\n")


def _damage(history: Path) -> None:
    with sqlite3.connect(history) as conn:
        conn.execute("UPDATE exchange SET response_headers = '{bad' WHERE id = 1")
        conn.execute("UPDATE exchange SET started_at = 'yesterday' WHERE id = 2")
        conn.execute("UPDATE exchange SET outcome = 'weird' WHERE id = 3")
    conn.close()


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    code: int
    says: str = ""  # in stderr
    added: int = 0  # exchanges the command adds to the history
    stdin: str | None = None  # a path to read standard input from
    json_out: bool = False  # stdout is JSON lines
    prepare: Callable[[Path], None] | None = field(default=None, compare=False)


CASES = [
    Case("inspect nested 3,000 deep", ("inspect", "{dir}/deep.json"), 1),
    Case("inspect a folder", ("inspect", "{dir}/suite"), 2, "is a folder"),
    Case("inspect --json nested 3,000 deep", ("inspect", "--json", "{dir}/deep.json"), 1, json_out=True),
    Case("inspect --fix nested 3,000 deep", ("inspect", "--fix", "{dir}/deep.json"), 1, "cannot repair"),
    Case("inspect 1e999", ("inspect", "{dir}/inf.json"), 1),
    Case("inspect --json a lone surrogate", ("inspect", "--json", "{dir}/surrogate.json"), 1, json_out=True),
    Case("inspect escapes", ("inspect", "{dir}/escapes.json"), 1),
    Case("inspect a link to /dev/zero", ("inspect", "{dir}/zero.json"), 2, "larger than 64 MB"),
    Case("inspect /dev/zero on stdin", ("inspect", "-"), 2, "standard input: larger than", stdin="/dev/zero"),
    Case("send a link to /dev/zero", ("send", "{dir}/zero.json", "--url", "{url}"), 2, "larger than 64 MB"),
    Case("send escapes to a hostile server", ("send", "{dir}/escapes.json", "--url", "{url}"), 1, added=1),
    Case("send --json escapes", ("send", "--json", "{dir}/escapes.json", "--url", "{url}"), 1, added=1,
         json_out=True),
    Case("send a lone surrogate", ("send", "{dir}/surrogate.json", "--url", "{url}"), 1, added=1),
    Case("send --nested a lone surrogate", ("send", "--nested", "object", "{dir}/surrogate.json", "--url", "{url}"),
         2, "lone surrogate"),
    Case("run body: /proc/self/environ", ("run", "{dir}/suite/environ.yaml", "--url", "{url}"), 2,
         "--allow-outside-files"),
    Case("run body: ../../etc/passwd", ("run", "{dir}/suite/passwd.yaml", "--url", "{url}"), 2,
         "--allow-outside-files"),
    Case("run data: ../contacts.csv", ("run", "{dir}/suite/outside-data.yaml", "--url", "{url}"), 2,
         "--allow-outside-files"),
    Case("run an allowed body: /dev/zero", ("run", "{dir}/suite/zero.yaml", "--allow-outside-files", "--url",
                                             "{url}"), 2, "larger than 5 MB"),
    Case("run --data /dev/zero", ("run", "{dir}/suite/formula.yaml", "--data", "/dev/zero", "--dry-run"), 2,
         "larger than 64 MB"),
    Case("past-events a link to /dev/zero", ("past-events", "{dir}/zero.json", "--url", "{url}"), 2,
         "larger than 64 MB"),
    Case("past-events nested too deeply", ("past-events", "{dir}/deep-past.ndjson", "--url", "{url}"), 2,
         "nested too deeply"),
    Case("history import deep NDJSON", ("history", "import", "{dir}/deep.ndjson"), 2, "nested too deeply"),
    Case("history import 1e999", ("history", "import", "{dir}/inf.ndjson"), 2, "too large for a JSON parser"),
    Case("history import a link to /dev/zero", ("history", "import", "{dir}/zero.json"), 2, "larger than 16 MB"),
    Case("history import /dev/zero on stdin", ("history", "import", "-"), 2, "larger than 16 MB", stdin="/dev/zero"),
    Case("history import escapes", ("history", "import", "{dir}/escapes.ndjson"), 0, added=1),
    Case("history list", ("history", "list"), 0),
    Case("history show", ("history", "show", "1"), 0),
    Case("history list --json", ("history", "list", "--json"), 0, json_out=True),
    Case("history show --json", ("history", "show", "1", "--json"), 0, json_out=True),
    Case("history list of damaged rows", ("history", "list"), 0, "exchange #2 in the history is damaged",
         prepare=_damage),
    Case("history show a damaged row", ("history", "show", "1"), 2, "exchange #1 in the history is damaged",
         prepare=_damage),
    Case("history stats of damaged rows", ("history", "stats"), 0, prepare=_damage),
    Case("history export of damaged rows", ("history", "export", "--format", "har"), 0, "not exported",
         prepare=_damage),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _files(folder)
    return folder


def _history(home: Path) -> Path:
    return home / "history.sqlite3"


def _count(home: Path) -> int:
    if not _history(home).exists():
        return 0
    with sqlite3.connect(_history(home)) as conn:
        count = int(conn.execute("SELECT count(*) FROM exchange").fetchone()[0])
    conn.close()
    return count


def _seed(home: Path) -> None:
    """Three exchanges whose stranger's fields carry escapes, so that list/show have something to show."""
    lines = "".join(hostile_record(key_value=f"k{i}{ESCAPES}") for i in range(3)).encode()
    with HistoryStore.open(home) as store:
        store.import_exchanges(read_exchanges(lines))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_input_gets_a_clear_message_and_its_exit_code(case: Case, corpus: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _seed(home)
    if case.prepare is not None:
        case.prepare(_history(home))
    before = _count(home)
    with hostile_server() as url:
        args = [arg.replace("{dir}", str(corpus)).replace("{url}", url) for arg in case.args]
        stdin = open(case.stdin, "rb") if case.stdin else subprocess.DEVNULL  # noqa: SIM115 (closed below)
        try:
            result = subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(home), *args],
                                    stdin=stdin, capture_output=True, timeout=120, check=False,
                                    env=child_env(YESPO_API_KEY=CANARY))
        finally:
            if case.stdin:
                stdin.close()  # type: ignore[union-attr]
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    assert result.returncode == case.code, (out[-2000:], err[-2000:])
    assert case.says in err, err
    assert no_raw_controls(out) and no_raw_controls(err), (out[-2000:], err[-2000:])
    if case.json_out:
        for line in out.splitlines():
            json.loads(line)
    assert _count(home) == before + case.added  # nothing lost, nothing half-added
    for path in home.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY not in out and CANARY not in err


def test_a_formula_reaches_the_results_csv_as_text(corpus: Path, tmp_path: Path) -> None:
    """A keyValue that a spreadsheet would run as a formula, in a `run --results` CSV."""
    results = tmp_path / "results.csv"
    with hostile_server() as url:
        result = subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(tmp_path), "run",
                                 str(corpus / "suite" / "formula.yaml"), "--var", "email==HYPERLINK(1)", "--url", url,
                                 "--results", str(results)], capture_output=True, timeout=120, check=False,
                                env=child_env(YESPO_API_KEY=CANARY))
    assert result.returncode == 1 and b"Traceback" not in result.stderr  # the 400 fails the expectation
    rows = list(csv.DictReader(results.open(newline="")))
    assert [row["key_value"] for row in rows] == ["'=HYPERLINK(1)"]
