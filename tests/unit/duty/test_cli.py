"""The duty's operator commands."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from typer.testing import CliRunner

from services.cli import app
from tests.files import written

REPO = Path(__file__).resolve().parents[3]


def test_duty_on_call_prints_who_is_paged_at_each_step() -> None:
    result = CliRunner().invoke(
        app,
        [
            "duty-on-call",
            "--rota-file",
            str(REPO / "deploy" / "rota.example.yaml"),
            "--at",
            "2026-11-24T10:00:00+09:00",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "at 2026-11-24 10:00 JST (Asia/Tokyo)"
    assert "on_duty" in lines[1] and "<aoki>" in lines[1]
    assert "leadership" in lines[4] and "<ito>" in lines[4]


def test_duty_on_call_names_the_line_of_a_broken_rota(tmp_path: Path) -> None:
    rota = tmp_path / "rota.yaml"
    rota.write_text("officers:\n  - {id: a, name: A}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["duty-on-call", "--rota-file", str(rota)])
    assert result.exit_code == 2
    assert f"{rota}:2:" in result.output


def test_duty_hash_password_prints_an_argon2_hash_that_verifies() -> None:
    result = CliRunner().invoke(app, ["duty-hash-password", "--password", "s3cret-enough"])
    assert result.exit_code == 0, result.output
    hashed = result.output.strip().splitlines()[-1]
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, "s3cret-enough")


def test_duty_set_password_writes_an_argon2_hash_into_the_rota(tmp_path: Path) -> None:
    rota = tmp_path / "rota.yaml"
    text = (REPO / "deploy" / "rota.example.yaml").read_text(encoding="utf-8")
    rota.write_text(text, encoding="utf-8")
    password = "correct horse battery"
    result = CliRunner().invoke(
        app,
        ["duty-set-password", "ito", "--rota-file", str(rota)],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 0, result.output
    assert password not in result.output
    from services.duty.rota import load_rota

    officers = {o.id: o for o in load_rota(rota).officers}
    stored = officers["ito"].password_hash
    assert stored is not None
    assert PasswordHasher().verify(stored.get_secret_value(), password)
    # The others and every comment are as they were.
    assert (
        officers["aoki"].password_hash
        == load_rota(REPO / "deploy/rota.example.yaml").officer("aoki").password_hash
    )  # type: ignore[union-attr]
    assert rota.read_text().count("#") == text.count("#")


def test_duty_set_password_adds_a_hash_to_an_officer_without_one(tmp_path: Path) -> None:
    rota = written(
        tmp_path / "rota.yaml",
        "officers:\n  - id: kato   # new\n    name: Kato\n    email: k@platform.jp\n"
        "leadership: [kato]\n",
    )
    result = CliRunner().invoke(
        app,
        ["duty-set-password", "kato", "--rota-file", str(rota)],
        input="a long new password\na long new password\n",
    )
    assert result.exit_code == 0, result.output
    from services.duty.rota import load_rota

    stored = load_rota(rota).officers[0].password_hash
    assert stored is not None
    assert PasswordHasher().verify(stored.get_secret_value(), "a long new password")


def test_duty_set_password_refuses_the_demo_password_and_unknown_officers(tmp_path: Path) -> None:
    rota = tmp_path / "rota.yaml"
    rota.write_text((REPO / "deploy" / "rota.example.yaml").read_text(), encoding="utf-8")
    before = rota.read_text()
    short = CliRunner().invoke(
        app, ["duty-set-password", "ito", "--rota-file", str(rota)], input="standby-demo\n" * 2
    )
    assert short.exit_code == 2 and "published with standby" in short.output
    unknown = CliRunner().invoke(
        app,
        ["duty-set-password", "nobody", "--rota-file", str(rota)],
        input="a long new password\n" * 2,
    )
    assert unknown.exit_code == 2 and "no officer with id 'nobody'" in unknown.output
    assert rota.read_text() == before
