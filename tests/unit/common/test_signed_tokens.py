"""One grant, one spelling: a token's signature read back only as it was issued, and links
issued in itsdangerous's compressed form (before standby stopped compressing) still read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import BadSignature, URLSafeSerializer

from services.common.signed_tokens import TokenSerializer

KEY = b"a-test-signing-key-with-some-entropy"
SALT = "standby.test"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CLAIMS = {"i": "0bd1c3c2-5b2f-45dc-949d-c2883a7d237c", "o": "org-1", "c": "contact-1"}
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def tokens() -> TokenSerializer:
    return TokenSerializer(KEY, SALT, timedelta(hours=24))


def test_a_token_reads_back_its_claims_and_expiry(tokens: TokenSerializer) -> None:
    claims, expires_at = tokens.verify(tokens.sign(CLAIMS, NOW))
    assert {k: claims[k] for k in CLAIMS} == CLAIMS
    assert expires_at == NOW + timedelta(hours=24)


def test_a_link_issued_compressed_before_still_reads(tokens: TokenSerializer) -> None:
    expiry = int((NOW + timedelta(hours=24)).timestamp())
    earlier = URLSafeSerializer(KEY, salt=SALT).dumps({**CLAIMS, "e": expiry})
    assert earlier.startswith("."), "itsdangerous compresses a payload of this size"
    claims, expires_at = tokens.verify(earlier)
    assert claims["o"] == "org-1"
    assert expires_at == NOW + timedelta(hours=24)


def test_a_signature_spelled_with_other_padding_bits_is_refused(tokens: TokenSerializer) -> None:
    token = tokens.sign(CLAIMS, NOW)
    # 20 bytes of HMAC-SHA1 in 27 characters: the last one carries 2 bits nobody reads.
    last = _B64.index(token[-1])
    respelled = token[:-1] + _B64[last ^ 1]
    assert URLSafeSerializer(KEY, salt=SALT).loads(respelled) is not None
    with pytest.raises(BadSignature):
        tokens.verify(respelled)


@pytest.mark.parametrize("junk", ["!", "=", "~"])
def test_a_signature_with_characters_the_decoder_skips_is_refused(
    tokens: TokenSerializer, junk: str
) -> None:
    token = tokens.sign(CLAIMS, NOW)
    respelled = token[:-5] + junk + token[-5:]
    with pytest.raises(BadSignature):
        tokens.verify(respelled)


def test_a_compressed_token_with_its_signature_respelled_is_refused(
    tokens: TokenSerializer,
) -> None:
    expiry = int((NOW + timedelta(hours=24)).timestamp())
    earlier = URLSafeSerializer(KEY, salt=SALT).dumps({**CLAIMS, "e": expiry})
    respelled = earlier[:-1] + _B64[_B64.index(earlier[-1]) ^ 1]
    with pytest.raises(BadSignature):
        tokens.verify(respelled)
