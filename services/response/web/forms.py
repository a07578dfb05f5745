"""Reading the pages' forms: numbers in range, an answer, a programme; ValueError says what is
wrong."""

from __future__ import annotations

from typing import Any

from schemas.members import Sector
from schemas.responses import AnswerKind, Programme
from services.response.handlers import AnswerForm


def number(value: Any, *, low: int = 0, high: int = 10**10) -> int | None:
    """A whole number typed in a form (thousands separators allowed), None when left empty."""
    if value in (None, ""):
        return None
    found = int(str(value).replace(",", "").strip())
    if not low <= found <= high:
        raise ValueError(f"{found} is out of range")
    return found


def parse_answer(form: Any, allowed: list[AnswerKind]) -> AnswerForm:
    """Read an answer form; raise ValueError with what is wrong."""
    answer = AnswerKind(str(form.get("answer", "")))
    if answer not in allowed:
        raise ValueError(f"{answer.value} is not an answer for this organisation")
    note = str(form.get("note") or "").strip()[:2000] or None
    return AnswerForm(
        answer=answer,
        earliest_arrival_hours=number(form.get("earliest_arrival_hours"), high=24 * 60),
        staff=number(form.get("staff"), high=10_000),
        sectors=tuple(Sector(s) for s in form.getlist("sectors")),
        survey_budget_jpy=number(form.get("survey_budget_jpy"), high=10_000_000_000),
        note=note,
    )


def survey_choices(form: Any, default_jpy: int) -> dict[str, int]:
    """Each organisation chosen for the survey and its budget (the default when none typed)."""
    return {
        str(org): number(form.get(f"budget_{org}"), low=1) or default_jpy
        for org in form.getlist("organisations")
    }


def programme_of(form: Any, default_months: int) -> Programme:
    """The programme the launch form describes."""
    participants = [str(p) for p in form.getlist("participants")]
    budgets = {p: number(form.get(f"budget_{p}"), low=1) for p in participants}
    return Programme(
        name_ja=str(form.get("name_ja") or ""),
        name_en=str(form.get("name_en") or ""),
        duration_months=number(form.get("duration_months"), low=1, high=60) or default_months,
        participants=participants,
        government_budget_jpy=number(form.get("government_budget_jpy")) or 0,
        private_budget_jpy=number(form.get("private_budget_jpy")) or 0,
        budgets_jpy={p: b for p, b in budgets.items() if b is not None},
    )
