"""What DATA carries: the notifier's own dot-stuffing must be byte for byte what aiosmtplib's
`data()` would send, for any message, with or without bare CR and LF."""

from __future__ import annotations

from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.smtp_pool import data_payload

# Messages built mostly of the bytes that matter here: dots, CR, LF, and a few others.
_pieces = st.sampled_from([b".", b"..", b"\r\n", b"\r", b"\n", b"a", b" ", b"\xe3\x81\x82"])
messages = st.lists(_pieces, max_size=40).map(b"".join)


def _as_aiosmtplib_sends(message: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"


@given(messages)
def test_the_payload_is_what_aiosmtplib_would_send(message: bytes) -> None:
    assert data_payload(message) == _as_aiosmtplib_sends(message)


@given(st.binary(max_size=200))
def test_any_bytes_go_as_aiosmtplib_would_send_them(message: bytes) -> None:
    assert data_payload(message) == _as_aiosmtplib_sends(message)


def test_lines_that_start_with_a_dot_are_stuffed_and_the_end_is_marked() -> None:
    message = b".first\r\nplain\r\n.\r\n..two\r\nlast"
    assert data_payload(message) == b"..first\r\nplain\r\n..\r\n...two\r\nlast\r\n.\r\n"
