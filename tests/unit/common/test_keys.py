"""Keys per purpose: each service only its own, retired keys still verify, forgeries do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.console_identity import OfficerIdentity, read_identity, sign_identity
from services.common.keys import (
    KEYS_USED,
    PURPOSES,
    derived_key,
    environment_for,
    key_problems,
    key_ring,
)
from services.common.settings import SERVICES, ServiceName, Settings
from services.domain.answer_links import AnswerLinkRefusedError, answer_link_signer
from services.duty.console.app import session_secret

OLD, NEW = "old-answer-key-0123456789abcdef0123456789", "new-answer-key-0123456789abcdef01234567"
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_a_rotation_keeps_yesterdays_link_and_still_refuses_a_forged_one() -> None:
    before = Settings.model_validate({"keys": {"answer": OLD}})
    after = Settings.model_validate({"keys": {"answer": NEW, "answer_previous": OLD}})
    incident = uuid4()
    yesterday = answer_link_signer(key_ring(before, "answer"), 168).issue(
        incident, "hope-bridge", "tanaka", NOW - timedelta(days=1)
    )
    signer = answer_link_signer(key_ring(after, "answer"), 168)
    grant = signer.check(yesterday, now=NOW, incident_id=incident, organisation_id="hope-bridge")
    assert grant.contact_id == "tanaka"
    today = signer.issue(incident, "hope-bridge", "tanaka", NOW)
    assert today != yesterday  # signed with the new key
    forged = answer_link_signer(b"a-key-nobody-was-given-0123456789abcd", 168).issue(
        incident, "hope-bridge", "tanaka", NOW
    )
    with pytest.raises(AnswerLinkRefusedError, match="forged"):
        signer.check(forged, now=NOW, incident_id=incident, organisation_id="hope-bridge")
    retired = Settings.model_validate({"keys": {"answer": NEW}})
    with pytest.raises(AnswerLinkRefusedError, match="forged"):
        answer_link_signer(key_ring(retired, "answer"), 168).check(
            yesterday, now=NOW, incident_id=incident, organisation_id="hope-bridge"
        )


def test_the_officer_header_signed_before_a_rotation_is_read_after_it() -> None:
    old, new = b"identity-old-0123456789abcdef0123456789", b"identity-new-0123456789abcdef012345678"
    header = sign_identity([old], OfficerIdentity("sato", "ja", "c"), now=100.0)
    assert read_identity([old, new], header, now=100.0) == OfficerIdentity("sato", "ja", "c")
    assert read_identity([new], header, now=100.0) is None


def test_purpose_keys_differ_in_development_and_each_service_is_handed_only_its_own() -> None:
    settings = Settings.model_validate({"duty": {"signing_key": "dev-" + "k" * 40}})
    keys = {purpose: key_ring(settings, purpose)[-1] for purpose in PURPOSES}
    assert len(set(keys.values())) == len(PURPOSES)
    for service in SERVICES:
        env = environment_for(settings, service)
        assert set(env) == {f"STANDBY_KEYS__{p.upper()}" for p in KEYS_USED[service]}
    assert environment_for(settings, "ingester") == environment_for(settings, "triage") == {}


@pytest.mark.parametrize("service", SERVICES)
def test_production_refuses_a_missing_shared_or_foreign_key(service: ServiceName) -> None:
    used = KEYS_USED[service]
    own = {p: f"{p}-secret-0123456789abcdef0123456789" for p in used}
    assert (
        key_problems(Settings.model_validate({"environment": "production", "keys": own}), service)
        == []
    )
    foreign = next(p for p in PURPOSES if p not in used)
    given = {**own, foreign: "x" * 40}
    problems = key_problems(
        Settings.model_validate({"environment": "production", "keys": given}), service
    )
    assert problems == [f"STANDBY_KEYS__{foreign.upper()}: the {service} never uses it; remove it"]
    if len(used) >= 2:
        same = dict.fromkeys(used, "one-secret-for-both-0123456789abcdef")
        problems = key_problems(
            Settings.model_validate({"environment": "production", "keys": same}), service
        )
        assert problems and "is the same secret as" in problems[0]


def test_a_derived_key_is_the_one_development_keys_and_console_cookies_were_always_given() -> None:
    # Values the derivation gave before it was written once: links and cookies in flight keep
    # working across the change.
    settings = Settings.model_validate({"duty": {"signing_key": "dev-" + "k" * 40}})
    answer = "424f14b89704eb351f70eefa7772dcb863d0dffc2acc37da8cbaf6b8d15630af"
    assert key_ring(settings, "answer") == [answer.encode()]
    session = "490253c360e697a0b32109822c8d42451f9e1f55dd9293e1b5ef35e196bf18a9"
    assert session_secret("dev-" + "k" * 40) == session
    assert derived_key("dev-" + "k" * 40, "standby.response.answer-link") == answer
