"""`whole_number`, the argparse type of every counted option: its bounds, its messages, what is not a number."""

from __future__ import annotations

import argparse

import pytest

from yespo_console.cli.argtypes import MAX_RETRIES, decimal_number, whole_number


@pytest.mark.parametrize(("minimum", "maximum", "text", "value"), [
    (0, None, "0", 0),
    (1, None, "1", 1),
    (0, None, "123456789012", 123456789012),  # no upper bound when none is given
    (1, 10, "1", 1),
    (1, 10, "10", 10),  # both bounds are allowed
    (0, 65535, "080", 80),
    (200, 599, " 429 ", 429),  # what int() takes: surrounding spaces
    (-5, 5, "-5", -5),
])
def test_values_in_range_are_returned_as_int(minimum: int, maximum: int | None, text: str, value: int) -> None:
    parsed = whole_number(minimum, maximum)(text)
    assert parsed == value and type(parsed) is int


@pytest.mark.parametrize(("minimum", "maximum", "text", "message"), [
    (0, None, "-1", "must be 0 or more: -1"),
    (1, None, "0", "must be 1 or more: 0"),
    (1, 10, "0", "must be between 1 and 10: 0"),
    (1, 10, "11", "must be between 1 and 10: 11"),
    (0, MAX_RETRIES, str(MAX_RETRIES + 1), f"must be between 0 and {MAX_RETRIES}: {MAX_RETRIES + 1}"),
    (200, 599, "99", "must be between 200 and 599: 99"),
])
def test_values_out_of_range_name_the_bounds(minimum: int, maximum: int | None, text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        whole_number(minimum, maximum)(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", ["", " ", "x", "1.5", "1e3", "0x10", "½", "ten", "1 000", "nan", "inf", "--1"])
def test_what_is_not_a_whole_number_is_quoted_back(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        whole_number(0)(text)
    assert str(caught.value) == f"not a whole number: {text!r}"


def test_a_hostile_value_is_quoted_not_echoed_raw() -> None:
    """Control characters in a bad value come back escaped, so they cannot rewrite the terminal."""
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        whole_number(0)("\x1b[2J5\n")
    assert "\x1b" not in str(caught.value) and "\\x1b[2J5\\n" in str(caught.value)


@pytest.mark.parametrize(("argv", "words"), [
    (["--n", "0"], "argument --n: must be between 1 and 3: 0"),
    (["--n", "three"], "argument --n: not a whole number: 'three'"),
])
def test_argparse_exits_2_with_the_message(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="p")
    parser.add_argument("--n", type=whole_number(1, 3))
    assert parser.parse_args(["--n", "3"]).n == 3
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(("text", "above", "value"), [("0", False, 0.0), ("0.25", False, 0.25), ("1", False, 1.0),
                                                     ("1e-3", True, 0.001), (" 1 ", True, 1.0)])
def test_decimal_number_takes_its_bounds(text: str, above: bool, value: float) -> None:
    assert decimal_number(0, 1, above_minimum=above)(text) == value


@pytest.mark.parametrize(("text", "above", "message"), [
    ("2", False, "must be between 0 and 1: 2"),
    ("-0.1", False, "must be between 0 and 1: -0.1"),
    ("0", True, "must be more than 0 and at most 1: 0"),
    ("nan", False, "must be between 0 and 1: nan"),
    ("inf", False, "must be between 0 and 1: inf"),
    ("half", False, "not a number: 'half'"),
])
def test_decimal_number_refuses_with_a_plain_message(text: str, above: bool, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        decimal_number(0, 1, above_minimum=above)(text)
    assert str(caught.value) == message
