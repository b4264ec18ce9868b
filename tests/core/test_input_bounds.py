"""Issue 15 (6, 8, 9): every file is read with a cap that holds for devices, FIFOs and links to them; a
scenario reads files only in its folder unless allowed; JSON numbers too large to hold and nesting too deep
are findings, not crashes; CSV results are safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path

import pytest

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import inspect_body, loads_finite
from yespo_console.core.events.repair import repair
from yespo_console.core.scenarios.contacts import ContactRows, parse_contacts, scenario_contacts
from yespo_console.core.scenarios.loader import ALLOW_OUTSIDE_OPTION, LoadedScenario, load_scenario, parse_scenario
from yespo_console.core.scenarios.problems import ScenarioError
from yespo_console.core.scenarios.results import StepResult, spreadsheet_safe, write_results_csv
from yespo_console.core.textfiles import TooLargeError, iter_lines, read_file, read_stream, size_text

# -- capped reads ------------------------------------------------------------------------------------


def test_a_regular_file_over_the_cap_is_refused_and_one_within_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(TooLargeError, match=r"big: larger than 100 bytes, the most a body may hold"):
        read_file(path, "body", limit=100)
    assert read_file(path, limit=101) == b"x" * 101


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_and_a_link_to_it_stop_at_the_cap(tmp_path: Path, device: str) -> None:
    link = tmp_path / "body.json"
    link.symlink_to(device)
    for path in (device, link):
        with pytest.raises(TooLargeError, match="larger than 1 MB"):
            read_file(path, limit=1024 * 1024)


def test_a_fifo_stops_at_the_cap(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as out:
            try:
                while True:
                    out.write(b"y" * 65536)
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(TooLargeError):
        read_file(fifo, limit=1024 * 1024)
    writer.join(10)


def test_a_stream_and_lines_are_capped(tmp_path: Path) -> None:
    with pytest.raises(TooLargeError, match="standard input: larger than 10 bytes"):
        read_stream(io.BytesIO(b"z" * 11), "standard input", 10)
    path = tmp_path / "lines"
    path.write_bytes(b"0123456789\n" + b"a" * 11 + b"\n")
    lines = iter_lines(path, line_limit=10)
    assert next(lines) == b"0123456789\n"
    with pytest.raises(TooLargeError, match=r"lines:2: larger than 10 bytes, the most a line may hold"):
        next(lines)


def test_sizes_read_as_people_say_them() -> None:
    assert [size_text(n) for n in (64 * 1024 * 1024, 20 * 1024, 300)] == ["64 MB", "20 KB", "300 bytes"]


# -- scenario files stay in the scenario's folder ----------------------------------------------------


@pytest.mark.parametrize("name", ["/proc/self/environ", "../../etc/passwd", "/dev/zero"])
def test_a_body_outside_the_folder_is_refused_with_the_option_named(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(f"name: t\nsteps:\n  - body: {name}\n", base_dir=tmp_path)
    (problem,) = info.value.problems
    assert problem.line == 3 and "outside the scenario's folder" in problem.message
    assert ALLOW_OUTSIDE_OPTION in problem.message


def test_a_link_out_of_the_folder_counts_as_outside(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"eventTypeKey": "x"}')
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "body.json").symlink_to(outside)
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        parse_scenario("name: t\nsteps:\n  - body: body.json\n", base_dir=folder)
    allowed = parse_scenario("name: t\nsteps:\n  - body: body.json\n", base_dir=folder, allow_outside=True)
    assert allowed.bodies["body.json"] == outside.read_bytes()


def test_an_allowed_device_body_stops_at_the_cap(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="/dev/zero: larger than 5 MB"):
        parse_scenario("name: t\nsteps:\n  - body: /dev/zero\n", base_dir=tmp_path, allow_outside=True)


def test_data_outside_the_folder_is_refused_unless_allowed(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    folder.mkdir()
    (tmp_path / "contacts.csv").write_text("email\na@example.com\n")
    scenario = folder / "s.yaml"
    scenario.write_text("name: t\ndata: ../contacts.csv\nsteps:\n  - event: pageViewed\n")
    with pytest.raises(ScenarioError, match=f"outside the scenario's folder.*{ALLOW_OUTSIDE_OPTION}"):
        _ = load_scenario(scenario).data_path
    assert load_scenario(scenario, allow_outside=True).data_path == folder / "../contacts.csv"


def test_files_inside_the_folder_are_read(tmp_path: Path) -> None:
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "b.json").write_bytes(b'{"eventTypeKey": "x"}')
    loaded = parse_scenario("name: t\ndata: c.csv\nsteps:\n  - body: bodies/b.json\n", base_dir=tmp_path)
    assert loaded.bodies == {"bodies/b.json": b'{"eventTypeKey": "x"}'} and loaded.data_path == tmp_path / "c.csv"


def test_a_scenario_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "s.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="larger than 5 MB"):
        load_scenario(link)


# -- JSON the console parses ---------------------------------------------------------------------------


def test_a_number_too_large_to_hold_is_not_json() -> None:
    report = inspect_body(b'{"eventTypeKey": "pageViewed", "keyValue": "a", "params": [{"name": "n", "value": 1e999}]}')
    assert not report.valid and report.body is None
    assert [f.code for f in report.findings] == ["body.not_json"] and "1e999" in report.findings[0].message
    with pytest.raises(ValueError, match="too large"):
        loads_finite("[-1E+400]")
    assert loads_finite("[1.5e300]") == [1.5e300]


def test_the_documentations_nested_json_mistake_3000_deep_is_a_finding() -> None:
    inner = '{"b":' * 3000 + "1" + "}" * 3000
    text = '{"eventTypeKey":"x","keyValue":"k","params":[{"name":"a","value":"' + inner + '"}]}'
    report = inspect_body(text.encode())
    assert not report.valid and [(f.code, f.message) for f in report.findings] == [
        ("body.not_json", "Not valid JSON: nested too deeply.")]
    assert repair(text) is None
    shallow = inspect_body(b'{"eventTypeKey": "x", "params": [' + "Привіт [".encode() * 3 + b"}")
    assert "nested too deeply" not in shallow.findings[0].message


# -- CSV a spreadsheet opens -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_formula_cell_gets_a_leading_quote(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell


def test_results_csv_neutralises_stranger_text_only() -> None:
    result = StepResult("run", 1, "=evil()", 1, "@step", "event", status=400, key_value="+1", detail="fine",
                        duration_ms=-1.0)
    out = io.StringIO()
    write_results_csv([result], out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["contact"], row["step"], row["key_value"], row["detail"]) == ("'=evil()", "'@step", "'+1", "fine")
    assert row["duration_ms"] == "-1.0"  # a number the console wrote stays a number


# -- contacts built when asked for (a CSV of any length) -----------------------------------------------


def _cart_scenario(tmp_path: Path) -> tuple[LoadedScenario, ContactRows]:
    loaded = parse_scenario("name: c\nvariables:\n  cart: '{{uuid}}'\nsteps:\n  - event: pageViewed\n"
                            "    keyValue: '{{email}}-{{cart}}-{{random_int 1 1000000}}'\n", base_dir=tmp_path)
    rows = parse_contacts("email\n" + "".join(f"c{i}@example.com\n" for i in range(50)))
    return loaded, rows


def test_a_contact_built_twice_or_out_of_order_is_the_same_contact(tmp_path: Path) -> None:
    loaded, rows = _cart_scenario(tmp_path)
    contacts = scenario_contacts(loaded, rows, seed=7)
    step = contacts[0].steps[0]
    forward = [contact.render(step) for contact in contacts]
    backward = [contacts[i].render(step) for i in reversed(range(len(contacts)))]
    assert forward == backward[::-1] and len(set(forward)) == 50
    assert [c.label for c in contacts[10:12]] == ["c10@example.com", "c11@example.com"]
    again = scenario_contacts(loaded, rows, seed=7)
    assert [contact.render(step) for contact in again] == forward
    other = scenario_contacts(loaded, rows)
    assert other[3].render(step) == other[3].render(step) != forward[3]


def test_csv_rows_are_kept_as_values_and_handed_out_as_mappings() -> None:
    rows = parse_contacts("email,phone\na@b.co,1\nc@d.co,2\n")
    assert isinstance(rows, ContactRows) and rows.columns == ("email", "phone")
    assert rows[-1] == {"email": "c@d.co", "phone": "2"} and rows[:1] == [{"email": "a@b.co", "phone": "1"}]
    assert rows == ({"email": "a@b.co", "phone": "1"}, {"email": "c@d.co", "phone": "2"})


@pytest.mark.parametrize("text", [
    '[{"eventTypeKey": "x", "keyValue": "a", "occurred": "2025-01-01", "params": [{"name": "n", "value": 1e999}]}]',
    '{"events": [{"eventTypeKey": "x", "keyValue": "a", "occurred": "2025-01-01", "n": -1e999}]}',
    '{"eventTypeKey": "x", "keyValue": "a", "occurred": "2025-01-01", "n": 1e999}\n{"eventTypeKey": "y"}\n',
])
def test_past_events_refuse_a_number_too_large_to_hold(text: str) -> None:
    from yespo_console.core.scenarios.past_events import parse_events

    with pytest.raises(InputError, match="too large for a JSON parser"):
        parse_events(text.encode(), "p.json")
