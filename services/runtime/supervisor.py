"""`standby run`: the embedded system on one machine, supervised.

Starts the Tansu broker (memory-only), creates the topics, starts the SMTP sink and the
services as child processes, restarts what dies, and stops everything on SIGINT/SIGTERM.
The embedded broker forgets everything when it restarts and its clients wedge, so a broker
restart re-creates the topics and has every service, running or still starting, replace its
clients in its own process for the new broker epoch; each service then re-publishes its
recent outbox from its own database.

The supervisor never gives up on a fault: only a signal or a configuration error ends it.
One loop reconciles what runs with what should run, so deaths that arrive together are one
event and a role never has two processes (decision 0702).
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

from pydantic import BaseModel, SecretStr

from schemas.topics import ALL_TOPICS
from services.common.kafka_admin import ensure_topics, wait_for_broker
from services.common.keys import environment_for
from services.common.logs import configure_logging, get_logger
from services.common.settings import AT_WORK_DIR, BROKER_FILE, SERVICES, Settings
from services.runtime import metrics
from services.runtime.embedded import RuntimeStartError, broker_argv, free_port
from services.runtime.health import HealthServer
from services.runtime.processes import (
    Adopted,
    Proc,
    adopt_orphans,
    python_child,
    reap_orphans,
    spawn,
    stop,
)
from services.tools.check_config import check_files

log = get_logger(__name__)

CONFIG_ERROR_EXIT = 2
# A process that ran this long before dying was not crash-looping: its next restart is immediate.
# (A Python service takes 1-10 s just to start on a busy 2-core machine.)
_HEALTHY_AFTER_S = 30.0
_RESTART_BACKOFF_FIRST_S = 0.25
_RESTART_BACKOFF_MAX_S = 30.0
# Consecutive quick deaths after which a process is reported as crash-looping.
_CRASH_LOOP_AFTER = 3
# How long a new broker may take to answer and take its topics before it is killed and retried.
_BROKER_ANSWER_S = 10.0
_SHUTDOWN_GRACE_S = 15.0
# A spare (a service process with its imports done, runtime/spare.py) is started this long after
# the system starts, after it died and, where it cannot fork roles, after each time it is taken:
# its imports would slow the starts it follows on two cores.
_SPARE_AFTER_S = 2.0


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def restart_delay(quick_deaths: int) -> float:
    """No wait after the first quick death, then doubling from 0.25 s up to 30 s."""
    if quick_deaths <= 1:
        return 0.0
    return float(min(_RESTART_BACKOFF_MAX_S, _RESTART_BACKOFF_FIRST_S * 2 ** (quick_deaths - 2)))


@dataclass
class Child:
    """A supervised role: how to start it and the one process that plays it, if any."""

    name: str
    argv: list[str]
    proc: Proc | None = None
    waiter: asyncio.Task[int] | None = field(default=None, repr=False)
    started_at: float = 0.0
    starts: int = 0
    # Deaths in a row that came sooner than _HEALTHY_AFTER_S after a start.
    quick_deaths: int = 0
    last_exit: int | None = None
    # When the next start is due (monotonic); None while running or never to start.
    due: float | None = 0.0
    # The broker epoch a service was started for; a service of an older epoch is stale.
    epoch: str = ""
    # Set when the supervisor itself stops the process: that exit is not a crash.
    stopped_on_purpose: bool = False
    # Whether the process got to work (the broker answered with its topics; a service joined
    # its groups): one that did and then died was not crash-looping, however soon it died.
    at_work: bool = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def crash_looping(self) -> bool:
        return self.quick_deaths >= _CRASH_LOOP_AFTER and (
            not self.running or time.monotonic() - self.started_at < _HEALTHY_AFTER_S
        )


class Supervisor:
    """Owns the broker, the sink and the services; restarts what dies, forever."""

    def __init__(self, settings: Settings, *, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.var_dir = settings.var_dir.resolve()
        self.log_dir = self.var_dir / "logs"
        self.mail_dir = self.var_dir / "mail"
        self.broker_port = free_port(9092)
        # Only the console is reached from outside; the pages it forwards to may move.
        self.response_web_port = free_port(settings.response.web_port)
        self.bootstrap = f"127.0.0.1:{self.broker_port}"
        self.epoch = ""
        self.extra_env = extra_env or {}
        self.stopping = asyncio.Event()
        # Set once the first broker answers and has its topics.
        self.ready = asyncio.Event()
        self.broker_ready = False
        self.fatal: str | None = None
        self._wake = asyncio.Event()
        self._bring_up: asyncio.Task[None] | None = None
        self.broker = Child("broker", broker_argv(self.broker_port))
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
        # One role per entry of SERVICES: a new service is supervised by being listed there.
        self.services = [Child(name, python_child(name)) for name in SERVICES]
        # Takes the role of the next service to die, its imports done (decision 0706); forks
        # each role it is given when this process can adopt them (decision 0736).
        self.spare = Child("spare", python_child("spare"), due=None)
        self._spare_process: asyncio.subprocess.Process | None = None
        self._spare_lock = asyncio.Lock()
        self.forks = False
        runtime = settings.runtime
        self.health_server = HealthServer(runtime.health_host, runtime.health_port, self.health)

    @property
    def children(self) -> list[Child]:
        return [self.broker, self.sink, *self.services, self.spare]

    @property
    def console_url(self) -> str:
        """Where officers reach the console: the configured public URL, else the local port."""
        if "STANDBY_DUTY__PUBLIC_URL" in {**os.environ, **self.extra_env}:
            return self.settings.duty.public_url
        return f"http://{self.settings.duty.console_host}:{self.settings.duty.console_port}"

    # --- environment --------------------------------------------------------------------
    def child_env(self, role: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        # Children see exactly the settings the supervisor was given, however it got them.
        env.update(settings_env(self.settings))
        env.update(self.extra_env)
        # ...but no secret of another: a service gets its own keys, other roles none.
        for name in list(env):
            if name.startswith("STANDBY_KEYS__") or name == "STANDBY_DUTY__SIGNING_KEY":
                del env[name]
        if role in SERVICES:
            env.update(environment_for(self.settings, role))
        env["STANDBY_KAFKA__BOOTSTRAP_SERVERS"] = self.bootstrap
        env["STANDBY_KAFKA__EPOCH"] = self.epoch
        # One process per role on topics of one partition: no group to join (decision 0734),
        # unless asked for.
        if "STANDBY_KAFKA__ASSIGN_PARTITIONS" not in {**os.environ, **self.extra_env}:
            env["STANDBY_KAFKA__ASSIGN_PARTITIONS"] = "true"
        env["STANDBY_VAR_DIR"] = str(self.var_dir)
        env["STANDBY_DUTY__PUBLIC_URL"] = self.console_url
        env["STANDBY_RESPONSE__WEB_PORT"] = str(self.response_web_port)
        env.setdefault("STANDBY_LOG_FORMAT", "json")
        return env

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Check what a restart cannot fix (configuration, ports), then open /health.

        The processes themselves are started by `supervise`.
        """
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
        for child in self.children:
            if child is not self.spare:
                # Zero for every role from the first scrape, so an increase is seen from the first.
                metrics.PROCESS_RESTARTS.labels(child.name)
        self.spare.due = time.monotonic() + _SPARE_AFTER_S
        self.forks = adopt_orphans()
        await self.health_server.start()

    async def supervise(self) -> None:
        """Reconcile what runs with what should run until asked to stop."""
        stop_task = asyncio.create_task(self.stopping.wait(), name="wait-stopping")
        try:
            while not self.stopping.is_set():
                await self._reconcile()
                if self.stopping.is_set():
                    break
                await self._wait_for_change(stop_task)
        finally:
            stop_task.cancel()

    async def _wait_for_change(self, stop_task: asyncio.Task[bool]) -> None:
        waiters = [c.waiter for c in self.children if c.waiter is not None]
        wake = asyncio.create_task(self._wake.wait(), name="wait-wake")
        dues = [c.due for c in self.children if c.due is not None and not c.running]
        timeout = max(0.0, min(dues) - time.monotonic()) if dues else None
        try:
            await asyncio.wait(
                [*waiters, stop_task, wake], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            wake.cancel()
        self._wake.clear()

    async def _reconcile(self) -> None:
        """One pass: note every death, then start, stop and restart in parallel."""
        for child in self.children:
            if child.waiter is not None and child.waiter.done():
                self._reap(child)
        if self.forks:
            # A service killed while its own child ran (a migration) leaves that child to us.
            reap_orphans({c.proc.pid for c in self.children if c.proc is not None})
        if self.fatal:
            self.stopping.set()
            return
        now = time.monotonic()
        if not self.broker.running and self.broker.due is not None and self.broker.due <= now:
            await self._start_broker()
        now = time.monotonic()
        due = [
            c
            for c in (self.sink, *self.services)
            if not c.running and c.due is not None and c.due <= now
        ]
        # Services wait for the broker themselves, so they start alongside it (their start-up
        # overlaps its) rather than after it answers.
        if not self.broker.running:
            due = [c for c in due if c is self.sink]
        # Services of an older broker are told to reconnect once the new one is ready.
        await asyncio.gather(*(self._start(c) for c in due))
        # After the services: a service due now takes the spare that is ready, not a new one.
        spare = self.spare
        if not spare.running and spare.due is not None and spare.due <= time.monotonic():
            await self._start(spare)

    def _reap(self, child: Child) -> None:
        """Record a death and decide when the role starts again."""
        assert child.proc is not None
        code = child.proc.returncode
        uptime = time.monotonic() - child.started_at
        at_work = child.at_work or self._noted_at_work(child.name, child.proc.pid)
        child.at_work = False
        child.proc, child.waiter, child.last_exit = None, None, code
        if child is self.broker:
            self.broker_ready = False
            if self._bring_up is not None:
                self._bring_up.cancel()
        if child.stopped_on_purpose:
            child.stopped_on_purpose = False
            child.due = time.monotonic()
            return
        if code == CONFIG_ERROR_EXIT and child in self.services:
            # Restarting cannot fix a bad configuration file: stop and say where.
            self.fatal = (
                f"{child.name} refused its configuration; see {self.log_dir / child.name}.log"
            )
            log.error("configuration_error", process=child.name)
            return
        healthy = uptime >= _HEALTHY_AFTER_S or at_work
        child.quick_deaths = 1 if healthy else child.quick_deaths + 1
        delay = restart_delay(child.quick_deaths)
        child.due = time.monotonic() + delay
        if child is self.broker:
            log.warning("broker_lost", code=code, uptime_s=round(uptime, 1), restart_in_s=delay)
        else:
            log.warning(
                "process_exited",
                process=child.name,
                code=code,
                uptime_s=round(uptime, 1),
                restart_in_s=delay,
            )
        if child.quick_deaths >= _CRASH_LOOP_AFTER:
            log.error(
                "process_crash_looping",
                process=child.name,
                deaths_in_a_row=child.quick_deaths,
                restart_in_s=delay,
                log_file=str(self.log_dir / f"{child.name}.log"),
            )

    async def _start_broker(self) -> None:
        self.epoch = uuid.uuid4().hex[:12]
        if self.broker.starts:
            # A new port for each new broker: the lost one's clients, still retrying its
            # address, can never join a group of the new one and stall its rebalance.
            self.broker_port = free_port()
            self.bootstrap = f"127.0.0.1:{self.broker_port}"
            self.broker.argv = broker_argv(self.broker_port)
        # Before any service of this epoch starts: a service started earlier finds it when it
        # can take SIGHUP, even if the signal came while it was still importing.
        self._write_broker_file()
        await self._start(self.broker)
        assert self.broker.proc is not None
        self._bring_up = asyncio.create_task(
            self._bring_up_broker(self.broker.proc), name="broker-bring-up"
        )

    async def _bring_up_broker(self, proc: Proc) -> None:
        """Wait for a new broker to answer and create the topics; kill it if it cannot."""
        try:
            async with asyncio.timeout(_BROKER_ANSWER_S):
                await _listening(self.broker_port)
                await wait_for_broker(self.bootstrap, timeout_s=_BROKER_ANSWER_S)
                await ensure_topics(self.bootstrap, ALL_TOPICS)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("broker_start_failed", bootstrap_servers=self.bootstrap, error=str(err))
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            return
        self.broker_ready = True
        self.broker.at_work = True
        self.ready.set()
        log.info("broker_ready", bootstrap_servers=self.bootstrap, epoch=self.epoch)
        self._reconnect_services()

    def _noted_at_work(self, role: str, pid: int) -> bool:
        """Whether the service's process `pid` noted that it got to work (common/service.py)."""
        try:
            return (self.var_dir / AT_WORK_DIR / role).read_text() == str(pid)
        except OSError:
            return False

    def _write_broker_file(self) -> None:
        broker_file = self.var_dir / BROKER_FILE
        broker_file.with_suffix(".tmp").write_text(
            json.dumps({"epoch": self.epoch, "bootstrap_servers": self.bootstrap})
        )
        broker_file.with_suffix(".tmp").replace(broker_file)

    def _reconnect_services(self) -> None:
        """Tell every service of an older broker to connect again, in its own process.

        Clients of a lost broker wedge (NOTES); on SIGHUP a service, running or still
        starting, drops them and makes new ones for the broker named in var/broker.json, which
        spares the 2-6 s of a new interpreter. Services are started with SIGHUP ignored, so
        one still importing lives on and reads the file once it can take the signal.
        """
        for child in self.services:
            if child.running and child.epoch != self.epoch:
                assert child.proc is not None
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.proc.pid, signal.SIGHUP)
                child.epoch = self.epoch

    async def _start(self, child: Child) -> None:
        # One process per role: a role is started only once its previous process was reaped.
        assert not child.running and child.waiter is None, f"{child.name} is already running"
        log_path = str(self.log_dir / f"{child.name}.log")
        taken = await self._take_spare(child.name, log_path) if child in self.services else None
        if taken is not None and taken is self.spare.proc:
            # The spare became the role: a new one follows, once this start is under way.
            child.proc, child.waiter = self.spare.proc, self.spare.waiter
            self.spare.proc, self.spare.waiter = None, None
            self.spare.due = time.monotonic() + _SPARE_AFTER_S
        elif taken is not None:
            child.proc, child.waiter = taken, None
        else:
            child.proc = spawned = await spawn(
                child.argv,
                env=self.child_env(child.name),
                log_path=log_path,
                ignore_sighup=child in self.services or child is self.spare,
                stdin_pipe=child is self.spare,
                stdout_pipe=child is self.spare and self.forks,
            )
            if child is self.spare:
                self._spare_process = spawned
        assert child.proc is not None
        child.started_at = time.monotonic()
        child.epoch = self.epoch
        child.due = None
        if child.waiter is None:
            child.waiter = asyncio.create_task(child.proc.wait(), name=f"wait-{child.name}")
        if child.starts and child is not self.spare:
            metrics.PROCESS_RESTARTS.labels(child.name).inc()
        child.starts += 1
        log.info(
            "process_started",
            process=child.name,
            pid=child.proc.pid,
            epoch=child.epoch,
            **({"from_spare": True} if taken is not None else {}),
        )

    async def _take_spare(self, role: str, log_path: str) -> Proc | None:
        """Hand `role` to the spare, if one runs: the role's environment now, its log file.

        Return the role's process: one the spare forked and this process adopted (the spare
        stays, ready for the next), or the spare itself if it cannot fork; None without one.
        """
        async with self._spare_lock:
            proc = self._spare_process
            if not self.spare.running or proc is None or proc.stdin is None:
                return None
            job = {
                "role": role,
                "env": self.child_env(role),
                "log": log_path,
                "fork": self.forks,
                "supervisor": os.getpid(),
            }
            try:
                proc.stdin.write(json.dumps(job).encode() + b"\n")
                await proc.stdin.drain()
                if not self.forks:
                    proc.stdin.close()
                    return proc
                assert proc.stdout is not None
                # Its pid once forked: at once from a ready spare, after the module in hand
                # from one still importing.
                answer = await proc.stdout.readline()
            except (BrokenPipeError, ConnectionResetError):
                return None  # it died just now: it is reaped as a spare, the role starts anew
            if not answer:
                return None
            return Adopted(int(answer))

    async def _stop(self, child: Child, grace_s: float) -> None:
        if child.proc is None:
            return
        child.stopped_on_purpose = True
        await stop(child.proc, grace_s=grace_s)
        if child.waiter is not None:
            await child.waiter
        self._reap(child)

    async def shutdown(self) -> None:
        """Stop services first (they flush their outbox), then the sink and the broker."""
        self.stopping.set()
        if self._bring_up is not None:
            self._bring_up.cancel()
        for child in self.children:
            child.due = None
        await asyncio.gather(*(self._stop(c, _SHUTDOWN_GRACE_S) for c in self.services))
        for child in (self.spare, self.sink, self.broker):
            await self._stop(child, 5)
        await self.health_server.stop()
        log.info("system_stopped")

    def health(self) -> dict[str, Any]:
        """Each process's state; "ok" only when all run, the broker answers and none crash-loops."""
        now = time.monotonic()
        processes: dict[str, dict[str, Any]] = {}
        for c in self.children:
            if c.running:
                state = "running"
                if c is self.broker and not self.broker_ready:
                    state = "starting"
            else:
                state = "restarting"
            processes[c.name] = {
                "state": state,
                "pid": c.proc.pid if c.running and c.proc else None,
                "uptime_s": round(now - c.started_at, 1) if c.running else None,
                "restarts": max(0, c.starts - 1),
                "crash_looping": c.crash_looping,
                "last_exit_code": c.last_exit,
            }
        # A spare is a head start, not a role: the system is whole without one.
        healthy = all(
            p["state"] == "running" and not p["crash_looping"]
            for name, p in processes.items()
            if name != self.spare.name
        )
        status = "stopping" if self.stopping.is_set() else "ok" if healthy else "degraded"
        return {"status": status, "epoch": self.epoch, "processes": processes}

    def banner(self) -> str:
        s = self.settings
        ports = ", ".join(f"{n} :{s.metrics_port_for(n)}" for n in SERVICES)
        runtime = f"http://{s.runtime.health_host}:{s.runtime.health_port}"
        return "\n".join(
            [
                "",
                "standby is running (Ctrl-C stops everything)",
                f"  duty console   {self.console_url}",
                f"  health         {runtime}/health  (and the runtime's {runtime}/metrics)",
                f"  metrics        http://127.0.0.1:<port>/metrics  ({ports})",
                f"  mail folder    {self.mail_dir}  (every email, as .eml)",
                f"  logs           {self.log_dir}",
                f"  databases      {databases(s)}",
                f"  broker         {self.bootstrap} (embedded Tansu, in memory)",
                f"  feeds          {self.child_env()['STANDBY_INGESTER__GDACS_RSS_URL']}",
                "",
            ]
        )


def databases(settings: Settings) -> str:
    """Where the services keep their tables, as the banner says it (no password)."""
    if not settings.database_url or settings.database_url.startswith("sqlite"):
        return f"{settings.var_dir}/<service>.db (SQLite)"
    url = settings.database_url
    if "@" in url.split("//", 1)[-1]:
        scheme, rest = url.split("//", 1)
        user, host = rest.rsplit("@", 1)
        url = f"{scheme}//{user.split(':', 1)[0]}:***@{host}" if ":" in user else url
    return f"{url}, schemas {settings.database_schema_prefix}<service>"


async def _listening(port: int) -> None:
    """Return once something accepts connections on the port (a fresh broker: ~50 ms)."""
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return


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
        supervising = asyncio.create_task(sup.supervise())
        ready = asyncio.create_task(sup.ready.wait())
        await asyncio.wait([ready, supervising], return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if sup.ready.is_set():
            print(sup.banner(), flush=True)
        if on_ready is not None and sup.ready.is_set():
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
