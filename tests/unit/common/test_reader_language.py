"""A reader nobody knows yet gets the link's language, else the browser's preferred one."""

from __future__ import annotations

import pytest

from services.common.reader_language import reader_language


@pytest.mark.parametrize(
    ("asked", "header", "expected"),
    [
        ("ja", "en", "ja"),  # the link's own language first
        ("xx", "ja-JP,ja;q=0.9", "ja"),  # a language the pages lack is no choice
        (None, "fr-FR, ja;q=0.8, en;q=0.5", "ja"),
        (None, "en-US,en;q=0.9,ja;q=0.8", "en"),
        (None, "ja;q=0.3, en;q=0.7", "en"),
        (None, "ja, en", "ja"),  # equal q: the first listed
        (None, "ja;q=0, fr", "en"),  # q=0 says "not this one"
        (None, "ja;q=bogus", "en"),
        (None, None, "en"),
        (None, "", "en"),
    ],
)
def test_reader_language(asked: str | None, header: str | None, expected: str) -> None:
    assert reader_language(asked, header) == expected
