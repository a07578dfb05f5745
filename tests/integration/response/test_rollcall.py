"""The roll-call end to end inside the response service: links, answers, board, reminder, decisions."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

from schemas.acks import AckVia
from schemas.topics import ANSWERS, COORDINATION, ROLLCALL
from services.response import store
from tests.integration.response.rig import Rig, activation, launch_form, survey_form

SERVICE = "response"
ORGS = ["hope-bridge", "asia-medical", "tohoku-relief", "nihon-logistics"]


async def test_a_link_shows_a_form_on_get_and_records_only_on_post(rig: Rig) -> None:
    act = await rig.open(ORGS)
    url = rig.link(act, "hope-bridge", "tanaka")
    async with rig.client() as client:
        page = await client.get(url + "?answer=can_deploy")
        assert page.status_code == 200
        assert 'value="can_deploy"' in page.text and "checked" in page.text
        assert await rig.published(ANSWERS) == []
        posted = await client.post(
            url,
            data={
                "answer": "can_deploy",
                "earliest_arrival_hours": "36",
                "staff": "6",
                "sectors": ["shelter", "wash"],
                "survey_budget_jpy": "4500000",
                "note": "Manila team ready",
            },
        )
    assert posted.status_code == 200, posted.text
    assert "派遣可能" in posted.text  # tanaka reads Japanese
    async with rig.client() as client:
        # A link from a mail in English (tanaka chose English mail) opens the page in English.
        english = await client.get(url + "?answer=can_deploy&lang=en")
    assert english.status_code == 200 and '<html lang="en"' in english.text
    [message] = await rig.published(ANSWERS)
    assert message["organisation_id"] == "hope-bridge"
    assert message["contact_id"] == "tanaka"
    assert message["answer"] == "can_deploy"
    assert message["sectors"] == ["shelter", "wash"]
    assert message["survey_budget_jpy"] == 4_500_000


async def test_an_answer_before_the_roll_call_opens_is_held_then_attached(
    rig: Rig,
) -> None:
    early = activation()  # the mail went out; this service has not read the activation yet
    url = rig.link(early, "hope-bridge", "tanaka")
    async with rig.client() as client:
        page = await client.get(url + "?answer=can_deploy")
        posted = await client.post(url, data={"answer": "can_deploy", "staff": "4"})
        assert (page.status_code, posted.status_code) == (200, 200)
        assert "準備しています" not in posted.text and "ありがとう" in posted.text
        [held] = await rig.published(ANSWERS)  # kept and published at once
        assert await rig.published(ROLLCALL) == []
        rig.now += timedelta(seconds=3)
        await rig.open(ORGS, early)
        doc = (
            await client.get(
                f"/rollcall/{early.incident_id}/export.json", headers=rig.officer_headers()
            )
        ).json()
    assert held["organisation_id"] == "hope-bridge" and held["staff"] == 4
    steps = [(s["action"], s.get("organisation_id")) for s in await rig.published(ROLLCALL)]
    assert steps == [("rollcall_opened", None), ("answer_recorded", "hope-bridge")]
    answered = {r["organisation_id"]: r["answer"] for r in doc["organisations"]}
    assert answered["hope-bridge"] == "can_deploy"
    async with rig.db.sessions() as session:
        row = await store.rollcall(session, str(early.incident_id))
    assert row is not None and row.first_answer_at == rig.now - timedelta(seconds=3)


async def test_the_latest_answer_counts_and_every_answer_is_kept(rig: Rig) -> None:
    act = await rig.open(ORGS)
    async with rig.client() as client:
        url = rig.link(act, "asia-medical", "sato")
        await client.post(url, data={"answer": "not_this_time"})
        rig.now += timedelta(minutes=5)
        await client.post(
            rig.link(act, "asia-medical", "lee"), data={"answer": "can_deploy", "staff": "12"}
        )
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "on_site"})
        board = (
            await client.get(
                f"/rollcall/{act.incident_id}/export.json", headers=rig.officer_headers()
            )
        ).json()
        # Each organisation's own page shows its own latest answer, not another's.
        own_page = (await client.get(url)).text
        silent_page = (await client.get(rig.link(act, "tohoku-relief", "abe"))).text
    assert 'data-testid="current-answer"' not in silent_page
    current = own_page.split('data-testid="current-answer"')[1].split("</p>")[0]
    assert "派遣可能" in current  # sato reads Japanese: "can deploy", the later answer
    row = next(o for o in board["organisations"] if o["organisation_id"] == "asia-medical")
    assert (row["answer"], row["staff"], row["answers"]) == ("can_deploy", 12, 2)
    assert board["totals"]["staff"] == 12
    assert len(await rig.published(ANSWERS)) == 3
    assert set(board["not_answered"]) == {"tohoku-relief", "nihon-logistics"}


async def test_one_reminder_goes_to_the_silent_after_the_configured_time(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    async with rig.client() as client:
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
    rig.now += timedelta(minutes=59)
    assert await rig.handlers.send_due_reminders() == 0
    rig.now += timedelta(minutes=2)
    assert await rig.handlers.send_due_reminders() == 1
    rig.now += timedelta(hours=5)
    assert await rig.handlers.send_due_reminders() == 0
    [reminder] = await rig.published(COORDINATION)
    assert reminder["kind"] == "reminder"
    assert reminder["organisations"] == ["asia-medical", "tohoku-relief", "nihon-logistics"]


async def test_no_reminder_after_stand_down_and_no_answer_either(rig: Rig) -> None:
    act = await rig.open(ORGS)
    await rig.stand_down(act)
    rig.now += timedelta(hours=2)
    assert await rig.handlers.send_due_reminders() == 0
    async with rig.client() as client:
        refused = await client.post(
            rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"}
        )
    assert refused.status_code == 409
    assert await rig.published(ANSWERS) == []


async def test_officer_pages_need_the_consoles_signed_identity(rig: Rig) -> None:
    act = await rig.open(ORGS)
    async with rig.client() as client:
        anonymous = await client.get(f"/rollcall/{act.incident_id}")
        forged = await client.get(
            f"/rollcall/{act.incident_id}", headers={"x-standby-officer": "0" * 64 + '.{"o":"x"}'}
        )
        board = await client.get(f"/rollcall/{act.incident_id}", headers=rig.officer_headers())
        no_csrf = await client.post(
            f"/rollcall/{act.incident_id}/phone",
            data={"organisation_id": "tohoku-relief", "answer": "on_site"},
            headers=rig.officer_headers(),
        )
    assert anonymous.status_code == forged.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    assert board.status_code == 200 and "Hope Bridge Japan" in board.text
    assert no_csrf.status_code == 403
    assert await rig.published(ANSWERS) == []


async def test_survey_then_launch_then_close_tell_each_what_concerns_it(rig: Rig) -> None:
    act = await rig.open(ORGS)
    officer = rig.officer_headers()
    base = f"/rollcall/{act.incident_id}"
    async with rig.client() as client:
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        phone = await client.post(
            f"{base}/phone",
            data={"csrf": "csrf-token", "organisation_id": "tohoku-relief", "answer": "on_site"},
            headers=officer,
        )
        assert phone.status_code == 303
        refused = await client.post(
            f"{base}/survey",
            data={"csrf": "csrf-token", "organisations": ["asia-medical"], "confirm": "yes"},
            headers=officer,
        )
        assert refused.status_code == 422  # asia-medical never said it can deploy
        assert "Asia Medical Relief Network has not answered that it can deploy" in refused.text
        in_japanese = await client.post(
            f"{base}/survey",
            data=survey_form("hope-bridge") | {"budget_hope-bridge": "999999999"},
            headers=rig.officer_headers(language="ja"),
        )
        assert in_japanese.status_code == 422 and '<html lang="ja"' in in_japanese.text
        # Named in the reader's language, the amount as the cap says it.
        assert "特定非営利活動法人ホープブリッジの予算は1円以上" in in_japanese.text
        assert "hope-bridge" not in visible_text(in_japanese.text)
        review = await client.post(
            f"{base}/survey",
            data=survey_form("hope-bridge", confirm=False),
            headers=officer,
        )
        assert review.status_code == 200 and "cannot be undone" in review.text
        assert await rig.published(COORDINATION) == []
        rig.now += timedelta(hours=3)
        decided = await client.post(
            f"{base}/survey",
            data=survey_form("hope-bridge"),
            headers=officer,
        )
        assert decided.status_code == 303
        board = await client.get(base, headers=officer)
        assert 'value="Emergency Response to the 2026 Philippines Earthquake"' in board.text
        assert "フィリピン地震被災者支援2026" in board.text
        launched = await client.post(
            f"{base}/launch",
            data=launch_form(["hope-bridge", "tohoku-relief"], private_jpy=50_000_000),
            headers=officer,
        )
        assert launched.status_code == 303
        exported = await client.get(f"{base}/export.csv", headers=officer)
        # Not listed, still welcome: an answer after the launch is taken.
        joining = await client.post(
            rig.link(act, "asia-medical", "sato"), data={"answer": "can_deploy"}
        )
        twice = await client.post(
            f"{base}/launch", data=launch_form(["hope-bridge"]), headers=officer
        )
        assert twice.status_code == 422
        assert "the response is at “Programme launched”" in twice.text  # in the reader's words
        closed = await client.post(
            f"{base}/close", data={"csrf": "csrf-token", "confirm": "yes"}, headers=officer
        )
        assert closed.status_code == 303
        late = await client.post(
            rig.link(act, "asia-medical", "sato"), data={"answer": "not_this_time"}
        )
    assert joining.status_code == 200 and late.status_code == 409
    kinds = [(n["kind"], n["organisations"]) for n in await rig.published(COORDINATION)]
    assert kinds == [
        ("survey_decision", ["hope-bridge"]),
        ("survey_notice", ["asia-medical", "tohoku-relief", "nihon-logistics"]),
        ("programme_launch", ["hope-bridge", "tohoku-relief"]),
        ("programme_not_listed", ["asia-medical", "nihon-logistics"]),
        ("programme_closed", ["hope-bridge", "tohoku-relief", "mofa-observer"]),
    ]
    assert exported.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    text = exported.content.decode("utf-8-sig")
    rows = {r["organisation_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["hope-bridge"]["survey_budget_cap_jpy"] == "5000000"
    assert rows["tohoku-relief"]["programme_participant"] == "yes"
    assert rows["tohoku-relief"]["via"] == "phone"
    assert rows["asia-medical"]["answer"] == ""


async def test_every_audited_step_is_published_for_the_timelines_and_only_those(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    stood = await rig.open(ORGS)
    await rig.stand_down(stood, via=AckVia.LINK)
    officer = rig.officer_headers()
    base = f"/rollcall/{act.incident_id}"
    async with rig.client() as client:
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        await client.post(
            f"{base}/phone",
            data={"csrf": "csrf-token", "organisation_id": "tohoku-relief", "answer": "on_site"},
            headers=officer,
        )
        rig.now += timedelta(minutes=61)
        await rig.handlers.send_due_reminders()
        await client.post(
            f"{base}/survey",
            data=survey_form("hope-bridge"),
            headers=officer,
        )
        refused = await client.post(  # a refused decision is neither audited nor published
            f"{base}/survey",
            data={"csrf": "csrf-token", "organisations": ["asia-medical"], "confirm": "yes"},
            headers=officer,
        )
        assert refused.status_code in (409, 422)
        await client.post(
            f"{base}/launch",
            data=launch_form(["hope-bridge", "tohoku-relief"]),
            headers=officer,
        )
    steps = await rig.published(ROLLCALL)
    async with rig.db.transaction() as session:
        trail = [
            (row.incident_id, row.action, row.via, row.officer_id, row.at)
            for incident in (act.incident_id, stood.incident_id)
            for row in await store.audit_trail(session, str(incident))
        ]
    assert sorted(
        (s["incident_id"], s["action"], s["via"], s["officer_id"], s["occurred_at"]) for s in steps
    ) == sorted((i, a, v, o, at.isoformat().replace("+00:00", "Z")) for i, a, v, o, at in trail)
    of_act = [
        (s["action"], s["organisation_id"], s["answer"], s["organisations"])
        for s in steps
        if s["incident_id"] == str(act.incident_id)
    ]
    assert of_act == [
        ("rollcall_opened", None, None, []),
        ("answer_recorded", "hope-bridge", "can_deploy", []),
        ("phone_answer_recorded", "tohoku-relief", "on_site", []),
        ("reminder_sent", None, None, ["asia-medical", "nihon-logistics"]),
        ("survey_decided", None, None, ["hope-bridge"]),
        ("programme_launched", None, None, ["hope-bridge", "tohoku-relief"]),
    ]
    [launch] = [s for s in steps if s["action"] == "programme_launched"]
    assert launch["programme"]["name_ja"] == "フィリピン地震被災者支援2026"
    assert [s["action"] for s in steps if s["incident_id"] == str(stood.incident_id)] == [
        "rollcall_opened",
        "rollcall_closed_stood_down",
    ]


async def test_the_answer_link_of_a_contact_removed_from_the_directory_is_refused(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    async with rig.client() as client:
        removed = await client.post(
            rig.link(act, "hope-bridge", "left-in-june"), data={"answer": "can_deploy"}
        )
        # The refused page is in the reader's language: the link's, else the browser's.
        browser_ja = await client.get(
            rig.link(act, "hope-bridge", "left-in-june"),
            headers={"accept-language": "fr-FR, ja;q=0.8, en;q=0.5"},
        )
        link_ja = await client.get(
            rig.link(act, "hope-bridge", "left-in-june") + "?lang=ja",
            headers={"accept-language": "en"},
        )
        kept = await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "on_site"})
    assert removed.status_code == 403
    assert "no longer in the member directory" in removed.text
    for japanese in (browser_ja, link_ja):
        assert japanese.status_code == 403 and '<html lang="ja"' in japanese.text
        assert "会員名簿から削除されています" in japanese.text
    assert kept.status_code == 200  # the answer taken, shown back
    assert [a["organisation_id"] for a in await rig.published(ANSWERS)] == ["hope-bridge"]


async def test_at_launch_the_declining_and_the_observer_are_never_told_to_deploy(
    rig: Rig,
) -> None:
    addressed = ["hope-bridge", "asia-medical", "nihon-logistics", "mofa-observer", "tohoku-relief"]
    act = await rig.open(addressed)
    officer = rig.officer_headers()
    base = f"/rollcall/{act.incident_id}"
    async with rig.client() as client:
        observer = await client.get(rig.link(act, "mofa-observer", "duty-desk"))
        assert observer.status_code == 200 and 'name="answer"' not in observer.text
        asked = await client.post(
            rig.link(act, "mofa-observer", "duty-desk"), data={"answer": "can_deploy"}
        )
        assert asked.status_code == 422  # an observer is asked nothing
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        await client.post(rig.link(act, "asia-medical", "sato"), data={"answer": "not_this_time"})
        company = await client.get(rig.link(act, "nihon-logistics", "ito"))
        assert 'value="offer_support"' in company.text and 'value="can_deploy"' not in company.text
        await client.post(rig.link(act, "nihon-logistics", "ito"), data={"answer": "offer_support"})
        officer_ja = rig.officer_headers(language="ja")
        for refused, said in (
            (["mofa-observer"], "オブザーバーは参加団体になれません：外務省 国際協力局"),
            (
                ["asia-medical"],
                "「今回は対応不可」と回答した団体です：一般社団法人アジア医療支援ネットワーク",
            ),
            (["nobody-we-know"], "会員名簿にない団体です：nobody-we-know"),
        ):
            answer = await client.post(f"{base}/launch", data=launch_form(refused), headers=officer)
            assert answer.status_code == 422, refused
            japanese = await client.post(
                f"{base}/launch", data=launch_form(refused), headers=officer_ja
            )
            assert japanese.status_code == 422 and said in japanese.text, japanese.text
        form = launch_form(["hope-bridge"]) | {"budget_hope-bridge": "120000000"}
        launched = await client.post(f"{base}/launch", data=form, headers=officer)
        assert launched.status_code == 303
    told = {n["kind"]: n for n in await rig.published(COORDINATION)}
    assert told["programme_launch"]["organisations"] == ["hope-bridge"]
    assert told["programme_launch"]["programme"]["budgets_jpy"] == {"hope-bridge": 120_000_000}
    assert told["programme_not_listed"]["organisations"] == ["nihon-logistics", "tohoku-relief"]
    assert told["programme_notice"]["organisations"] == ["mofa-observer"]
    everyone_told = [o for n in told.values() for o in n["organisations"]]
    assert "asia-medical" not in everyone_told


def visible_text(page: str) -> str:
    """What a reader sees of a page: its text, without tags, attributes, styles or scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


