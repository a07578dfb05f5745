"""The one settings object refuses what it does not know."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.common.errors import ConfigError
from services.common.keys import key_problems, key_ring
from services.common.settings import Settings


def test_nested_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDBY_NOTIFIER__SMTP__PORT", "2525")
    monkeypatch.setenv("STANDBY_KAFKA__ENABLE_IDEMPOTENCE", "true")
    settings = Settings()
    assert settings.notifier.smtp.port == 2525
    assert settings.kafka.enable_idempotence is True


def test_a_misspelt_top_level_variable_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDBY_DATABSE_URL", "postgresql+asyncpg://x/y")
    with pytest.raises(ValidationError, match="STANDBY_DATABSE_URL"):
        Settings()


def test_a_misspelt_nested_variable_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDBY_NOTIFIER__SMTP__PASWORD", "x")
    with pytest.raises(ValidationError, match="paswor"):
        Settings()


def test_production_refuses_the_development_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDBY_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="STANDBY_KEYS__ACKNOWLEDGE is not set"):
        key_ring(Settings(), "acknowledge")
    monkeypatch.setenv("STANDBY_DUTY__SIGNING_KEY", "a-real-secret-from-the-vault-0123456789")
    assert any("STANDBY_DUTY__SIGNING_KEY" in p for p in key_problems(Settings(), "ingester"))
    monkeypatch.delenv("STANDBY_DUTY__SIGNING_KEY")
    assert key_problems(Settings(), "ingester") == []


def test_the_smtp_password_does_not_show_in_the_settings_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STANDBY_NOTIFIER__SMTP__PASSWORD", "hunter2-very-secret")
    assert "hunter2-very-secret" not in repr(Settings())


def test_each_service_gets_its_own_sqlite_file_by_default(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url_for("triage") == f"sqlite+aiosqlite:///{tmp_path}/triage.db"
    assert settings.database_url_for("duty") != settings.database_url_for("triage")


def test_a_database_url_is_shared_and_split_by_schema() -> None:
    url = "postgresql+asyncpg://standby@db/standby"
    settings = Settings(database_url=url)
    assert settings.database_url_for("triage") == url
