"""The supervisor and the SMTP sink load only what they use (each is a process of `standby run`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.common.settings import SERVICES

HEAVY = ("faststream", "sqlalchemy", "fastapi", "starlette", "uvicorn", "jinja2", "alembic")

# What each process imports before it does anything: the supervisor's path through the
# `standby` command, and the sink's through `python -m services smtp-sink`.
ENTRY = {
    "supervisor": "import services.cli, services.runtime.supervisor",
    "smtp-sink": "import services.runtime.smtp_sink",
}


def loaded(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("process", list(ENTRY))
def test_the_process_does_not_load_the_services_frameworks(process: str) -> None:
    assert loaded(ENTRY[process]) & set(HEAVY) == set()


def test_the_sink_loads_neither_settings_nor_the_cli() -> None:
    modules = loaded(ENTRY["smtp-sink"])
    assert {"pydantic", "typer", "aiokafka"} & modules == set()
    assert "aiosmtpd" in modules


def test_the_sink_fast_path_starts_and_takes_mail(tmp_path: object) -> None:
    import smtplib
    import socket
    import time
    from pathlib import Path

    folder = Path(str(tmp_path)) / "mail"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services",
            "smtp-sink",
            "--port",
            str(port),
            "--folder",
            str(folder),
        ]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
                    smtp.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nbody")
                break
            except OSError:
                assert time.monotonic() < deadline and sink.poll() is None
                time.sleep(0.1)
        (mail,) = folder.glob("*.eml")
        assert b"Subject: hi" in mail.read_bytes()
    finally:
        sink.terminate()
        assert sink.wait(10) == 0


def test_a_spare_loads_the_frameworks_but_no_services_own_series() -> None:
    probe = (
        "import services.runtime.spare as spare, sys\n"
        "spare._preload()\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    modules = set(result.stdout.split())
    assert {"faststream", "sqlalchemy", "fastapi", "jinja2"} <= {m.split(".")[0] for m in modules}
    own = {f"services.{s}.{part}" for s in SERVICES for part in ("main", "metrics")}
    assert modules & own == set()


def test_the_ingester_reads_country_names_without_importing_pandas() -> None:
    # country_converter's package imports pandas; only its table is read (services/ingester/places.py).
    modules = loaded(
        "from services.ingester import places\n"
        "assert places.countries_in_name('Philippines') == ('PHL',)\n"
        "assert places._iso2_to_iso3()['JP'] == 'JPN'"
    )
    assert {"pandas", "country_converter"} & modules == set()
