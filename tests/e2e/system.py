"""Run the whole system as processes (`standby run`) in a throwaway folder, for e2e tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from services.common.settings import SERVICES
from services.runtime.feed_server import FeedServer
from services.runtime.scenario import ScenarioEvent, gdacs_rss
from tests.conftest import free_port
from tests.proc import alive, stat_fields
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]

# members.yaml with one NGO that takes every alert from standby up; `members(LEE)`, or with a
# Japanese contact too, `members(YAMADA, LEE)`.
_EVERYTHING_NGO = """\
organisations:
  - id: everything-ngo
    name_ja: なんでもNGO
    name_en: Everything NGO
    kind: ngo
    contacts:
{contacts}    subscription: {{min_level: standby}}
"""
YAMADA = "{id: yamada, name: 山田 太郎, language: ja, email: yamada@everything.example.jp}"
LEE = "{id: lee, name: Kim Lee, language: en, email: lee@everything.example.org}"


def members(*contacts: str) -> str:
    return _EVERYTHING_NGO.format(contacts="".join(f"      - {c}\n" for c in contacts))


LEE_ONLY = members(LEE)
"""The members file of the runtime tests: the NGO with Lee, in English, as its one contact."""


def recipient(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def member_mails(system: System) -> int:
    """How many mails Kim Lee (`LEE`) has received."""
    return sum(1 for m in system.mails() if recipient(m) == "lee@everything.example.org")


class System:
    """`standby run` as a child process with its own ports and var folder."""

    def __init__(self, var_dir: Path, env: dict[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.mail_dir = var_dir / "mail"
        self.console_port = free_port()
        self.metrics_ports = {name: free_port() for name in SERVICES}
        self.smtp_port = free_port()
        self.preferences_port = free_port()
        self.health_port = free_port()
        self.env = {
            **os.environ,
            "STANDBY_VAR_DIR": str(var_dir),
            # The whole-system tests serve their own feeds; USGS is off unless one asks for it.
            "STANDBY_INGESTER__USGS_URL": "",
            "STANDBY_INGESTER__USGS_SAFETY_NET_URL": "",
            "STANDBY_NOTIFIER__SMTP__PORT": str(self.smtp_port),
            "STANDBY_DUTY__CONSOLE_PORT": str(self.console_port),
            "STANDBY_RESPONSE__WEB_PORT": str(free_port()),
            "STANDBY_DUTY__PUBLIC_URL": f"http://127.0.0.1:{self.console_port}",
            "STANDBY_NOTIFIER__PREFERENCES_PORT": str(self.preferences_port),
            "STANDBY_NOTIFIER__PUBLIC_URL": f"http://127.0.0.1:{self.preferences_port}",
            "STANDBY_LOG_FORMAT": "json",
            "STANDBY_RUNTIME__HEALTH_PORT": str(self.health_port),
            **{f"STANDBY_{n.upper()}__METRICS_PORT": str(p) for n, p in self.metrics_ports.items()},
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> System:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services", "run"],
            cwd=REPO,
            env=self.env,
            stdout=(self.var_dir / "run.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self, timeout: float = 40, *, ctrl_c: bool = False) -> int:
        """Stop `standby run` with SIGTERM, or with the SIGINT of Ctrl-C in its terminal (its
        children are in sessions of their own: the terminal's signal reaches only the runtime)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if ctrl_c else signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode

    def mails(self) -> list[EmailMessage]:
        out = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out

    def described(self) -> str:
        """Each process of the system: pid, parent, state and command line (for a failure)."""
        lines = []
        for pid in self.processes():
            stat = stat_fields(pid)
            if stat is None:
                continue
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            lines.append(f"{pid} parent {stat[1]} state {stat[0]}: {argv.strip()}")
        return "\n".join(lines)

    def logs(self) -> str:
        parts = []
        for path in sorted((self.var_dir / "logs").glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def processes(self) -> list[int]:
        """Pids of every process that belongs to this system (found by its var folder)."""
        marker = f"STANDBY_VAR_DIR={self.var_dir}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                pids.append(int(entry.name))
        return pids


def roles(system: System) -> dict[str, list[int]]:
    """Pids of the system's children by role: "broker" or the `standby <role>` they run.

    A child forked by a service, not yet exec'd (its migration), still shows the service's
    command line: it is not a second process of the role."""
    found: dict[str, list[int]] = {}
    parents: dict[int, int] = {}
    playing: dict[int, str] | None = None
    for pid in system.processes():
        stat = stat_fields(pid)
        if stat is None:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            parents[pid] = int(stat[1])
        except (OSError, IndexError, ValueError):
            continue
        if argv and b"tansu" in argv[0]:
            found.setdefault("broker", []).append(pid)
        elif len(argv) >= 4 and argv[1:3] == [b"-m", b"services"]:
            role = argv[3].decode()
            if role == "spare":
                # A spare that took a role still says `spare` on its command line.
                playing = playing if playing is not None else _playing(system)
                role = playing.get(pid, role)
            found.setdefault(role, []).append(pid)
    # The scan takes a while on a busy machine: a process killed while it ran may have been
    # reaped and its role handed to the spare before /health was read. Only processes still
    # alive once the scan is over count, so two pids of one role ran at one moment.
    return {
        role: [pid for pid in pids if parents.get(pid) not in pids and alive(pid)]
        for role, pids in found.items()
    }


def _playing(system: System) -> dict[int, str]:
    """Pid → role of every process the runtime's /health lists."""
    try:
        body = httpx.get(f"http://127.0.0.1:{system.health_port}/health", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return {}
    return {p["pid"]: name for name, p in body.get("processes", {}).items() if p.get("pid")}


def child_pid(system: System, name: str) -> int | None:
    """Pid of the system's child running `standby <name>` (or the broker), if alive."""
    pids = roles(system).get(name)
    return pids[0] if pids else None


class GdacsFeed:
    """GDACS's RSS feed served on a local port; `publish` replaces the events it lists."""

    def __init__(self, server: FeedServer) -> None:
        self._server = server
        self.url = ""

    def publish(self, events: list[ScenarioEvent]) -> None:
        self.url = self._server.put("/xml/rss.xml", gdacs_rss(events))


@contextmanager
def gdacs_feed(events: list[ScenarioEvent]) -> Iterator[GdacsFeed]:
    """Serve GDACS's RSS feed listing `events` for the block."""
    with FeedServer() as server:
        feed = GdacsFeed(server)
        feed.publish(events)
        yield feed


def fed_system(
    tmp_path: Path, members_yaml: str, feed_url: str, env: dict[str, str] | None = None
) -> System:
    """A system polling `feed_url` every second, with `members_yaml` as its member directory."""
    members = tmp_path / "members.yaml"
    members.write_text(members_yaml, encoding="utf-8")
    return System(
        tmp_path / "var",
        {
            "STANDBY_MEMBERS_FILE": str(members),
            "STANDBY_INGESTER__GDACS_RSS_URL": feed_url,
            "STANDBY_INGESTER__GDACS_RSS_INTERVAL_S": "1",
            **(env or {}),
        },
    )


@contextmanager
def watched(system: System) -> Iterator[System]:
    """The system started; its logs printed if an assertion fails; stopped, leaving nothing."""
    system.start()
    try:
        try:
            yield system
        except AssertionError:
            print(system.logs())
            raise
    finally:
        assert system.stop() == 0
    assert system.processes() == []


def stop(proc: subprocess.Popen[bytes], grace_s: float = 30) -> None:
    """Stop a process started in a session of its own, with its children; kill it after `grace_s`."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def running_demo(env: dict[str, str], output: Path) -> Iterator[str]:
    """Run `standby demo --keep-running`, its output in `output`, until its scenario has flowed.

    Yields the broker's address; stops the demo and what it started after the block.
    """
    standby = Path(sys.executable).with_name("standby")
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [str(standby), "demo", "--keep-running"],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:

            def done() -> str | None:
                text = output.read_text(errors="replace")
                assert proc.poll() is None, f"the demo exited early:\n{text[-4000:]}"
                return text if re.search(r"^done in |^demo incomplete", text, re.M) else None

            text = wait_for(done, timeout=150, what="the demo scenario to flow")
            assert "demo incomplete" not in text, text[-4000:]
            bootstrap = re.search(r"broker\s+(127\.0\.0\.1:\d+)", text)
            assert bootstrap, text
            yield bootstrap[1]
        finally:
            stop(proc, grace_s=60)
