"""What `standby demo` says of the response is read back from what happened: the board's
export and the mails in the sink, never from what the demo meant to do."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from schemas.members import MemberDirectory
from services.common.config_files import load_yaml_model
from services.common.settings import DutySettings, Settings
from services.duty.console.auth import hash_password
from services.runtime.demo_programme import board_lines, demo_officer, run_programme, told

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
DIRECTORY = load_yaml_model(DEPLOY / "members.example.yaml", MemberDirectory)
INCIDENT = "8a2a7053-01ae-51f7-a9cc-0d987f3ef6e8"
TITLE = "Red earthquake alert in Philippines"


def row(org: str, kind: str, answer: str | None) -> dict[str, Any]:
    return {"organisation_id": org, "kind": kind, "answer": answer, "via": "link"}


EXPORT: dict[str, Any] = {
    "summary": {"title": TITLE},
    "status": "launched",
    "organisations": [
        row("hope-bridge", "ngo", "can_deploy"),
        row("asia-medical", "ngo", "not_this_time"),
        row("mofa-observer", "government", None),
        row("tohoku-relief", "ngo", None),
    ],
    "survey": [{"organisation_id": "hope-bridge", "budget_jpy": 5_000_000}],
    "programme": {"name_en": "Emergency Response", "participants": ["hope-bridge"]},
}


def mail(folder: Path, n: int, to: str, word: str, body: str = "") -> None:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = f"[standby] {word} | EQ | PHL | 2026-12-07 | {TITLE}"
    message.set_content(body or "text")
    (folder / f"{n:03d}.eml").write_bytes(bytes(message))


def test_the_board_lines_say_each_answer_in_words_the_observer_and_the_programme() -> None:
    assert board_lines(EXPORT)[1:] == [
        "    hope-bridge (ngo): Can deploy, by link",
        "    asia-medical (ngo): Not this time, by link",
        "    mofa-observer (government): observer, told and not asked",
        "    tohoku-relief (ngo): no answer",
        "    initial survey: hope-bridge, cap ¥5,000,000",
        "    programme 'Emergency Response' (launched), participants: hope-bridge",
    ]


def test_who_was_told_what_is_read_from_the_mails_about_the_incident(tmp_path: Path) -> None:
    link = f"http://console/respond/{INCIDENT}/hope-bridge/token?answer=can_deploy"
    mail(tmp_path, 1, "tanaka@hopebridge.example.jp", "発動", body=link)
    mail(tmp_path, 2, "d.lee@amrn.example.org", "ACTIVATE")
    mail(tmp_path, 3, "tanaka@hopebridge.example.jp", "派遣開始")
    mail(tmp_path, 4, "emergency-desk@mofa.example.jp", "支援プログラム立ち上げ")
    other = EmailMessage()  # another incident's alert: not about this one
    other["To"] = "d.lee@amrn.example.org"
    other["Subject"] = "[standby] STANDBY | TC | PHL | 2026-12-07 | A cyclone"
    other.set_content("text")
    (tmp_path / "005.eml").write_bytes(bytes(other))
    assert told(tmp_path, DIRECTORY, INCIDENT, EXPORT)[1:] == [
        "    asia-medical/lee: ACTIVATE",
        "    hope-bridge/tanaka: 発動, 派遣開始",
        "    mofa-observer/duty-desk: 支援プログラム立ち上げ",
        "  told to deploy: hope-bridge",
    ]


def with_rota(rota: Path) -> Settings:
    return Settings(_env_file=None, duty=DutySettings(rota_file=rota))  # type: ignore[call-arg]


def test_the_demo_acts_as_the_first_officer_of_the_example_rota() -> None:
    assert demo_officer(with_rota(DEPLOY / "rota.example.yaml")) == "aoki"


async def test_with_a_rota_of_ones_own_the_demo_leaves_the_response_to_its_officers(
    tmp_path: Path,
) -> None:
    rota = yaml.safe_load((DEPLOY / "rota.example.yaml").read_text(encoding="utf-8"))
    for officer in rota["officers"]:
        officer["password_hash"] = hash_password("a-password-of-their-own")
    own = tmp_path / "rota.yaml"
    own.write_text(yaml.safe_dump(rota, allow_unicode=True), encoding="utf-8")
    mails = tmp_path / "mail"
    mails.mkdir()
    link = f"http://console/respond/{INCIDENT}/hope-bridge/token?answer=can_deploy"
    mail(mails, 1, "tanaka@hopebridge.example.jp", "発動", body=link)
    # Nothing listens on port 9: a login tried there would end in a connection error.
    lines = await run_programme(
        mails, with_rota(own), "http://127.0.0.1:9", DEPLOY / "members.example.yaml"
    )
    assert lines == [
        "  - no officer of the rota logs in with the demo password: the response is theirs"
    ]
