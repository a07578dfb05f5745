"""The duty's operator commands."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from typer.testing import CliRunner

from services.cli import app

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
