"""Signed links under attack: forged, altered, expired, reused, wrong-officer and wrong-action
tokens are refused. 11,100 tokens are generated across these properties, 10,100 of them bad."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.db import Database
from services.duty.states import Action
from services.duty.timeline import spend_token
from services.duty.tokens import LinkSigner, Refusal, TokenRefusedError
from tests.unit.tampering import ALPHABET, Alteration, alterations, examples

KEY = "a-test-signing-key-with-enough-entropy"
TTL = timedelta(hours=24)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SIGNER = LinkSigner(KEY, TTL)

officers = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
actions = st.sampled_from(list(Action))
uuids = st.uuids()


@dataclass(frozen=True)
class Issued:
    """What a token names, and the one token SIGNER issued for it at NOW (each has its nonce)."""

    activation: UUID
    officer: str
    action: Action

    @cached_property
    def token(self) -> str:
        return SIGNER.issue(self.activation, self.officer, self.action, NOW)


issued = st.builds(Issued, activation=uuids, officer=officers, action=actions)


def refusal(token: str, **expect: object) -> Refusal:
    with pytest.raises(TokenRefusedError) as caught:
        SIGNER.check(token, **expect)  # type: ignore[arg-type]
    return caught.value.reason


@examples(1000)
@given(activation=uuids, officer=officers, action=actions)
def test_a_fresh_token_is_honoured_for_exactly_what_it_names(
    activation: UUID, officer: str, action: Action
) -> None:
    token = SIGNER.issue(activation, officer, action, NOW)
    grant = SIGNER.check(
        token, now=NOW, action=action, activation_id=activation, officers={officer}
    )
    assert (grant.activation_id, grant.officer_id, grant.action) == (activation, officer, action)


@examples(2000)
@given(
    text=st.one_of(
        st.text(alphabet=ALPHABET, min_size=0, max_size=300),
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.hex()),
    )
)
def test_a_made_up_token_is_refused_as_forged(text: str) -> None:
    assert refusal(text, now=NOW, action=Action.ACKNOWLEDGE) is Refusal.FORGED


@examples(1500)
@given(activation=uuids, officer=officers, action=actions, key=st.text(min_size=1, max_size=40))
def test_a_token_signed_with_another_key_is_refused_as_forged(
    activation: UUID, officer: str, action: Action, key: str
) -> None:
    if key == KEY:
        return
    token = LinkSigner(key, TTL).issue(activation, officer, action, NOW)
    assert refusal(token, now=NOW, action=action) is Refusal.FORGED


@examples(2000)
@given(issued=issued, alteration=alterations("replace", "insert", "delete", "truncate"))
def test_a_token_altered_anywhere_is_refused(issued: Issued, alteration: Alteration) -> None:
    altered = alteration.apply(issued.token)
    if altered == issued.token:
        return
    assert refusal(altered, now=NOW, action=issued.action) is Refusal.FORGED


@examples(1500)
@given(issued=issued, late=st.floats(min_value=0, max_value=10 * 365 * 86400, allow_nan=False))
def test_a_token_used_at_or_after_its_expiry_is_refused(issued: Issued, late: float) -> None:
    when = NOW + TTL + timedelta(seconds=late)
    assert refusal(issued.token, now=when, action=issued.action) is Refusal.EXPIRED


@examples(1000)
@given(activation=uuids, officer=officers, others=st.sets(officers, max_size=4), action=actions)
def test_a_token_naming_an_officer_who_was_not_paged_is_refused(
    activation: UUID, officer: str, others: set[str], action: Action
) -> None:
    others.discard(officer)
    token = SIGNER.issue(activation, officer, action, NOW)
    assert refusal(token, now=NOW, action=action, officers=others) is Refusal.WRONG_OFFICER


@examples(1000)
@given(activation=uuids, officer=officers, pair=st.permutations(list(Action)))
def test_a_token_for_one_action_cannot_perform_another(
    activation: UUID, officer: str, pair: list[Action]
) -> None:
    issued, attempted = pair[0], pair[1]
    token = SIGNER.issue(activation, officer, issued, NOW)
    assert refusal(token, now=NOW, action=attempted) is Refusal.WRONG_ACTION


@examples(500)
@given(activation=uuids, other=uuids, officer=officers)
def test_a_token_for_one_activation_cannot_act_on_another(
    activation: UUID, other: UUID, officer: str
) -> None:
    if activation == other:
        return
    token = SIGNER.issue(activation, officer, Action.ACKNOWLEDGE, NOW)
    reason = refusal(token, now=NOW, action=Action.ACKNOWLEDGE, activation_id=other)
    assert reason is Refusal.WRONG_ACTIVATION


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, Database]]:
    """A migrated SQLite duty database and one event loop, shared by every example."""
    path: Path = tmp_path_factory.mktemp("ledger") / "duty.db"
    runner = asyncio.Runner()
    db = Database(f"sqlite+aiosqlite:///{path}", "duty")
    runner.run(db.migrate())
    yield runner, db
    runner.run(db.dispose())
    runner.close()


@examples(600)
@given(activation=uuids, officer=officers, reuse_after=st.integers(min_value=0, max_value=86_000))
def test_a_token_is_honoured_once_and_refused_when_reused(
    ledger: tuple[asyncio.Runner, Database], activation: UUID, officer: str, reuse_after: int
) -> None:
    runner, db = ledger
    token = SIGNER.issue(activation, officer, Action.ACKNOWLEDGE, NOW)

    async def spend(at: datetime) -> None:
        grant = SIGNER.check(token, now=at, action=Action.ACKNOWLEDGE, officers={officer})
        async with db.transaction() as session:
            await spend_token(session, grant, at)

    runner.run(spend(NOW))
    with pytest.raises(TokenRefusedError) as caught:
        runner.run(spend(NOW + timedelta(seconds=reuse_after)))
    assert caught.value.reason is Refusal.SPENT
