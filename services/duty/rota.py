"""The duty rota (`rota.yaml`): officers, weekly shifts with overrides, and the escalation chain.

Pure configuration and the questions asked of it ("who is on duty at this instant?",
"who is paged at each step?"); no I/O beyond reading the file in `load_rota`.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from schemas.members import Slug
from schemas.officers import Officer, Role

__all__ = ["EscalationStep", "Officer", "PlannedStep", "Role", "Rota", "StepTarget", "load_rota"]
from services.common.config_files import load_yaml_model
from services.common.settings import DEFAULT_TIMEZONE, ZoneName

Weekday = Annotated[str, StringConstraints(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Shift(_Config):
    """A weekly slot: on `days`, from `start` to `end` local time (an `end` before `start` runs past midnight)."""

    days: list[Weekday] = Field(default_factory=lambda: list(_WEEKDAYS), min_length=1)
    start: time
    end: time
    primary: Slug
    backup: Slug | None = None

    def covers(self, local: datetime) -> bool:
        """Tell whether this slot is running at a local wall-clock time."""
        now = local.time().replace(tzinfo=None)
        today = _WEEKDAYS[local.weekday()]
        yesterday = _WEEKDAYS[(local.weekday() - 1) % 7]
        if self.start < self.end:
            return today in self.days and self.start <= now < self.end
        return (today in self.days and now >= self.start) or (
            yesterday in self.days and now < self.end
        )


class Override(_Config):
    """A one-off swap (holiday, sickness) that wins over the weekly shifts while it runs."""

    start: AwareDatetime
    end: AwareDatetime
    primary: Slug
    backup: Slug | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError("override end must be after its start")
        return self


class StepTarget(StrEnum):
    ON_DUTY = "on_duty"
    BACKUP = "backup"
    TEAM = "team"
    LEADERSHIP = "leadership"


class EscalationStep(_Config):
    """Page `target`, `after_minutes` after the previous step went unanswered."""

    target: StepTarget
    after_minutes: float = Field(default=0, ge=0)


def _default_chain() -> list[EscalationStep]:
    return [
        EscalationStep(target=StepTarget.ON_DUTY),
        EscalationStep(target=StepTarget.BACKUP, after_minutes=5),
        EscalationStep(target=StepTarget.TEAM, after_minutes=10),
        EscalationStep(target=StepTarget.LEADERSHIP, after_minutes=15),
    ]


class PlannedStep(_Config):
    """One step of a snapshotted chain: who is paged and how long after the first page."""

    step: int = Field(ge=0)
    target: StepTarget
    officer_ids: list[str]
    delay_s: float = Field(ge=0, description="Seconds after the previous planned step.")
    at_s: float = Field(ge=0, description="Seconds after the first page.")


class Rota(_Config):
    """Everything `rota.yaml` says."""

    # The zone of the shift times below (wall clock); pages and mails show settings.duty.timezone.
    timezone: ZoneName = DEFAULT_TIMEZONE
    officers: list[Officer] = Field(min_length=1)
    shifts: list[Shift] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)
    team: list[Slug] = Field(
        default_factory=list, description="Paged at the `team` step; empty means every officer."
    )
    leadership: list[Slug] = Field(default_factory=list)
    escalation: list[EscalationStep] = Field(default_factory=_default_chain, min_length=1)

    @model_validator(mode="after")
    def _references_exist(self) -> Rota:
        ids = [o.id for o in self.officers]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate officer id(s): {', '.join(duplicates)}")
        known = set(ids)
        named = [s.primary for s in self.shifts] + [s.backup for s in self.shifts if s.backup]
        named += [o.primary for o in self.overrides] + [
            o.backup for o in self.overrides if o.backup
        ]
        named += self.team + self.leadership
        unknown = sorted({n for n in named if n not in known})
        if unknown:
            raise ValueError(f"unknown officer id(s): {', '.join(unknown)}")
        if self.escalation[0].after_minutes != 0:
            raise ValueError("the first escalation step pages at once: its after_minutes must be 0")
        targets = [s.target for s in self.escalation]
        if StepTarget.LEADERSHIP in targets and not self.leadership:
            raise ValueError(
                "the escalation chain pages leadership but the leadership list is empty"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def officer(self, officer_id: str) -> Officer | None:
        """Find an officer by id."""
        return next((o for o in self.officers if o.id == officer_id), None)

    def on_duty(self, at: datetime) -> tuple[str | None, str | None]:
        """Return the (primary, backup) officer ids on duty at an instant."""
        for override in self.overrides:
            if override.start <= at < override.end:
                return override.primary, override.backup
        local = at.astimezone(self.zone)
        for shift in self.shifts:
            if shift.covers(local):
                return shift.primary, shift.backup
        return None, None

    def chain_at(self, at: datetime) -> list[PlannedStep]:
        """Resolve the escalation chain to officer ids, as it stands at an instant (the snapshot)."""
        primary, backup = self.on_duty(at)
        team = self.team or [o.id for o in self.officers]
        planned: list[PlannedStep] = []
        for index, step in enumerate(self.escalation):
            officers: list[str]
            if step.target is StepTarget.ON_DUTY:
                # Nobody rostered (a gap in the shifts): the whole team hears it at once.
                officers = [primary] if primary else list(team)
            elif step.target is StepTarget.BACKUP:
                officers = [backup] if backup else []
            elif step.target is StepTarget.TEAM:
                officers = list(team)
            else:
                officers = list(self.leadership)
            if not officers:
                continue  # no backup rostered: skip the step, its delay folds into the next
            at_s = sum(s.after_minutes for s in self.escalation[: index + 1]) * 60
            planned.append(
                PlannedStep(
                    step=len(planned),
                    target=step.target,
                    officer_ids=officers,
                    delay_s=at_s - (planned[-1].at_s if planned else 0),
                    at_s=at_s,
                )
            )
        return planned


def load_rota(path: Path) -> Rota:
    """Read and validate `rota.yaml`; raise ConfigError naming file:line:column and field."""
    return load_yaml_model(path, Rota)
