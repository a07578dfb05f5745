"""An unknown officer's sign-in is verified against a stored dummy hash with the hasher's own
parameters, so it takes as long as a known officer's (and no hash is made at import)."""

from __future__ import annotations

import pytest
from argon2.exceptions import VerifyMismatchError

from services.duty.console import auth


def test_the_dummy_hash_has_the_hashers_parameters_and_matches_no_password() -> None:
    dummy = auth._dummy_hash()
    assert dummy == auth._DUMMY_HASH
    assert not auth._hasher.check_needs_rehash(dummy)
    with pytest.raises(VerifyMismatchError):
        auth._hasher.verify(dummy, "")
