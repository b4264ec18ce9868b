"""Masking of secrets for every display, log, history row and export.

Two layers. By name: the credentials of `Authorization`, `Proxy-Authorization`, cookies and `X-API-Key`,
whatever they hold, and a password or token in a URL (`mask_url`). By value (`Masker`): every known secret
wherever it appears (any header's name or value, request and response bodies, explanations, diagnostics),
in every encoding a server is likely to repeat it in:

- as it is, URL-encoded (upper- or lower-case hex) and JSON-escaped (`\\/`, `\\"`, `\\u00XX`), in any mix;
- in base64 (standard or URL-safe alphabet, padded or not): the base64 of `anything:KEY` (a Basic token with
  any user name) contains, whatever the prefix, the base64 of `KEY[s:]` cut to whole 3-byte groups for one
  of s = 0, 1, 2 (the key's alignment in the token). Those three cores are looked for, and a core found
  masks the whole base64 token around it, padding included;
- a `Basic` token that decodes to `user:password` and a `Bearer` token in any header value are credentials
  whoever they belong to, and are masked even when the secret is unknown.

A secret of `MIN_VALUE_LENGTH` (8) characters or more is masked like that. A shorter one is masked only where it
stands as a whole word, and its base64 only as whole Basic tokens of the known user names: a short key's base64
cores would match inside unrelated base64 text, and its raw form inside longer words. One shorter than
`MIN_WORD_LENGTH` (4) is not masked by value at all (it would mask every "id" or "ok"); the credentials in
headers are still masked by name and as Basic/Bearer tokens. Yespo's API keys are far longer.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

MASK = "••••"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})

#: Secrets at least this long are masked in every encoding, anywhere; shorter ones only as whole words.
MIN_VALUE_LENGTH = 8
#: Secrets shorter than this are not masked by value (see the module doc).
MIN_WORD_LENGTH = 4
# One character of a base64 token, as it is, URL-encoded or JSON-escaped (the longer forms first).
_B64_UNIT = re.compile(
    rb"\\u00(?:3[0-9]|4[1-9a-fA-F]|5[0-9aAfF]|6[1-9a-fA-F]|7[0-9aA]|2[bBdDfF])|%2[bBfF]|\\/|[A-Za-z0-9+/_-]"
)
_UNIT_LENGTHS = (6, 3, 2, 1)
_PADDING = re.compile(rb"(?:=|%3[dD]|\\u003[dD])")
_WORD_EDGE = "A-Za-z0-9_+/=-"
_BASIC = re.compile(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/_-]{4,}(?:=|%3D){0,2})(?=$|[\s,;])")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"'`]+")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)(?=$|[\s,;])")


def mask_secret(secret: str | None, visible: int = 4) -> str:
    """`••••abcd` for a long secret (its last characters, enough to tell two keys apart); only the
    mask for a short one, so that a short secret is never mostly shown."""
    if not secret:
        return ""
    if len(secret) < 12:
        return MASK
    return MASK + secret[-visible:]


def mask_authorization(value: str) -> str:
    """Keep the scheme, hide the credentials: `Basic ••••`, `Bearer ••••`."""
    scheme, _, _credentials = value.partition(" ")
    return f"{scheme} {MASK}" if _credentials else MASK


# -- by value --------------------------------------------------------------------------------------


def _hex(byte: int) -> str:
    """Two hex digits matching either case."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{byte:02x}")


def _char_pattern(char: str) -> str:
    """A regex for one character as it is, percent-encoded, or JSON-escaped."""
    forms = [re.escape(char), "".join("%" + _hex(b) for b in char.encode("utf-8"))]
    code = ord(char)
    if code <= 0xFFFF:
        forms.append(r"\\u" + _hex(code >> 8) + _hex(code & 0xFF))
    if char in "/\"\\":
        forms.append(re.escape("\\" + char))
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def _text_pattern(text: str) -> str:
    return "".join(_char_pattern(char) for char in text)


