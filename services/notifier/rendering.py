"""Render member alerts, duty pages and follow-up notices from Jinja2 templates, per language.

One render per language and message, not per contact: the per-contact part of an email is
only its headers (see `mime.py`), which keeps 5,000 recipients as cheap as 5.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from schemas.activations import Activation, IncidentSummary, Level, Reason
from schemas.members import Language, Secretariat
from schemas.pages import Page
from schemas.responses import CoordinationNotice
from schemas.vocabulary import HAZARD_WORDS, LEVEL_WORDS, NOTICE_WORDS, Notice
from services.common.errors import StandbyError
from services.common.settings import DEFAULT_TIMEZONE
from services.notifier.coordination_words import COORDINATION_ASKS, COORDINATION_WORDS
from services.notifier.countries import country_name
from services.notifier.map_image import InlineImage
from services.notifier.personal import MARKER, Personal
from services.notifier.wording import ASKS, NOTICE_ASKS, PAGE_WORD

TEMPLATES = Path(__file__).parent / "templates"
DIGEST_WORD = {Language.JA: "日次まとめ", Language.EN: "Daily digest"}


class RenderError(StandbyError):
    """A template could not be rendered (a bug in a template, never bad member input)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message in one language: subject, plain text, HTML, and the short chat text;
    a member alert also carries its incident map, shown inline by the HTML."""

    language: Language
    subject: str
    text: str
    html: str
    chat: str
    image: InlineImage | None = None


def subject_line(language: Language, word: str, summary: IncidentSummary) -> str:
    """Build a subject that sorts by level, hazard, country, date in a mail client."""
    hazard = (
        summary.hazard_type.value
        if language is Language.EN
        else HAZARD_WORDS[language][summary.hazard_type]
    )
    countries = ",".join(summary.countries) or "---"
    day = summary.event_time.astimezone(UTC).date().isoformat()
    title = " ".join(summary.title.split())
    return f"[standby] {word} | {hazard} | {countries} | {day} | {title}"


class Renderer:
    """The template environment and the context every message shares."""

    def __init__(
        self,
        templates: Path = TEMPLATES,
        preferences_url: str | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        # The platform's zone (settings.duty.timezone, the one the pages use): incident times and
        # deadlines read in it beside UTC.
        self.zone = ZoneInfo(timezone)
        # Where any member asks for the link to their own preferences page (the footer's way in).
        self.preferences_url = preferences_url
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=lambda name: name is not None and ".html" in name,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # The templates ship with the code: no stat of each file at every render (each
            # member's own block renders three), a new release is a new process.
            auto_reload=False,
        )
        self.env.filters["oneline"] = oneline

    def _preferences_url(self, language: Language) -> str | None:
        """The footer's way in, opening in the mail's language."""
        if self.preferences_url is None:
            return None
        return f"{self.preferences_url}?lang={language.value}"

    def preload(self) -> int:
        """Compile every template now, so the first alert does not pay for it."""
        return sum(1 for _ in self.compiling())

    def compiling(self) -> Iterator[str]:
        """Compile the templates one by one, naming each once compiled (a caller on the event
        loop lets other work go between them)."""
        for name in self.env.list_templates(filter_func=lambda n: n.endswith(".j2")):
            self.env.get_template(name)
            yield name

    def member_alert(
        self,
        language: Language,
        activation: Activation,
        secretariat: Secretariat | None,
        image: InlineImage | None = None,
    ) -> Rendered:
        """Render the alert a member receives when an incident reaches a level."""
        word = LEVEL_WORDS[language][activation.level]
        upgraded_from = (
            LEVEL_WORDS[language][activation.previous_level]
            if activation.previous_level > Level.NONE
            else None
        )
        context = self._facts(language, activation.summary) | {
            "kind": "alert",
            "level": activation.level.value,
            "level_word": word,
            "upgraded_from": upgraded_from,
            "score": round(activation.score),
            "reasons": _sentences(language, activation.reasons),
            "ask": ASKS[language][activation.level],
            "secretariat": _secretariat(language, secretariat),
            "preferences_url": self._preferences_url(language),
            "personal_marker": MARKER,
            "map": image,
        }
        rendered = self._render(
            "alert", language, subject_line(language, word, activation.summary), context
        )
        return replace(rendered, image=image) if image is not None else rendered

    def page(self, language: Language, page: Page) -> Rendered:
        """Render the page a duty officer receives."""
        word = f"{PAGE_WORD[language]} {LEVEL_WORDS[language][page.level]}"
        context = self._facts(language, page.summary) | {
            "kind": "page",
            "level": page.level.value,
            "level_word": LEVEL_WORDS[language][page.level],
            "officer": page.target.name,
            "step": page.step,
            "ack_url": page.ack_url,
            "console_url": page.console_url,
            "score": round(page.score) if page.score is not None else None,
            "reasons": _sentences(language, page.reasons),
            "escalates_at": _officer_time(page.escalates_at, self.zone, language),
            "next_names": page.next_names,
            "link_expires_at": _officer_time(page.link_expires_at, self.zone, language),
        }
        return self._render("page", language, subject_line(language, word, page.summary), context)

    def notice(
        self,
        language: Language,
        notice: Notice,
        summary: IncidentSummary,
        secretariat: Secretariat | None,
        member_message: str | None,
    ) -> Rendered:
        """Render a follow-up (launch, stand down) with the officer's message to members."""
        word = NOTICE_WORDS[language][notice]
        context = self._facts(language, summary) | {
            "kind": "notice",
            "level": None,
            "notice": notice.value,
            "level_word": word,
            "ask": NOTICE_ASKS[language][notice],
            "member_message": member_message,
            "secretariat": _secretariat(language, secretariat),
            "preferences_url": self._preferences_url(language),
        }
        return self._render("notice", language, subject_line(language, word, summary), context)

    def coordination(
        self,
        language: Language,
        notice: CoordinationNotice,
        names: dict[str, str],
        secretariat: Secretariat | None,
    ) -> Rendered:
        """Render a roll-call reminder, survey decision or notice, or programme launch."""
        word = COORDINATION_WORDS[language][notice.kind]
        programme = notice.programme
        context = self._facts(language, notice.summary) | {
            "kind": "coordination",
            "level": None,
            "notice": notice.kind.value,
            "level_word": word,
            "ask": COORDINATION_ASKS[language][notice.kind],
            "survey": [
                {
                    "name": names.get(a.organisation_id, a.organisation_id),
                    "budget": f"{a.budget_jpy:,}",
                }
                for a in notice.survey
            ],
            "report_by": (
                _when(notice.report_by, self.zone, language) if notice.report_by else None
            ),
            "programme": (
                {
                    "name": programme.name_ja if language is Language.JA else programme.name_en,
                    "other_name": programme.name_en
                    if language is Language.JA
                    else programme.name_ja,
                    "months": programme.duration_months,
                    "participants": [
                        names.get(p, p)
                        + (
                            f" (JPY {programme.budgets_jpy[p]:,})"
                            if p in programme.budgets_jpy
                            else ""
                        )
                        for p in programme.participants
                    ],
                    "government": f"{programme.government_budget_jpy:,}",
                    "private": f"{programme.private_budget_jpy:,}",
                }
                if programme
                else None
            ),
            "secretariat": _secretariat(language, secretariat),
            "personal_marker": MARKER,
        }
        return self._render(
            "coordination", language, subject_line(language, word, notice.summary), context
        )

    def digest(
        self,
        language: Language,
        day: date,
        entries: Sequence[tuple[Activation, Personal | None]],
        secretariat: Secretariat | None,
    ) -> Rendered:
        """Render one contact's daily digest: each incident with level, reasons and links."""
        items = [
            self._facts(language, activation.summary)
            | {
                "level": activation.level.value,
                "level_word": LEVEL_WORDS[language][activation.level],
                "upgraded_from": LEVEL_WORDS[language][activation.previous_level]
                if activation.previous_level > Level.NONE
                else None,
                "score": round(activation.score),
                "reasons": _sentences(language, activation.reasons),
                "ask": ASKS[language][activation.level],
                # The block was rendered (and escaped) by the answer-link templates.
                "personal": {"text": personal.text, "html": Markup(personal.html)}
                if personal
                else None,
            }
            for activation, personal in entries
        ]
        word = DIGEST_WORD[language]
        count = f"{len(items)}件" if language is Language.JA else f"{len(items)} incident(s)"
        subject = f"[standby] {word} | {day.isoformat()} | {count}"
        context = {
            "kind": "digest",
            "level": "digest",
            "level_word": word,
            "title": f"{word} {day.isoformat()}",
            "day": day.isoformat(),
            "entries": items,
            "secretariat": _secretariat(language, secretariat),
            "preferences_url": self._preferences_url(language),
            "subject": subject,
            "lang": language.value,
        }
        try:
            text = self.env.get_template(f"digest.{language.value}.txt.j2").render(context)
            html = self.env.get_template(f"digest.{language.value}.html.j2").render(context)
        except TemplateError as err:
            raise RenderError(f"template digest.{language.value}: {err}") from err
        chat = f"{subject}\n" + "\n".join(
            f"{i['level_word']} | {i['hazard']} | {oneline(i['title'])}" for i in items
        )
        return Rendered(language, subject, text, html, chat)

    def _render(
        self, name: str, language: Language, subject: str, context: dict[str, Any]
    ) -> Rendered:
        context = context | {"subject": subject, "lang": language.value}
        try:
            text = self.env.get_template(f"{name}.{language.value}.txt.j2").render(context)
            html = self.env.get_template(f"{name}.{language.value}.html.j2").render(context)
            chat = self.env.get_template(f"chat.{language.value}.txt.j2").render(context)
        except TemplateError as err:
            raise RenderError(f"template {name}.{language.value}: {err}") from err
        return Rendered(language, subject, text, html, chat.strip())

    def _facts(self, language: Language, summary: IncidentSummary) -> dict[str, Any]:
        """Describe the incident: what, where, when, how bad, and where to read more."""
        names = summary.country_names or []
        places = [
            f"{country_name(code, language, names[i] if i < len(names) else None)} ({code})"
            for i, code in enumerate(summary.countries)
        ] or list(names)
        severity = None
        if summary.severity is not None:
            severity = summary.severity.text or " ".join(
                str(p) for p in (summary.severity.value, summary.severity.unit) if p is not None
            )
        return {
            "title": summary.title,
            "hazard": HAZARD_WORDS[language][summary.hazard_type],
            "hazard_code": summary.hazard_type.value,
            "places": places,
            "event_time_utc": _when(summary.event_time, UTC, language),
            "event_time_local": _when(summary.event_time, self.zone, language),
            "alert_level": summary.alert_level.value if summary.alert_level else None,
            "severity": severity or None,
            "population": (
                f"{summary.population_exposed:,}"
                if summary.population_exposed is not None
                else None
            ),
            "glide": summary.glide,
            "lat": summary.lat,
            "lon": summary.lon,
            "links": [{"rel": link.rel, "url": link.url} for link in summary.links],
        }


