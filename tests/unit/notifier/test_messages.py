"""Rendering and MIME: bilingual content, escaped HTML, headers every common client decodes."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import pytest

from schemas.activations import Activation, Level, Reason
from schemas.hazards import Link
from schemas.members import Language, Secretariat
from schemas.pages import Page, PageTarget
from services.common.errors import DeliveryError
from services.notifier.mime import (
    BodyFrame,
    address,
    build_body,
    encode_part,
    headers,
    message_id_for,
    seven_bit,
    text_ctes,
)
from services.notifier.rendering import Renderer
from tests.messages import activation_of, page_of, quake_summary

SECRETARIAT = Secretariat(name_ja="事務局", name_en="Secretariat", email="desk@example.jp")


def _activation(title: str = "Red earthquake alert in Philippines", **kw: object) -> Activation:
    struck = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    return activation_of(
        quake_summary(
            title,
            "PHL",
            struck,
            country_names=["Philippines"],
            population_exposed=2_100_000,
            links=[Link(rel="report", url="https://www.gdacs.org/report.aspx?a=1&b=2")],
        ),
        kw.get("level", Level.ACTIVATE),  # type: ignore[arg-type]
        previous_level=kw.get("previous", Level.NONE),
        score=91,
        reasons=[Reason(rule="gdacs", sentence="GDACS alert level Red")],
    )


def _second_page(activation: Activation, name: str, language: str, **fields: Any) -> Page:
    """Officer aoki's page at step 1, with its acknowledgement and console links."""
    return page_of(
        activation,
        PageTarget(officer_id="aoki", name=name, language=language, email="a@duty.example.org"),
        step=1,
        ack_url="https://duty.example.org/ack/abc?sig=1",
        console_url="https://duty.example.org/activations/1",
        **fields,
    )


def _mail(rendered_language: Language, activation: Activation, to_name: str) -> EmailMessage:
    rendered = Renderer().member_alert(rendered_language, activation, SECRETARIAT)
    body = build_body(rendered, Address("standby 事務局", addr_spec="standby@example.jp"))
    head = headers(
        recipient=address(to_name, "member@example.jp"),
        message_id="<x@standby.local>",
        thread_root=None,
        kind="member_alert",
    )
    raw = head + body.content
    assert raw.isascii(), "an 8-bit byte would need SMTPUTF8/8BITMIME from every relay"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_japanese_alert_decodes_to_the_same_subject_names_and_body() -> None:
    activation = _activation()
    mail = _mail(Language.JA, activation, "山田 太郎 (ジャパン・プラットフォーム)")
    assert str(mail["Subject"]) == (
        "[standby] 発動 | 地震 | PHL | 2026-11-23 | Red earthquake alert in Philippines"
    )
    # RFC 2047 drops the folding space between adjacent encoded-words, as mail clients do;
    # the stdlib's structured address parser keeps it, so decode the raw header instead.
    raw_to = message_from_bytes(bytes(mail), policy=policy.compat32)["To"]
    assert str(make_header(decode_header(raw_to))) == (
        "山田 太郎 (ジャパン・プラットフォーム) <member@example.jp>"
    )
    assert mail["From"].addresses[0].display_name == "standby 事務局"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8" and text["Content-Transfer-Encoding"] == "base64"
    content = text.get_content()
    assert "初動対応を開始してください" in content
    assert "2026年11月24日 03:30 (JST)" in content  # 18:30 UTC is the next morning in Tokyo
    assert "2,100,000人" in content
    assert "場所：フィリピン (PHL)" in content
    assert "お問い合わせ：事務局" in content
    assert '<html lang="ja">' in html.get_content()


@pytest.mark.parametrize("language", list(Language))
def test_a_mail_says_its_language(language: Language) -> None:
    mail = _mail(language, _activation(), "Maria Reyes")
    assert mail["Content-Language"] == language.value


def test_the_encoded_subject_uses_utf8_encoded_words() -> None:
    rendered = Renderer().member_alert(Language.JA, _activation(), None)
    head = build_body(rendered, Address(addr_spec="a@example.org")).content.decode()
    subject = next(line for line in head.split("\r\n") if line.startswith("Subject:"))
    assert "=?utf-8?b?" in subject
    encoded = subject.split("=?utf-8?b?")[1].split("?=")[0]
    assert "発動" in base64.b64decode(encoded).decode()


def test_english_alert_has_a_sortable_subject_and_an_ascii_body() -> None:
    mail = _mail(Language.EN, _activation(previous=Level.STANDBY), "Maria Reyes (Hope Bridge)")
    assert str(mail["Subject"]).startswith("[standby] ACTIVATE | EQ | PHL | 2026-11-23 | ")
    text = mail.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "(upgraded from STANDBY)" in content
    assert "Please activate your initial response now" in content
    assert "GDACS alert level Red" in content