async def test_the_board_speaks_the_readers_language_and_folds_repeated_answers(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    base = f"/rollcall/{act.incident_id}"
    async with rig.client() as client:
        for said in ("can_deploy", "not_this_time", "can_deploy"):
            data = {"answer": said, "sectors": ["early_recovery", "wash"]}
            await client.post(rig.link(act, "hope-bridge", "tanaka"), data=data)
        empty = await client.post(
            f"{base}/survey", data=survey_form(confirm=False), headers=rig.officer_headers()
        )
        pages = {
            lang: (await client.get(base, headers=rig.officer_headers(language=lang))).text
            for lang in ("ja", "en")
        }
        form = (await client.get(rig.link(act, "hope-bridge", "tanaka"))).text
    assert empty.status_code == 422 and "Choose one to three" in empty.text  # before Confirm
    for lang, page in pages.items():
        seen = visible_text(page)
        assert SNAKE.findall(seen) == [], lang
        assert "hope-bridge" not in seen  # organisations by name
    en = visible_text(pages["en"])
    assert "Hope Bridge" in en and "3 answers, the latest shown" in en
    assert "answer through the member's link: Hope Bridge Japan" in " ".join(en.split())
    assert "回答3回" in visible_text(pages["ja"])
    assert f'href="/activations/{act.activation_id}"' in pages["en"]  # back to the activation
    assert 'action="/logout"' in pages["en"] and "/lang/ja?next=" in pages["en"]
    assert SNAKE.findall(visible_text(form)) == [] and "早期復興" in form
