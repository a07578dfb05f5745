"""What the response pages cannot read or will not take is said in the reader's language, at
the review already: never the parser's English, never after Confirm."""

from __future__ import annotations

from schemas.topics import ANSWERS, COORDINATION
from tests.integration.response.rig import Rig, launch_form, survey_form
from tests.integration.response.test_rollcall import visible_text

SERVICE = "response"
ORGS = ["hope-bridge", "asia-medical", "nihon-logistics", "mofa-observer"]


async def test_numbers_and_answers_that_cannot_be_read_are_said_in_the_readers_words(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    base = f"/rollcall/{act.incident_id}"
    tanaka = rig.link(act, "hope-bridge", "tanaka")  # reads Japanese
    async with rig.client() as client:
        typed = await client.post(tanaka, data={"answer": "can_deploy", "staff": "lots"})
        english = await client.post(
            f"{tanaka}?lang=en", data={"answer": "can_deploy", "staff": "-3"}
        )
        bogus = await client.post(tanaka, data={"answer": "maybe"})
        company = await client.post(
            rig.link(act, "nihon-logistics", "ito"), data={"answer": "can_deploy"}
        )
        phoned = {
            lang: await client.post(
                f"{base}/phone",
                data={
                    "csrf": "csrf-token",
                    "organisation_id": "asia-medical",
                    "answer": "can_deploy",
                    "earliest_arrival_hours": "soon",
                },
                headers=rig.officer_headers(language=lang),
            )
            for lang in ("en", "ja")
        }
        observer = await client.post(
            f"{base}/phone",
            data={"csrf": "csrf-token", "organisation_id": "mofa-observer", "answer": "on_site"},
            headers=rig.officer_headers(),
        )
    assert typed.status_code == 422
    assert "「派遣人数」には0から10,000までの整数を入力してください。" in typed.text
    assert english.status_code == 422
    assert "Staff: give a whole number from 0 to 10,000." in english.text
    assert bogus.status_code == 422 and "示された回答から一つ選んでください。" in bogus.text
    assert company.status_code == 422  # a company offers support; it is not asked to deploy
    assert phoned["en"].status_code == 422
    assert "Earliest arrival (hours from now): give a whole number from 0 to 1,440." in (
        phoned["en"].text
    )
    assert "「最短到着（今から何時間後）」には0から1,440までの整数を入力してください。" in (
        phoned["ja"].text
    )
    assert observer.status_code == 422
    assert "observes this response: no answer is recorded for it." in observer.text
    for page in (typed, english, bogus, company, *phoned.values(), observer):
        shown = visible_text(page.text)
        assert "invalid literal" not in shown and "out of range" not in shown
        assert "is not a valid" not in shown
    assert await rig.published(ANSWERS) == []


async def test_a_survey_or_launch_says_what_is_wrong_at_the_review_before_confirm(
    rig: Rig,
) -> None:
    act = await rig.open(ORGS)
    base = f"/rollcall/{act.incident_id}"
    officer, officer_ja = rig.officer_headers(), rig.officer_headers(language="ja")
    async with rig.client() as client:
        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        await client.post(rig.link(act, "asia-medical", "sato"), data={"answer": "not_this_time"})
        over_cap = survey_form("hope-bridge", confirm=False) | {"budget_hope-bridge": "9999999"}
        budget = await client.post(f"{base}/survey", data=over_cap, headers=officer)
        unwilling = await client.post(
            f"{base}/survey", data=survey_form("asia-medical", confirm=False), headers=officer_ja
        )
        typed = await client.post(
            f"{base}/survey",
            data=survey_form("hope-bridge", confirm=False) | {"budget_hope-bridge": "five"},
            headers=officer,
        )
        review = launch_form(["hope-bridge", "asia-medical"])
        del review["confirm"]
        declined = await client.post(f"{base}/launch", data=review, headers=officer)
        months = await client.post(
            f"{base}/launch",
            data=review | {"participants": ["hope-bridge"], "duration_months": "99"},
            headers=officer_ja,
        )
        fine = await client.post(
            f"{base}/survey", data=survey_form("hope-bridge", confirm=False), headers=officer
        )
    for page in (budget, unwilling, typed, declined, months):
        assert page.status_code == 422
        assert 'data-testid="confirm-' not in page.text  # no confirm page: said at the review
        assert "cannot be undone" not in page.text
    assert "must be between ¥1 and ¥5,000,000" in budget.text
    assert "一般社団法人アジア医療支援ネットワークは派遣可能と回答していません。" in unwilling.text
    assert "Budget cap (yen): give a whole number from 1 to 10,000,000,000." in typed.text
    assert "Answered “not this time”: Asia Medical Relief Network." in declined.text
    assert "「期間（か月）」には1から60までの整数を入力してください。" in months.text
    assert fine.status_code == 200 and 'data-testid="confirm-survey"' in fine.text
    assert await rig.published(COORDINATION) == []  # a review keeps nothing
