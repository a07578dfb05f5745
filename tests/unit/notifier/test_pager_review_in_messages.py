"""The review status travels with the reasons: the member's alert and the officer's page say
whether PAGER's estimate and USGS's event were automatic or reviewed, in both languages (the
real Tibet 2025 capture, placed in Nepal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.activations import Activation
from schemas.members import Language, Secretariat
from schemas.pages import PageTarget
from services.ingester.sources import read_document
from services.notifier.rendering import Renderer
from services.triage.backtest import replay
from tests.messages import page_of
from tests.unit.triage.builders import shipped

TIBET = "usgs/usgs_detail_us6000pi9w-Tibet-M7.1-red_2025-01-07_IFRCGo-pystac-monty.json"
SECRETARIAT = Secretariat(name_ja="事務局", name_en="Secretariat", email="desk@example.jp")
# PAGER's estimate is automatic; USGS's event itself (its location, magnitude) was reviewed.
SAID = {
    Language.EN: ("automatic, not yet reviewed", "USGS event reviewed"),
    Language.JA: ("自動推定（未確認）", "USGS震源情報 確認済み"),
}


def tibet_activation(real_captures: Path) -> Activation:
    (tibet,) = read_document((real_captures / TIBET).read_bytes()).events
    in_nepal = tibet.model_copy(update={"countries": ["NPL"], "places": []})
    (outcome,) = replay([in_nepal], shipped())
    assert outcome.activation is not None
    return outcome.activation


@pytest.mark.parametrize("language", [Language.EN, Language.JA])
def test_the_alert_and_the_page_say_pager_was_automatic(
    real_captures: Path, language: Language
) -> None:
    activation = tibet_activation(real_captures)
    renderer = Renderer()
    alert = renderer.member_alert(language, activation, SECRETARIAT)
    target = PageTarget(officer_id="aoki", name="Aoki", language=language.value, email="a@x.org")
    page = renderer.page(language, page_of(activation, target, reasons=activation.reasons))
    for rendered in (alert, page):
        for said in SAID[language]:
            assert said in rendered.text and said in rendered.html
