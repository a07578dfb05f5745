"""STARTTLS and AUTH come from settings; a refused login is a permanent failure."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.common.db import Database
from tests.conftest import free_port
from tests.integration.notifier.harness import (
    activation,
    all_settled,
    contact,
    directory_yaml,
    rows,
    running_notifier,
    settings_for,
    until,
)
from tests.integration.notifier.smtp_servers import Behaviours

SERVICE = "notifier"


def _tls_context(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _authenticator(_: Any, __: Any, ___: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"standby", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize(("password", "delivered"), [("s3cret", True), ("wrong", False)])
async def test_mail_goes_over_starttls_with_the_configured_login(
    tmp_path: Path, database: Database, password: str, delivered: bool
) -> None:
    port = free_port()
    behaviours = Behaviours()
    controller = Controller(
        behaviours,
        hostname="127.0.0.1",
        port=port,
        tls_context=_tls_context(tmp_path),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()
    settings = settings_for(
        tmp_path,
        port,
        directory_yaml([contact("ok-tls", "en")]),
        smtp={
            "starttls": True,
            "validate_certs": False,
            "username": "standby",
            "password": password,
            "timeout_s": 2,
        },
    )
    try:
        async with running_notifier(settings, database) as notifier:
            await notifier.handlers.on_activation(activation())
            await until(lambda: all_settled(database, 1), what="delivery settled")
    finally:
        controller.stop()
    (row,) = (await rows(database)).values()
    assert behaviours.accepted["ok-tls@members.example.org"] == (1 if delivered else 0)
    assert row.status == ("sent" if delivered else "failed")
    if not delivered:
        assert row.attempts == 1 and "535" in (row.error or "")
        assert "wrong" not in (row.error or "")
