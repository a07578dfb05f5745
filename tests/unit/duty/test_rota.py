"""The rota: who is on duty when, the chain a page follows, and errors that point at the line."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.common.errors import ConfigError
from services.duty.rota import Rota, StepTarget, load_rota
from tests.files import written

REPO = Path(__file__).resolve().parents[3]
TOKYO = ZoneInfo("Asia/Tokyo")

ROTA = {
    "officers": [
        {"id": "aoki", "name": "Aoki", "email": "aoki@example.org"},
        {"id": "sato", "name": "Sato", "email": "sato@example.org"},
        {"id": "morgan", "name": "Morgan", "language": "en", "email": "m@example.org"},
        {"id": "ito", "name": "Ito", "email": "ito@example.org"},
    ],
    "shifts": [
        {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "09:00",
            "end": "21:00",
            "primary": "aoki",
            "backup": "sato",
        },
        {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "21:00",
            "end": "09:00",
            "primary": "morgan",
            "backup": "aoki",
        },
    ],
    "overrides": [
        {
            "start": "2026-12-29T09:00:00+09:00",
            "end": "2027-01-04T09:00:00+09:00",
            "primary": "sato",
        },
    ],
    "team": ["aoki", "sato", "morgan"],
    "leadership": ["ito"],
}


def tokyo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def test_the_day_shift_hands_over_to_the_night_shift_at_21_tokyo_time() -> None:
    rota = Rota.model_validate(ROTA)
    assert rota.on_duty(tokyo("2026-11-23T20:59")) == ("aoki", "sato")
    assert rota.on_duty(tokyo("2026-11-23T21:00")) == ("morgan", "aoki")


def test_a_night_shift_runs_past_midnight_into_the_next_morning() -> None:
    rota = Rota.model_validate(ROTA)
    assert rota.on_duty(tokyo("2026-11-24T03:00")) == ("morgan", "aoki")
    # Friday night's shift still covers Saturday 08:00; Saturday evening has no slot.
    assert rota.on_duty(tokyo("2026-11-28T08:00")) == ("morgan", "aoki")
    assert rota.on_duty(tokyo("2026-11-28T20:00")) == (None, None)


def test_an_override_wins_over_the_weekly_shift() -> None:
    rota = Rota.model_validate(ROTA)
    assert rota.on_duty(tokyo("2026-12-30T10:00")) == ("sato", None)


def test_the_chain_pages_on_duty_then_backup_team_and_leadership_with_cumulative_delays() -> None:
    chain = Rota.model_validate(ROTA).chain_at(tokyo("2026-11-23T10:00"))
    assert [(s.step, s.target, s.officer_ids, s.at_s) for s in chain] == [
        (0, StepTarget.ON_DUTY, ["aoki"], 0),
        (1, StepTarget.BACKUP, ["sato"], 300),
        (2, StepTarget.TEAM, ["aoki", "sato", "morgan"], 900),
        (3, StepTarget.LEADERSHIP, ["ito"], 1800),
    ]
    assert [s.delay_s for s in chain] == [0, 300, 600, 900]


def test_a_step_without_anyone_rostered_is_skipped_and_its_wait_folds_into_the_next() -> None:
    chain = Rota.model_validate(ROTA).chain_at(tokyo("2026-12-30T10:00"))  # override: no backup
    assert [s.target for s in chain] == [StepTarget.ON_DUTY, StepTarget.TEAM, StepTarget.LEADERSHIP]
    assert chain[1].step == 1 and chain[1].delay_s == 900


def test_a_gap_in_the_shifts_pages_the_whole_team_at_once() -> None:
    chain = Rota.model_validate(ROTA).chain_at(tokyo("2026-11-28T20:00"))
    assert chain[0].officer_ids == ["aoki", "sato", "morgan"]


def test_the_example_rota_loads() -> None:
    rota = load_rota(REPO / "deploy" / "rota.example.yaml")
    assert rota.timezone == "Asia/Tokyo"
    assert all(o.password_hash is not None for o in rota.officers)
    assert "SecretStr" in repr(rota.officers[0].password_hash)


def refused(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Write `text` as a rota file; return its path and what loading it is refused with."""
    path = written(tmp_path / "rota.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_rota(path)
    return path, str(caught.value)


def test_an_unknown_key_is_named_with_file_line_and_column(tmp_path: Path) -> None:
    path, error = refused(
        tmp_path,
        "officers:\n  - id: aoki\n    name: Aoki\n    email: a@example.org\n    pager: 123\n",
    )
    assert f"{path}:5:5: officers.0.pager: unknown key" in error


def test_a_shift_naming_an_unknown_officer_is_refused(tmp_path: Path) -> None:
    _, error = refused(
        tmp_path,
        "officers:\n  - {id: aoki, name: Aoki, email: a@example.org}\n"
        "shifts:\n  - {start: '09:00', end: '18:00', primary: nobody}\n",
    )
    assert re.search(r"unknown officer id\(s\): nobody", error)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    _, error = refused(tmp_path, "officers:\n  - id: [aoki\n")
    assert re.search(r"rota.yaml:\d+:\d+: invalid YAML", error)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        Rota.model_validate({**ROTA, "timezone": "Mars/Olympus"})


def test_an_officer_who_cannot_be_reached_is_refused() -> None:
    with pytest.raises(ValueError, match="needs an email or at least one apprise URL"):
        Rota.model_validate({**ROTA, "officers": [{"id": "x", "name": "X"}]})