def oneline(value: object) -> str:
    """Flatten feed text to one line: no line breaks, control or bidi characters to forge lines."""
    text = "".join(
        " " if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") else c
        for c in str(value)
    )
    return " ".join(text.split())


def _sentences(language: Language, reasons: list[Reason]) -> list[str]:
    return [
        (r.sentence_ja or r.sentence) if language is Language.JA else r.sentence for r in reasons
    ]


def _officer_time(moment: datetime | None, zone: ZoneInfo, language: Language) -> str | None:
    """A deadline as the officer reads it: local time in Japanese, UTC and local in English."""
    if moment is None:
        return None
    if language is Language.JA:
        return _when(moment, zone, language)
    local = moment.astimezone(zone)
    return f"{_when(moment, UTC, language)} ({local:%H:%M} {_label(local)})"


def _label(local: datetime) -> str:
    """The zone's abbreviation at that moment (JST, CET/CEST), as the pages show it."""
    return local.tzname() or "UTC"


def _when(moment: datetime, zone: Any, language: Language) -> str:
    local = moment.astimezone(zone)
    label = _label(local)
    if language is Language.JA:
        return f"{local:%Y年%m月%d日 %H:%M} ({label})"
    return f"{local:%Y-%m-%d %H:%M} {label}"


def _secretariat(language: Language, secretariat: Secretariat | None) -> dict[str, Any] | None:
    if secretariat is None:
        return None
    return {
        "name": secretariat.name_ja if language is Language.JA else secretariat.name_en,
        "email": secretariat.email,
        "phone": secretariat.phone,
        "url": secretariat.url,
    }
