"""What an SMTP failure means: 4xx and network trouble are retried, 5xx is final."""

from __future__ import annotations

import aiosmtplib
import pytest

from services.notifier.smtp_pool import classify


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (aiosmtplib.SMTPResponseException(451, "try later"), False),
        (aiosmtplib.SMTPResponseException(421, "closing"), False),
        (aiosmtplib.SMTPDataError(554, "rejected"), True),
        (aiosmtplib.SMTPSenderRefused(553, "bad sender", "a@b"), True),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@y")]
            ),
            True,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(452, "mailbox full", "x@y")]
            ),
            False,
        ),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
        (aiosmtplib.SMTPConnectError("refused"), False),
        (aiosmtplib.SMTPReadTimeoutError("slow"), False),
        (TimeoutError(), False),
        (ConnectionResetError(), False),
    ],
)
def test_smtp_failures_are_classified_by_code_and_kind(
    error: BaseException, permanent: bool
) -> None:
    assert classify(error).permanent is permanent


def test_something_that_is_not_an_smtp_failure_is_not_hidden() -> None:
    with pytest.raises(TypeError):
        classify(ValueError("bug"))
