"""`standby <service>` as a child process on the embedded broker, restartable on one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from services.runtime.processes import die_with_parent
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """One process of a service (SQLite under `var_dir`, or `database_url`); `env` adds settings."""

    def __init__(
        self,
        service: str,
        var_dir: Path,
        bootstrap: str,
        env: dict[str, str],
        *,
        database_url: str | None = None,
        name: str | None = None,
    ) -> None:
        self.service = service
        self.var_dir = var_dir
        self.name = name or service
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STANDBY_")},
            "STANDBY_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
            "STANDBY_KAFKA__LAG_INTERVAL_S": "0",
            "STANDBY_VAR_DIR": str(var_dir),
            f"STANDBY_{service.upper()}__METRICS_PORT": str(free_port()),
            "STANDBY_LOG_FORMAT": "json",
            **env,
        }
        if database_url:
            self.env["STANDBY_DATABASE_URL"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services", self.service],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # a test run killed outright takes it along
        )

    @property
    def log_path(self) -> Path:
        return self.var_dir / f"{self.name}-{self.starts}.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]
