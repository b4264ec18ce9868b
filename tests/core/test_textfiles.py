"""Reading what a user hands over: one reader with plain errors, the bad line named."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yespo_console.core.errors import InputError
from yespo_console.core.http.streams import read_capped
from yespo_console.core.textfiles import NotUtf8Error, decode_text, read_file, read_text


def test_a_bom_is_dropped_and_text_kept() -> None:
    assert decode_text("\ufeffa\nb\u2028".encode(), "x") == "a\nb\u2028"


def test_not_utf8_names_the_line_and_the_hint() -> None:
    with pytest.raises(NotUtf8Error, match=r"^c.csv:3: not UTF-8 text \(save as UTF-8\)$") as info:
        decode_text(b"a\nb\n\xff", "c.csv", "save as UTF-8")
    assert info.value.line == 3 and isinstance(info.value, InputError)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "missing")
    with pytest.raises(InputError, match="is a folder, not a scenario"):
        read_file(tmp_path, "scenario")
    (tmp_path / "ok.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert read_text(tmp_path / "ok.txt") == "hello"


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@given(st.lists(st.binary(max_size=20), max_size=10), st.integers(min_value=0, max_value=100))
def test_read_capped_keeps_at_most_the_limit_and_says_when_there_was_more(parts: list[bytes], limit: int) -> None:
    data, over = asyncio.run(read_capped(_chunks(parts), limit))
    whole = b"".join(parts)
    assert data == whole[:limit]
    assert over == (len(whole) > limit)
