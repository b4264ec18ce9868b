"""Masking by value: every encoding of a secret, in text, bytes and headers, and the short-key rule."""

from __future__ import annotations

import base64
import json
import os
import re
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yespo_console.core.http.masking import (
    MASK,
    MIN_VALUE_LENGTH,
    Masker,
    mask_headers,
    secret_forms,
    url_password,
)

KEY = "k3y-0123456789abcdef/+XYZ"  # `/` and `+` so that the escaped and URL-encoded forms differ


def _basic(user: str, key: str = KEY) -> str:
    return base64.b64encode(f"{user}:{key}".encode()).decode()


def _url_encoded(text: str, lower: bool = False) -> str:
    encoded = quote(text, safe="")
    return encoded.replace("%2F", "%2f").replace("%2B", "%2b").replace("%3D", "%3d") if lower else encoded


def _json_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _encodings(key: str) -> list[str]:
    """The forms a server might echo: raw, URL-encoded, JSON-escaped, and Basic tokens of many user names
    (so that every alignment of the key in the base64 is met) padded or not, URL-safe or not, escaped."""
    forms = [key, _url_encoded(key), _url_encoded(key, lower=True), key.replace("/", "\\/"), _json_escaped(key),
             json.dumps(key)[1:-1], base64.b64encode(key.encode()).decode()]
    for user in ("", "u", "us", "shop", "user", "someone-else", "ünïcode"):
        token = _basic(user, key)
        forms += [token, token.rstrip("="), _url_encoded(token), _url_encoded(token, lower=True),
                  token.replace("/", "\\/"), _json_escaped(token),
                  base64.urlsafe_b64encode(f"{user}:{key}".encode()).decode()]
    return forms


def _leaks(key: str, text: str) -> bool:
    """True when the key can be read back: after undoing URL and JSON escapes, found as it is or in the
    decoding of a base64 token."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text.replace("\\/", "/"))
    text = unquote(text)
    if key in text:
        return True
    for word in re.findall(r"[A-Za-z0-9+/_-]{8,}=*", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                if key.encode() in decode(word + "==="):
                    return True
            except ValueError:
                pass
    return False


@pytest.mark.parametrize("form", _encodings(KEY))
def test_every_encoding_of_the_key_is_masked_in_text_and_bytes(form: str) -> None:
    masker = Masker([KEY])
    assert _leaks(KEY, f"said {form} here"), "the form must carry the key for the test to mean anything"
    text = masker.text(f'said {form} here')
    assert MASK in text and text.startswith("said ") and text.endswith(" here")
    assert not _leaks(KEY, text), text
    data = masker.bytes(f"said {form} here\xff".encode("latin-1", "replace") if form.isascii() else
                        f"said {form} here".encode())
    assert MASK.encode() in data and KEY.encode() not in data


def test_a_basic_token_is_masked_whole_with_its_padding() -> None:
    token = _basic("shop")
    assert Masker([KEY]).text(f"Authorization: Basic {token}, next") == f"Authorization: Basic {MASK}, next"
    assert Masker([KEY]).text(f"x={_url_encoded(token)}&y=1") == f"x={MASK}&y=1"


def test_random_keys_at_every_alignment() -> None:
    for _ in range(50):
        key = base64.b64encode(os.urandom(24)).decode()
        masker = Masker([key])
        for form in _encodings(key):
            assert not _leaks(key, masker.text(f"<{form}>")), (key, form)


def test_text_without_the_secret_is_returned_unchanged() -> None:
    masker = Masker([KEY])
    text = 'Basic realm="yespo", {"ok": true} ' + base64.b64encode(os.urandom(3000)).decode()
    assert masker.text(text) == text
    assert masker.bytes(text.encode()) == text.encode()


def test_short_keys_are_masked_only_as_whole_words() -> None:
    masker = Masker(["abc1"])
    assert masker.text("key abc1, abc12 xabc1") == f"key {MASK}, abc12 xabc1"
    assert masker.text("Basic " + _basic("", "abc1")) == f"Basic {MASK}"
    tiny = Masker(["ok"])  # under MIN_WORD_LENGTH: never masked by value
    assert not tiny and tiny.text('{"ok": true}') == '{"ok": true}'
    assert len("abc1") < MIN_VALUE_LENGTH


def test_headers_are_masked_by_name_and_by_value() -> None:
    masker = Masker([KEY])
    token = _basic("shop")
    headers = mask_headers(
        [
            ("Authorization", f"Basic {token}"),
            ("X-Echo-Authorization", f"Basic {token}"),
            ("X-Debug-Key", KEY),
            ("WWW-Authenticate", f'Basic realm="{KEY}"'),
            ("Location", f"https://shop:{KEY}@example.com/next?token=abc&page=2"),
            (f"X-{KEY}", "1"),
            ("X-Other-Basic", "Basic " + _basic("someone", "another-secret")),
            ("X-Bearer", "Bearer eyJhbGciOi.J9.abc"),
            ("WWW-Authenticate-2", 'Bearer realm="api", error="invalid_token"'),
            ("Content-Type", "application/json"),
        ],
        masker,
    )
    assert headers == [
        ("Authorization", f"Basic {MASK}"),
        ("X-Echo-Authorization", f"Basic {MASK}"),
        ("X-Debug-Key", MASK),
        ("WWW-Authenticate", f'Basic realm="{MASK}"'),
        ("Location", f"https://shop:{MASK}@example.com/next?token={MASK}&page=2"),
        (f"X-{MASK}", "1"),
        ("X-Other-Basic", f"Basic {MASK}"),  # any Basic credential, the key known or not
        ("X-Bearer", f"Bearer {MASK}"),
        ("WWW-Authenticate-2", 'Bearer realm="api", error="invalid_token"'),  # a challenge, not a credential
        ("Content-Type", "application/json"),
    ]


def test_values_are_masked_deep_and_secret_forms_cover_any_user() -> None:
    masker = Masker([KEY])
    assert masker.value({"a": [KEY, {"b": (1, f"x{KEY}")}]}) == {"a": [MASK, {"b": (1, f"x{MASK}")}]}
    forms = secret_forms(KEY)
    token = _basic("a-user-no-list-names").encode()
    assert any(form in token for form in forms)  # one of the base64 cores
    assert url_password("http://u:p%40ss-word@h/") == "p@ss-word" and url_password("http://h/") is None


def test_an_escaped_or_url_encoded_token_is_masked_whole() -> None:
    masker = Masker([KEY])
    token = _basic("shop")
    assert masker.text(f'"{_json_escaped(token)}"') == f'"{MASK}"'
    assert masker.text('"' + token.replace("/", "\\/") + '"') == f'"{MASK}"'
    assert masker.text(f"a={_url_encoded(token)}&b") == f"a={MASK}&b"


def test_a_key_in_a_header_name_is_found_whatever_its_case() -> None:
    name = "X-K-" + base64.urlsafe_b64encode(KEY.encode()).decode().rstrip("=")
    [(masked, _)] = mask_headers([(name.lower(), "1")], Masker([KEY]))
    assert masked == MASK


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.text(), after=st.text(), which=st.integers(min_value=0), noise=st.binary(max_size=300))
def test_any_surroundings(before: str, after: str, which: int, noise: bytes) -> None:
    """Whatever text is around it (lone surrogates, base64 characters, escapes), an encoded key is masked,
    text without one is untouched, and any bytes go through without an error."""
    masker = Masker([KEY])
    forms = _encodings(KEY)
    assert masker.text(before + after) == before + after
    assert not _leaks(KEY, masker.text(before + forms[which % len(forms)] + after))
    assert masker.bytes(noise) == noise
