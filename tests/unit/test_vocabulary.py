"""The console and the mails use one vocabulary (docs/vocabulary.md)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.acks import AckState
from schemas.activations import IncidentSummary, Level
from schemas.hazards import HazardType
from schemas.members import Language
from schemas.vocabulary import (
    HAZARD_WORDS,
    LEVEL_WORDS,
    NOTICE_WORDS,
    PROGRAMME_CLOSED_WORDS,
    STATE_WORDS,
    Notice,
)
from services.duty.console.i18n import translator
from services.notifier.rendering import Renderer
from services.notifier.wording import NOTICE_ASKS, PAGE_WORD

ACTIONS = {Notice.LAUNCHED: "launch", Notice.STOOD_DOWN: "stand_down"}


@pytest.mark.parametrize("language", list(Language))
def test_levels_hazards_and_notices_read_the_same_in_the_console_and_the_mails(
    language: Language,
) -> None:
    words = translator(language.value)
    for level in Level:
        assert words[f"level_{level.value}"].casefold() == LEVEL_WORDS[language][level].casefold()
    for hazard in HazardType:
        assert words[f"hazard_{hazard.value}"] == HAZARD_WORDS[language][hazard]
    for notice, action in ACTIONS.items():
        # The console's preview shows members exactly the ask the notice mail carries.
        assert words[f"member_ask_{action}"] == NOTICE_ASKS[language][notice]


def test_in_japanese_the_level_and_the_launch_have_different_words() -> None:
    words = translator("ja")
    assert words["level_activate"] == LEVEL_WORDS[Language.JA][Level.ACTIVATE] == "発動"
    # 派遣開始 is what participants are told (the notice); the state is the programme's.
    assert NOTICE_WORDS[Language.JA][Notice.LAUNCHED] == "派遣開始"
    assert words["state_launched"] == STATE_WORDS[Language.JA][AckState.LAUNCHED]
    assert words["state_launched"] != words["level_activate"]
    assert words["state_stood_down"] == NOTICE_WORDS[Language.JA][Notice.STOOD_DOWN]
    assert "発動" not in words["launch"] and "出動" not in "".join(words.values())
    assert words["kind_page"] == PAGE_WORD[Language.JA]


@pytest.mark.parametrize("language", list(Language))
def test_the_previewed_prefix_is_the_one_members_read(language: Language) -> None:
    summary = IncidentSummary(
        title="Quake", hazard_type=HazardType.EARTHQUAKE, event_time=datetime.now(UTC)
    )
    notice = Renderer().notice(language, Notice.LAUNCHED, summary, None, "Teams go")
    prefix = translator(language.value)["member_message_prefix"]
    assert f"{prefix}Teams go" in notice.text


@pytest.mark.parametrize("language", list(Language))
def test_answers_steps_and_the_launch_read_the_same_everywhere(language: Language) -> None:
    from schemas.responses import AnswerKind, NoticeKind, StepAction
    from schemas.vocabulary import ANSWER_WORDS, STEP_WORDS
    from services.duty.cap.mapping import Kind
    from services.duty.cap.words import NOTICE_WORDS as CAP_NOTICE_WORDS
    from services.notifier.coordination_words import COORDINATION_WORDS
    from services.response.words import words as response_words

    console, pages = translator(language.value), response_words(language.value)
    for step in StepAction:
        # The board's timeline and the console's say a roll-call step with the same words.
        assert console[f"step_{step.value}"] == STEP_WORDS[language][step] == pages[f"step_{step}"]
    for answer in AnswerKind:
        assert pages[answer.value] == ANSWER_WORDS[language][answer]
    cap = "ja-JP" if language is Language.JA else "en-US"
    deploy = NOTICE_WORDS[language][Notice.LAUNCHED]
    assert COORDINATION_WORDS[language][NoticeKind.PROGRAMME_LAUNCH] == deploy
    assert CAP_NOTICE_WORDS[cap][Kind.LAUNCH] == deploy
    closed = COORDINATION_WORDS[language][NoticeKind.PROGRAMME_CLOSED]
    assert CAP_NOTICE_WORDS[cap][Kind.CLOSE] == closed
    assert pages["status_stood_down"] == console["state_stood_down"]
    for state in (AckState.LAUNCHED, AckState.CLOSED, AckState.STOOD_DOWN):
        # One word for one state: the console's badge and the board's status.
        word = STATE_WORDS[language][state]
        assert console[f"state_{state.value}"] == pages[f"status_{state.value}"] == word
    assert console["state_launched"] == (
        "プログラム立ち上げ済み" if language is Language.JA else "Programme launched"
    )


ROOT = Path(__file__).resolve().parents[2]


def spelled(words: set[str]) -> dict[str, set[str]]:
    """Which modules of services/ and schemas/ spell one of `words` as a string of their own."""
    found: dict[str, set[str]] = {}
    for folder in ("services", "schemas"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
            if hits := {w for w in words if w in constants}:
                found[str(path.relative_to(ROOT))] = hits
    return found


def test_the_notice_words_are_spelled_once() -> None:
    # The member mail, the coordination mail, the CAP feed and the demo read them from the one
    # table, as the console reads the states and the steps.
    # Launched and stood down, and the close: words of their own. (Withdrawn, 取り消し, is also
    # plain Japanese for a deleted USGS event, which triage's reasons say.)
    told = (Notice.LAUNCHED, Notice.STOOD_DOWN)
    words = {NOTICE_WORDS[language][notice] for language in Language for notice in told}
    words |= set(PROGRAMME_CLOSED_WORDS.values())
    assert spelled(words) == {
        "schemas/vocabulary.py": words,
        # The officer's button, Stand down: an action, which Japanese names as the notice does.
        "services/duty/console/i18n.py": {"待機解除"},
    }


@pytest.mark.parametrize("language", list(Language))
def test_the_end_states_are_one_code_set_with_one_word_each(language: Language) -> None:
    from services.duty.states import DutyState
    from services.response.lifecycle import ResponseState
    from services.response.words import words as response_words

    # The wire's launched / closed / stood-down codes are the duty state's and the response's,
    # so the console's badge and the board's status read the one word for each.
    for state in STATE_WORDS[language]:
        assert DutyState(state.value).as_ack_state() is state
        assert ResponseState(state.value).value == state.value
    console, pages = translator(language.value), response_words(language.value)
    assert [s for s in DutyState if f"state_{s.value}" not in console] == []
    assert [s for s in ResponseState if f"status_{s.value}" not in pages] == []
