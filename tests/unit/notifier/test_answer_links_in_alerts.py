"""Each member alert carries its reader's own answer links and its organisation's own matches."""

from __future__ import annotations

import email
import html
import re
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from schemas.activations import Activation, Level
from schemas.deliveries import Channel
from schemas.members import Contact, Language, MemberDirectory, Organisation, OrganisationKind
from services.common.config_files import load_yaml_model
from services.domain.answer_links import AnswerLinkSigner
from services.notifier.personal import MARKER, Personal, Personaliser
from services.notifier.rendering import Renderer
from tests.messages import red_quake_activation
from tests.unit.notifier.composing import alert_jobs, contact_target

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "members.example.yaml"
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
CHAT = "json://127.0.0.1/chat"
SIGNER = AnswerLinkSigner(b"k" * 32, timedelta(days=7))


def _activation(level: Level) -> Activation:
    return red_quake_activation(NOW, level)


def _bodies(level: Level) -> dict[str, tuple[str, str]]:
    directory = load_yaml_model(EXAMPLE, MemberDirectory)
    renderer = Renderer()
    personaliser = Personaliser(renderer.env, SIGNER, "https://console.example", lambda: NOW)
    act = _activation(level)

    def personal(org: Organisation, contact: Contact) -> Personal | None:
        if level < Level.STANDBY:
            return None
        return personaliser.block(contact.language, org, contact, act.incident_id, act.summary)

    targets = [
        contact_target(directory, org_id, contact_id, personal, apprise_urls=[CHAT])
        for org_id, contact_id in (("hope-bridge", "reyes"), ("tohoku-relief", "abe"))
    ]
    rendered = {
        lang: renderer.member_alert(lang, act, directory.secretariat)
        for lang in {t.language for t in targets}
    }
    jobs = alert_jobs(act, targets, rendered)
    out: dict[str, tuple[str, str]] = {}
    for job in jobs:
        if job.channel is Channel.EMAIL:
            mail = email.message_from_bytes(job.headers + job.body, policy=policy.default)
            text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            out[job.contact_id] = (text, out.get(job.contact_id, ("", ""))[1])
        else:
            out[job.contact_id] = (out.get(job.contact_id, ("", ""))[0], job.body.decode())
    return out


def test_each_reader_gets_links_bound_to_its_own_organisation_and_contact() -> None:
    bodies = _bodies(Level.ACTIVATE)
    reyes_text, reyes_chat = bodies["reyes"]
    abe_text, _ = bodies["abe"]
    for answer in ("can_deploy", "on_site", "not_this_time"):
        assert f"?answer={answer}" in reyes_text
    link = next(w for w in reyes_text.split() if "/respond/" in w).split("?")[0]
    grant = SIGNER.read(link.rsplit("/", 1)[1])
    assert (grant.organisation_id, grant.contact_id) == ("hope-bridge", "reyes")
    assert "/respond/" in reyes_chat
    assert "/hope-bridge/" not in abe_text
    assert MARKER not in reyes_text + reyes_chat + abe_text


def test_each_reader_sees_only_its_own_matching_plans_and_nearest_stock() -> None:
    bodies = _bodies(Level.ACTIVATE)
    reyes_text, abe_text = bodies["reyes"][0], bodies["abe"][0]
    assert "South-east Asia shelter and WASH first response" in reyes_text
    # The stores in the Philippines, nearer the epicentre, come before the one in Japan.
    assert reyes_text.index("Manila warehouse") < reyes_text.index("Narita logistics centre")
    assert "地震・津波被災地 避難所運営" in abe_text
    assert "South-east Asia shelter" not in abe_text
    assert "避難所運営" not in reyes_text


def test_a_watch_alert_asks_nothing_and_carries_no_links() -> None:
    bodies = _bodies(Level.WATCH)
    assert all("/respond/" not in text and MARKER not in text for text, _ in bodies.values())


def test_contacts_of_one_organisation_share_its_block_but_for_their_own_link() -> None:
    directory = load_yaml_model(EXAMPLE, MemberDirectory)
    personaliser = Personaliser(
        Renderer().env, SIGNER, "https://console.example?x=1&y=2", lambda: NOW
    )
    act = _activation(Level.ACTIVATE)
    compared = observed = 0
    for org in directory.organisations:
        for contact in [*org.contacts, *org.contacts]:  # the second pass is served from the cache
            for language in Language:
                for reminder in (False, True):
                    link = SIGNER.url(
                        "https://console.example?x=1&y=2", act.incident_id, org.id, contact.id, NOW
                    )
                    match = personaliser.match(org, act.incident_id, act.summary)
                    whole = personaliser.render(language, org, match, link, reminder=reminder)
                    block = personaliser.block(
                        language, org, contact, act.incident_id, act.summary, reminder=reminder
                    )
                    if org.kind is OrganisationKind.GOVERNMENT:
                        # The observer is told, never asked: no link to answer with.
                        assert block == Personal(text="", html="", chat="")
                        observed += 1
                        continue
                    assert block == whole
                    compared += 1
    assert compared >= 8 and observed >= 2
    assert "&amp;y=2" in whole.html and "&y=2" in whole.text  # the link escaped for HTML alone


def test_every_link_of_a_japanese_mail_opens_its_page_in_japanese() -> None:
    directory = load_yaml_model(EXAMPLE, MemberDirectory)
    renderer = Renderer(preferences_url="https://prefs.example/m")
    personaliser = Personaliser(renderer.env, SIGNER, "https://console.example", lambda: NOW)
    act = _activation(Level.STANDBY)

    def personal(org: Organisation, contact: Contact) -> Personal:
        return personaliser.block(Language.JA, org, contact, act.incident_id, act.summary)

    target = contact_target(directory, "tohoku-relief", "abe", personal)
    rendered = {Language.JA: renderer.member_alert(Language.JA, act, directory.secretariat)}
    (job,) = [j for j in alert_jobs(act, [target], rendered) if j.channel is Channel.EMAIL]
    mail = email.message_from_bytes(job.headers + job.body, policy=policy.default)
    for form in ("plain", "html"):
        content = mail.get_body(preferencelist=(form,)).get_content()  # type: ignore[union-attr]
        ours = [
            html.unescape(link)
            for link in re.findall(r"https?://[^\s\"<>]+", content)
            if "prefs.example" in link or "console.example" in link
        ]
        # The footer's way to the preference page and each answer link.
        assert any("prefs.example/m?" in link for link in ours), form
        assert sum("/respond/" in link for link in ours) >= 3, form
        assert all(parse_qs(urlsplit(link).query).get("lang") == ["ja"] for link in ours), ours
