"""Text from strangers, made safe for a terminal.

An event type key, a keyValue, a server's status text or header may hold escape sequences (OSC 0 sets
the window title, OSC 52 writes the clipboard, CSI 2J clears the screen). Human output passes such text
through `printable`, which writes every control character as a visible escape; JSON output stays exact
JSON and needs no such care, since its encoder escapes control characters already.
"""

from __future__ import annotations

import unicodedata

# Line breaks and tabs of multi-line text (a response body) are kept when asked; everything else in Cc,
# plus the format characters that reorder text (bidi overrides), is escaped.
_KEEP_MULTILINE = frozenset("\n\t")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with control characters (ESC, BEL, CR, DEL, C1, lone surrogates, bidi overrides) written as
    visible escapes; with `multiline`, newlines and tabs are kept."""
    if text.isprintable():
        return text
    return "".join(
        char if (multiline and char in _KEEP_MULTILINE) or not _unsafe(char) else _escape(char) for char in text
    )
