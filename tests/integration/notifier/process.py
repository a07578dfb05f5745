"""`standby notifier` as a child process on the embedded broker, restartable on one database."""

from __future__ import annotations

from pathlib import Path

from tests.integration.service_process import ServiceProcess


class NotifierProcess(ServiceProcess):
    """One `standby notifier` process (SQLite under `var_dir`, or `database_url`)."""

    def __init__(
        self,
        var_dir: Path,
        bootstrap: str,
        members_file: Path,
        smtp_port: int,
        *,
        database_url: str | None = None,
        name: str = "notifier",
    ) -> None:
        super().__init__(
            "notifier",
            var_dir,
            bootstrap,
            {
                "STANDBY_MEMBERS_FILE": str(members_file),
                "STANDBY_NOTIFIER__SMTP__PORT": str(smtp_port),
            },
            database_url=database_url,
            name=name,
        )
