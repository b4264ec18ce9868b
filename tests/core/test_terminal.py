from hypothesis import given
from hypothesis import strategies as st

from yespo_console.core.terminal import printable


def test_osc_and_csi_sequences_are_made_visible() -> None:
    title = "\x1b]0;pwned\x07"
    clipboard = "\x1b]52;c;ZWNobyBoaQ==\x07"
    clear = "\x1b[2J\x1b[H"
    assert printable(title + clipboard + clear) == (
        "\\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBoaQ==\\x07\\x1b[2J\\x1b[H"
    )


def test_plain_and_international_text_is_unchanged() -> None:
    for text in ("pageViewed", "Привіт, світ", "café ’ 😀", "a b"):
        assert printable(text) == text


def test_multiline_keeps_newlines_and_tabs_but_not_carriage_returns() -> None:
    assert printable("a\n\tb\rc", multiline=True) == "a\n\tb\\x0dc"
    assert printable("a\nb") == "a\\x0ab"


def test_c1_controls_surrogates_and_bidi_overrides_are_escaped() -> None:
    assert printable("\x9b2J") == "\\x9b2J"
    assert printable("\ud800") == "\\ud800"
    assert printable("\u202eevil") == "\\u202eevil"


@given(st.text())
def test_output_never_holds_a_control_character(text: str) -> None:
    out = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in out)
    multi = printable(text, multiline=True)
    assert all(c in "\n\t" for c in multi if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)
