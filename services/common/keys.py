"""Keys per purpose, each service holding only the ones it uses, with rotation.

A key that signs acknowledge links cannot forge an answer link, and the ingester, which
parses hostile documents from the internet, holds no key at all. In production every key
is its own secret (`STANDBY_KEYS__<PURPOSE>`); in development an unset one is derived from
the one development secret with a purpose label. A key ring lists retired keys first and
the signing key last (itsdangerous's order): links signed before a rotation keep working.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from pydantic import SecretStr

from services.common.errors import ConfigError
from services.common.settings import ServiceName, Settings

KeyPurpose = Literal["acknowledge", "answer", "preference", "officer_identity", "erasure"]
PURPOSES: tuple[KeyPurpose, ...] = (
    "acknowledge",
    "answer",
    "preference",
    "officer_identity",
    "erasure",
)
KEYS_USED: dict[ServiceName, tuple[KeyPurpose, ...]] = {
    "ingester": (),
    "triage": (),
    "notifier": ("answer", "preference", "erasure"),
    "duty": ("acknowledge", "officer_identity", "erasure"),
    "response": ("answer", "officer_identity", "erasure"),
}
MIN_KEY_CHARS = 32
# The labels development keys were always derived with, so links in flight stay valid.
_DEVELOPMENT_LABELS: dict[KeyPurpose, str] = {
    "answer": "response.answer-link",
    "preference": "notifier.member-preferences",
    "officer_identity": "web.officer-identity",
    "erasure": "retention.erasure-digest",
}


def derived_key(secret: str, label: str) -> str:
    """A key for one use drawn from another secret and a label naming the use (HMAC-SHA256, in
    hex so it can be handed to a child process in its environment)."""
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()


def variable(purpose: KeyPurpose) -> str:
    """The environment variable that carries a purpose's key."""
    return f"STANDBY_KEYS__{purpose.upper()}"


def key_ring(settings: Settings, purpose: KeyPurpose) -> list[bytes]:
    """Every key accepted for a purpose, retired ones first, the one that signs last."""
    current = _value(getattr(settings.keys, purpose))
    if not current:
        if settings.environment == "production":
            raise ConfigError(f"{variable(purpose)} is not set")
        current = _development_key(settings, purpose)
    previous = _value(getattr(settings.keys, f"{purpose}_previous"))
    retired = [p.strip().encode() for p in previous.split(",") if p.strip()]
    return [*retired, current.encode()]


def environment_for(settings: Settings, service: ServiceName) -> dict[str, str]:
    """The key variables a child process of `service` is started with: its own, no others."""
    env: dict[str, str] = {}
    for purpose in KEYS_USED[service]:
        *retired, current = key_ring(settings, purpose)
        env[variable(purpose)] = current.decode()
        if retired:
            env[f"{variable(purpose)}_PREVIOUS"] = ",".join(k.decode() for k in retired)
    return env


def key_problems(settings: Settings, service: ServiceName) -> list[str]:
    """What production refuses about a service's keys: missing, short, shared or not its own."""
    problems: list[str] = []
    if settings.development_key() is not None:
        problems.append(
            "STANDBY_DUTY__SIGNING_KEY is one secret for every purpose: in production give each"
            " service its own STANDBY_KEYS__* instead"
        )
    seen: dict[str, KeyPurpose] = {}
    for purpose in PURPOSES:
        current = _value(getattr(settings.keys, purpose))
        previous = _value(getattr(settings.keys, f"{purpose}_previous"))
        if purpose not in KEYS_USED[service]:
            if current or previous:
                problems.append(f"{variable(purpose)}: the {service} never uses it; remove it")
            continue
        if len(current) < MIN_KEY_CHARS:
            problems.append(
                f"{variable(purpose)} must be a secret of at least {MIN_KEY_CHARS} characters"
                " (e.g. `openssl rand -hex 32`)"
            )
        elif current in seen:
            problems.append(f"{variable(purpose)} is the same secret as {variable(seen[current])}")
        else:
            seen[current] = purpose
    return problems


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def _development_key(settings: Settings, purpose: KeyPurpose) -> str:
    if purpose == "acknowledge":
        return settings.duty.signing_key.get_secret_value()
    development = settings.duty.signing_key.get_secret_value()
    return derived_key(development, f"standby.{_DEVELOPMENT_LABELS[purpose]}")