def test_html_escapes_what_the_feed_says() -> None:
    rendered = Renderer().member_alert(
        Language.EN, _activation(title="<script>alert(1)</script> quake"), None
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert 'href="https://www.gdacs.org/report.aspx?a=1&amp;b=2"' in rendered.html
    assert "<script>alert(1)</script> quake" in rendered.text


def test_a_page_carries_the_ack_and_console_links_in_the_officers_language() -> None:
    activation = _activation()
    page = _second_page(activation, "青木 葵", "ja")
    rendered = Renderer().page(Language.JA, page)
    assert rendered.subject.startswith("[standby] 呼び出し 発動 | 地震 | PHL | ")
    assert "確認リンク：https://duty.example.org/ack/abc?sig=1" in rendered.text
    assert "エスカレーション段階 1" in rendered.text
    assert "https://duty.example.org/ack/abc?sig=1" in rendered.chat


def test_message_ids_are_stable_per_delivery_key_and_differ_between_keys() -> None:
    one = message_id_for("alert:1:org/a:email", "standby.local")
    assert one == message_id_for("alert:1:org/a:email", "standby.local")
    assert one != message_id_for("alert:1:org/b:email", "standby.local")
    assert one.startswith("<") and one.endswith("@standby.local>")


def test_an_invalid_address_is_a_permanent_failure() -> None:
    with pytest.raises(DeliveryError) as err:
        address("x", "not an address@@example")
    assert err.value.permanent


def test_long_names_become_several_encoded_words_of_whole_characters() -> None:
    name = "特定非営利活動法人ホープブリッジ 緊急対応チーム 田中 美咲 🌏 (マニラ事務所)"
    header = f"To: {address(name, 'tanaka@example.jp')}\r\n"
    lines = header.split("\r\n")
    assert all(len(line) <= 78 for line in lines)
    words = [w for w in header.split() if w.startswith("=?utf-8?b?")]
    assert len(words) > 1
    for word in words:
        assert len(word) <= 75
        base64.b64decode(word[len("=?utf-8?b?") : -2]).decode("utf-8")  # whole characters
    assert str(make_header(decode_header(header[4:]))) == f"{name} <tanaka@example.jp>"


def test_reasons_are_given_in_the_readers_language() -> None:
    reason = Reason(
        rule="gdacs-red", sentence="GDACS alert level Red", sentence_ja="GDACSの警報レベルは赤"
    )
    activation = _activation().model_copy(update={"reasons": [reason]})
    ja = _mail(Language.JA, activation, "山田").get_body(("plain",))
    en = _mail(Language.EN, activation, "Kim").get_body(("plain",))
    assert ja is not None and en is not None
    assert "GDACSの警報レベルは赤" in ja.get_content()
    assert "GDACS alert level Red" not in ja.get_content()
    assert "GDACS alert level Red" in en.get_content()


def _decision_page(title: str) -> Page:
    activation = _activation(title)
    return page_of(
        activation,
        PageTarget(officer_id="aoki", name="Aoki Aoi", language="en"),
        ack_url="https://duty.example.org/a/TOKEN",
        score=91,
        reasons=[Reason(rule="gdacs", sentence="GDACS alert level Red", sentence_ja="GDACS 赤")],
        escalates_at=datetime(2026, 11, 23, 18, 40, tzinfo=UTC),
        next_names=["Sato Ken"],
        link_expires_at=datetime(2026, 11, 24, 18, 35, tzinfo=UTC),
    )


def test_a_page_says_why_who_is_next_and_until_when_its_link_works() -> None:
    page = _decision_page("Red earthquake alert in Philippines")
    english = Renderer().page(Language.EN, page)
    assert "Sato Ken will be paged at 2026-11-23 18:40 UTC (03:40 JST)" in english.text
    assert "until 2026-11-24 18:35 UTC" in english.text
    assert "Why (score 91/100)" in english.text and "GDACS alert level Red" in english.html
    japanese = Renderer().page(Language.JA, page)
    assert "2026年11月24日 03:40 (JST) に Sato Ken を呼び出します" in japanese.text
    assert "GDACS 赤" in japanese.text and "GDACS 赤" in japanese.chat
    assert "2026年11月25日 03:35 (JST) まで有効" in japanese.text


def test_a_feed_title_cannot_forge_lines_in_a_chat_message() -> None:
    forged = "Quake\r\nAcknowledge: https://evil.example/a/x\u2028\u202eok\x00\x1b[31m"
    for language in Language:
        chat = Renderer().page(language, _decision_page(forged)).chat
        lines = chat.splitlines()
        assert [line for line in lines if "evil.example" in line] == [lines[1]], (
            "the title stays on its own line"
        )
        assert not any(c in chat for c in "\r\u2028\u202e\x00\x1b")
        assert lines[1].startswith("Quake Acknowledge:")


_FILLINGS = [
    ("plain ascii\nsecond line\n", "<p>ascii</p>"),
    ("回答してください\r\nhttps://example.org/respond/abc?answer=can_deploy\n", "<p>派遣可能</p>"),
    ("x" * 995 + "\n", "<p>" + "y" * 2000 + "</p>"),  # over SMTP's line limit: base64
    ("界" * 400 + "\n", "<p>界</p>"),  # 400 characters, 1,200 octets: base64 even with 8bit
    ("", ""),
    ("\n\n\ttabs and a lone\rreturn\n", "<a href='a?b=1&amp;c=2'>Can deploy</a>\r\n"),
]


@pytest.mark.parametrize("eightbit", [False, True], ids=["7bit", "8bit"])
@pytest.mark.parametrize("language", [Language.EN, Language.JA])
@pytest.mark.parametrize(("text", "html"), _FILLINGS)
def test_a_filled_frame_is_the_body_the_stdlib_builds(
    language: Language, text: str, html: str, eightbit: bool
) -> None:
    shared = Renderer().member_alert(language, _activation(), SECRETARIAT)
    own = replace(shared, text=shared.text + text, html=shared.html + html)
    sender = Address("standby 事務局", addr_spec="standby@example.jp")
    frame = BodyFrame.build(own, sender, "desk@example.jp", text_ctes(own, eightbit=eightbit))
    filled = frame.fill_parts(encode_part(own.text, eightbit), encode_part(own.html, eightbit))
    whole = build_body(own, sender, "desk@example.jp", eightbit=eightbit)
    assert filled is not None
    # Byte for byte but for the boundary, which the stdlib draws at random for each body.
    found = re.search(rb'boundary="([^"]+)"', whole.content)
    assert found is not None
    assert filled.content == whole.content.replace(found.group(1), frame.boundary)
    assert filled.subject == whole.subject


@pytest.mark.parametrize("language", [Language.EN, Language.JA])
@pytest.mark.parametrize(("text", "html"), _FILLINGS)
def test_an_8bit_body_made_7bit_is_the_body_built_without_8bit(
    language: Language, text: str, html: str
) -> None:
    shared = Renderer().member_alert(language, _activation(), SECRETARIAT)
    own = replace(shared, text=shared.text + text, html=shared.html + html)
    sender = Address("standby 事務局", addr_spec="standby@example.jp")
    ctes = text_ctes(own, eightbit=True)
    # 8bit replaces base64 only where every line fits SMTP's limit; 7bit stays 7bit.
    assert text_ctes(own) == tuple("base64" if cte == "8bit" else cte for cte in ctes)
    if language is Language.JA and text in ("", "plain ascii\nsecond line\n"):
        assert ctes == ("8bit", "8bit")
    head = headers(
        recipient=address("山田 太郎", "member@example.jp"),
        message_id="<x@standby.local>",
        thread_root=None,
        kind="member_alert",
    )
    eight = head + build_body(own, sender, "desk@example.jp", eightbit=True).content
    seven = head + build_body(own, sender, "desk@example.jp").content
    assert eight.isascii() == ("8bit" not in ctes)
    found = [re.search(rb'boundary="([^"]+)"', m) for m in (eight, seven)]
    assert found[0] is not None and found[1] is not None
    assert seven_bit(eight) == seven.replace(found[1].group(1), found[0].group(1))
    assert seven_bit(seven) is seven


def test_a_line_over_smtps_limit_in_octets_stays_base64_with_8bit() -> None:
    shared = Renderer().member_alert(Language.JA, _activation(), None)
    own = replace(shared, text=shared.text + "界" * 400 + "\n")  # 400 characters, 1,200 octets
    assert text_ctes(own, eightbit=True) == ("base64", "8bit")


def test_a_frame_refuses_text_that_holds_its_boundary() -> None:
    shared = Renderer().member_alert(Language.EN, _activation(), None)
    sender = Address(addr_spec="standby@example.jp")
    frame = BodyFrame.build(shared, sender, None, text_ctes(shared))
    assert frame.ctes[0] == "7bit"
    html = encode_part(shared.html)
    assert frame.fill_parts(encode_part(f"--{frame.boundary.decode()}\n"), html) is None
    assert frame.fill_parts(encode_part("an ordinary text\n"), html) is not None


def test_alerts_and_pages_read_in_the_configured_zone_not_tokyo() -> None:
    """settings.duty.timezone, the zone the pages use, is the one the mail shows beside UTC."""
    activation = _activation()  # 2026-11-23 18:30 UTC
    berlin = Renderer(timezone="Europe/Berlin")
    english = berlin.member_alert(Language.EN, activation, SECRETARIAT)
    assert "2026-11-23 18:30 UTC / 2026-11-23 19:30 CET" in english.text
    japanese = berlin.member_alert(Language.JA, activation, SECRETARIAT)
    assert "2026年11月23日 19:30 (CET)" in japanese.text
    page = _second_page(
        activation, "Aoki", "en", escalates_at=datetime(2026, 11, 23, 18, 45, tzinfo=UTC)
    )
    paged = berlin.page(Language.EN, page)
    assert "2026-11-23 18:45 UTC (19:45 CET)" in paged.text
    for rendered in (english, japanese, paged):
        assert "JST" not in rendered.text + rendered.html + rendered.chat
    # The default is still the platform's own zone.
    assert "2026-11-24 03:30 JST" in Renderer().member_alert(Language.EN, activation, None).text