def _b64_cores(secret: str) -> list[str]:
    """The base64 of the secret at each of its three alignments, whole groups only (see the module doc)."""
    raw = secret.encode("utf-8")
    cores: list[str] = []
    for start in range(3):
        chunk = raw[start:]
        chunk = chunk[: len(chunk) // 3 * 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(chunk).decode("ascii")
            if len(core) >= MIN_VALUE_LENGTH and core not in cores:
                cores.append(core)
    return cores


def _basic_tokens(secret: str, users: Iterable[str]) -> list[str]:
    tokens = []
    for user in sorted(set(users)):
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        tokens += [token, token.rstrip("=")]
    return tokens


def secret_forms(secret: str, user: str = "") -> list[bytes]:
    """Concrete byte forms in which `secret` could leak, for leak checks over databases, logs and exports:
    itself, URL-encoded and JSON-escaped, its Basic tokens (the user given, the empty one, "user"), and the
    base64 cores every Basic token with any user name contains (see the module doc)."""
    forms = {secret, quote(secret, safe=""), quote(secret, safe="").lower(), secret.replace("/", "\\/")}
    forms.update(_basic_tokens(secret, {user, "", "user"}))
    if len(secret) >= MIN_VALUE_LENGTH:
        forms.update(_b64_cores(secret))
    return sorted(form.encode() for form in forms)


class Masker:
    """Masks every encoding of a set of secrets (see the module doc) in text, bytes and headers.

    `users` are the Basic user names known to go with the secrets (the environment's, and "" and "user",
    which Yespo's own plugins send); they matter only for short secrets.
    """

    def __init__(self, secrets: Iterable[str | None] = (), users: Iterable[str] = ()) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= MIN_WORD_LENGTH}, key=len, reverse=True))
        names = {"", "user", *users}
        plain: list[str] = []
        words: list[str] = []
        tokens: list[str] = []
        for secret in self.secrets:
            if len(secret) >= MIN_VALUE_LENGTH:
                plain.append(_text_pattern(secret))
                tokens += [_text_pattern(core) for core in _b64_cores(secret)]
            else:
                words.append(_text_pattern(secret))
                words += [re.escape(token) for token in _basic_tokens(secret, names)]
        branches = []
        if tokens:
            branches.append("(?P<b64>" + "|".join(tokens) + ")")
        if plain:
            branches.append("(?:" + "|".join(plain) + ")")
        if words:
            branches.append(f"(?<![{_WORD_EDGE}])(?:" + "|".join(words) + f")(?![{_WORD_EDGE}])")
        pattern = "|".join(branches)
        self._bytes = re.compile(pattern.encode("utf-8")) if pattern else None
        # Header names arrive lower-cased (HTTP/2, httpx): a key in one is found whatever its case.
        self._folded = re.compile(pattern.encode("utf-8"), re.IGNORECASE) if pattern else None

    def __bool__(self) -> bool:
        return self._bytes is not None

    def text(self, text: str) -> str:
        """`text` with every secret, in every encoding, replaced by the mask."""
        if self._bytes is None or not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        masked = _masked(self._bytes, data)
        return text if masked is data else masked.decode("utf-8", "surrogatepass")

    def bytes(self, data: bytes) -> bytes:
        """`text` for raw bytes (a body, which need not be valid UTF-8)."""
        return _masked(self._bytes, data) if self._bytes is not None and data else data

    def header_name(self, name: str) -> str:
        """`text` for a header name, whatever the case of the secret in it."""
        if self._folded is None or not name:
            return name
        return _masked(self._folded, name.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")

    def value(self, value: Any) -> Any:
        """A JSON-like value (diagnostics, a dict of findings) with every string in it masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    def header_value(self, value: str) -> str:
        """A header value with credentials of any kind masked (see the module doc), then every secret."""
        value = _BASIC.sub(_basic_credentials, value)
        value = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", value)
        value = _URL.sub(lambda m: mask_url(m.group(0)), value)
        return self.text(value)


def _masked(pattern: re.Pattern[bytes], data: bytes) -> bytes:
    pieces: list[bytes] = []
    done = 0
    for match in pattern.finditer(data):
        start, end = match.span()
        if match.lastgroup == "b64":
            start, end = _whole_token(data, start, end)
        if end <= done:
            continue
        pieces += [data[done:max(start, done)], MASK.encode()]
        done = end
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


def _whole_token(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The whole base64 token around a core found at [start, end), with its padding, through escapes."""
    while start > 0:
        step = next((n for n in _UNIT_LENGTHS if n <= start and _B64_UNIT.fullmatch(data, start - n, start)), 0)
        if not step:
            break
        start -= step
    while (unit := _B64_UNIT.match(data, end)) is not None:
        end = unit.end()
    for _ in range(2):
        padding = _PADDING.match(data, end)
        if padding is None:
            break
        end = padding.end()
    return start, end


def _basic_credentials(match: re.Match[str]) -> str:
    token = match.group(3)
    try:
        decoded = base64.b64decode(unquote_plus(token) + "==", validate=False)
    except (binascii.Error, ValueError):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{MASK}" if b":" in decoded else match.group(0)


NO_SECRETS = Masker()


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]],
                 masker: Masker = NO_SECRETS) -> list[tuple[str, str]]:
    """Headers as (name, value) pairs with every credential masked: by name (Authorization, cookies …),
    then by value in every name and value (Basic and Bearer credentials, URL passwords, known secrets)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    masked: list[tuple[str, str]] = []
    for name, value in items:
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            value = mask_authorization(value)
        elif lowered in SENSITIVE_HEADERS:
            value = MASK
        else:
            value = masker.header_value(value)
        masked.append((masker.header_name(name), value))
    return masked


# -- URLs ------------------------------------------------------------------------------------------

_SECRET_QUERY_NAMES = frozenset({"apikey", "api_key", "api-key", "key", "token", "access_token", "password",
                                 "secret"})


def url_password(url: str) -> str | None:
    """The password in a URL's user info (`http://user:KEY@host`), or None."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def mask_url(url: str) -> str:
    """The URL with a password in it, or a credential-like query parameter, masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}{':' + MASK if sep else ''}@{host}"
    query = parts.query
    if query:
        # Rebuilt piece by piece so that every other parameter keeps its exact spelling.
        pieces = []
        for piece in query.split("&"):
            name, sep, _value = piece.partition("=")
            secret = sep and unquote_plus(name).lower() in _SECRET_QUERY_NAMES
            pieces.append(f"{name}={MASK}" if secret else piece)
        query = "&".join(pieces)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
