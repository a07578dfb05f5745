"""Activations and rotas for the duty tests, built from plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from schemas.activations import Activation, Level, Reason
from tests.messages import activation_of, quake_summary

PASSWORD = "standby-demo"
# argon2id of PASSWORD (made once with `standby duty-hash-password`; hashing per test is slow).
PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$Bbv0mclMNCfuwbYpvDqs7w$"
    "ZgKuDSc1V/et2NX8uqJdknh+qDhZ2dN/TCKeN24tES0"
)


def activation(
    level: Level = Level.ACTIVATE,
    *,
    title: str = "Red earthquake alert (M 7.4) in Japan",
    incident_id: UUID | None = None,
) -> Activation:
    """Build an activation as triage would publish it, of a quake an hour before `NOW`."""
    return activation_of(
        quake_summary(
            title,
            "JPN",
            NOW - timedelta(hours=1),
            country_names=["Japan"],
            lat=38.3,
            lon=142.4,
            sources=["gdacs:EQ:1052901"],
        ),
        level,
        incident_id=incident_id,
        score=91,
        reasons=[
            Reason(rule="gdacs_red", sentence="GDACS alert level Red", level=Level.ACTIVATE),
            Reason(rule="population", sentence="2.1 M people within 100 km", level=level),
        ],
    )


def rota_dict(*, backup_after_minutes: float = 5, team_after_minutes: float = 10) -> dict[str, Any]:
    """A rota where aoki is always on duty with sato as backup."""
    officer = {"language": "en", "password_hash": PASSWORD_HASH}
    return {
        "officers": [
            {"id": "aoki", "name": "Aoki Aoi", "email": "aoki@example.org", **officer},
            {"id": "sato", "name": "Sato Ken", "email": "sato@example.org", **officer},
            {"id": "ito", "name": "Ito Mari", "email": "ito@example.org", **officer},
        ],
        "shifts": [{"start": "00:00", "end": "00:00", "primary": "aoki", "backup": "sato"}],
        "team": ["aoki", "sato"],
        "leadership": ["ito"],
        "escalation": [
            {"target": "on_duty"},
            {"target": "backup", "after_minutes": backup_after_minutes},
            {"target": "leadership", "after_minutes": team_after_minutes},
        ],
    }


def write_rota(path: Path, **kwargs: float) -> Path:
    path.write_text(yaml.safe_dump(rota_dict(**kwargs), allow_unicode=True), encoding="utf-8")
    return path


NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
