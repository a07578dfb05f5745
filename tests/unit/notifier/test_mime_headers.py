"""A display name never carries a line break into a mail header."""

from __future__ import annotations

from services.notifier.mime import address


def test_control_characters_in_a_name_never_reach_the_header() -> None:
    formatted = address("Alex Morgan\r\nBcc: everyone@evil.example", "morgan@platform.jp")
    assert "\r" not in formatted and "\n" not in formatted
    assert formatted.endswith("<morgan@platform.jp>")
    assert address("\r\n", "morgan@platform.jp") == "morgan@platform.jp"
    assert "\n" not in address("青木\n葵", "aoki@platform.jp")
