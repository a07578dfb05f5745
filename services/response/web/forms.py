"""Reading the pages' forms: numbers in range, an answer, a programme. What cannot be read is a
FormError, said in the reader's language (never the parser's own English)."""

from __future__ import annotations

from typing import Any

from schemas.members import Sector
from schemas.responses import AnswerKind, Programme
from services.response.handlers import AnswerForm
from services.response.words import words


class FormError(ValueError):
    """A form the page cannot read: `word` names the sentence, `values` fill it in."""

    def __init__(self, word: str, **values: Any) -> None:
        super().__init__(f"{word}: {values}")
        self.word = word
        self.values = values

    def said(self, language: str) -> str:
        """The sentence in `language`, a field named by its label."""
        t = words(language)
        shown = {k: t.get(v, v) if k == "field" else v for k, v in self.values.items()}
        return t[self.word].format(**shown)


def number(value: Any, field: str, *, low: int = 0, high: int = 10**10) -> int | None:
    """A whole number typed in the form's `field` (thousands separators allowed), None when
    left empty."""
    if value in (None, ""):
        return None
    try:
        found = int(str(value).replace(",", "").strip())
    except ValueError:
        found = None
    if found is None or not low <= found <= high:
        raise FormError("bad_number", field=field, low=f"{low:,}", high=f"{high:,}")
    return found


def parse_answer(form: Any, allowed: list[AnswerKind]) -> AnswerForm:
    """Read an answer form; raise FormError with what is wrong."""
    if not allowed:
        raise FormError("observer_asked_nothing")
    try:
        answer = AnswerKind(str(form.get("answer", "")))
    except ValueError:
        answer = None
    if answer not in allowed:
        raise FormError("bad_answer")
    try:
        sectors = tuple(Sector(s) for s in form.getlist("sectors"))
    except ValueError as err:
        raise FormError("bad_sector") from err
    return AnswerForm(
        answer=answer,
        earliest_arrival_hours=number(
            form.get("earliest_arrival_hours"), "earliest_arrival_hours", high=24 * 60
        ),
        staff=number(form.get("staff"), "staff", high=10_000),
        sectors=sectors,
        survey_budget_jpy=number(
            form.get("survey_budget_jpy"), "survey_budget_jpy", high=10_000_000_000
        ),
        note=str(form.get("note") or "").strip()[:2000] or None,
    )


def survey_choices(form: Any, default_jpy: int) -> dict[str, int]:
    """Each organisation chosen for the survey and its budget (the default when none typed)."""
    if not form.getlist("organisations"):
        # Said at the review, before any confirm page.
        raise FormError("missing_organisations")
    return {
        str(org): number(form.get(f"budget_{org}"), "budget_cap", low=1) or default_jpy
        for org in form.getlist("organisations")
    }


def programme_of(form: Any, default_months: int) -> Programme:
    """The programme the launch form describes."""
    if not form.getlist("participants"):
        raise FormError("missing_participants")
    if not (str(form.get("name_ja") or "").strip() and str(form.get("name_en") or "").strip()):
        raise FormError("missing_names")
    participants = [str(p) for p in form.getlist("participants")]
    budgets = {p: number(form.get(f"budget_{p}"), "budget_jpy", low=1) for p in participants}
    months = number(form.get("duration_months"), "duration_months", low=1, high=60)
    return Programme(
        name_ja=str(form.get("name_ja") or "").strip()[:200],
        name_en=str(form.get("name_en") or "").strip()[:200],
        duration_months=months or default_months,
        participants=participants,
        government_budget_jpy=number(form.get("government_budget_jpy"), "government_budget_jpy")
        or 0,
        private_budget_jpy=number(form.get("private_budget_jpy"), "private_budget_jpy") or 0,
        budgets_jpy={p: b for p, b in budgets.items() if b is not None},
    )
