"""`standby duty` as a child process on the embedded broker, with its own SQLite file and ports."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from schemas.base import Message
from services.runtime.processes import die_with_parent
from tests.conftest import free_port
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
SIGNING_KEY = "integration-test-signing-key-0123456789"


class DutyProcess:
    """One `standby duty` process; restartable on the same database."""

    def __init__(self, var_dir: Path, bootstrap: str, rota_file: Path) -> None:
        self.var_dir = var_dir
        self.console_port = free_port()
        self.url = f"http://127.0.0.1:{self.console_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STANDBY_")},
            "STANDBY_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
            "STANDBY_KAFKA__LAG_INTERVAL_S": "0",
            "STANDBY_VAR_DIR": str(var_dir),
            "STANDBY_DUTY__ROTA_FILE": str(rota_file),
            "STANDBY_DUTY__CONSOLE_PORT": str(self.console_port),
            "STANDBY_DUTY__PUBLIC_URL": self.url,
            "STANDBY_DUTY__METRICS_PORT": str(free_port()),
            "STANDBY_DUTY__ESCALATION_TICK_S": "0.2",
            "STANDBY_DUTY__SIGNING_KEY": SIGNING_KEY,
            "STANDBY_LOG_FORMAT": "json",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def db_path(self) -> Path:
        return self.var_dir / "duty.db"

    def start(self) -> float:
        """Start the process; return the wall-clock time it was started."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = (self.var_dir / f"duty-{self.starts}.log").open("wb")
        started = time.time()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services", "duty"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # a test run killed outright takes it along
        )
        return started

    def wait_ready(self, timeout: float = 60) -> None:
        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"duty exited with {self.proc.returncode}: {self.log()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, timeout=timeout, what="the duty console to answer")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log(self) -> str:
        return (self.var_dir / f"duty-{self.starts}.log").read_text(errors="replace")[-3000:]

    def logged_at(self, event: str) -> datetime | None:
        """When the current process first logged `event`, if it has."""
        path = self.var_dir / f"duty-{self.starts}.log"
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"event": "{event}"' in line:
                return datetime.fromisoformat(json.loads(line)["timestamp"])
        return None

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the service's own SQLite file (WAL lets us read while it writes)."""
        if not self.db_path.exists():
            return []
        with sqlite3.connect(self.db_path, timeout=5) as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError:
                return []  # tables not migrated yet

    def pages(self, activation_id: object) -> list[tuple[int, str, datetime]]:
        rows = self.query(
            "SELECT step, officer_id, at FROM duty_pages WHERE activation_id = ? ORDER BY at",
            str(activation_id),
        )
        return [(step, officer, _ts(at)) for step, officer, at in rows]


def _ts(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def publish(bootstrap: str, *messages: Message) -> None:
    """Publish messages as their producers would (JSON on their topic)."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for message in messages:
                await producer.send_and_wait(message.topic, message.model_dump_json().encode())
        finally:
            await producer.stop()

    # A thread of its own: callers may already run an event loop (Playwright's sync API does).
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, send()).result(timeout=60)
