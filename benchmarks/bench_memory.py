"""Memory of the embedded system: resident set of every process `standby run` starts, idle
and after it has read a real USGS day.

Starts the real system (`python -m services run`: supervisor, Tansu, SMTP sink, five
services) on free ports in a throwaway folder, its USGS feed served locally with no feature
in it; waits until every service answers on its metrics port and the console on /healthz,
lets it settle, and reads each process's RSS (and PSS, which splits shared pages fairly) from
/proc. Then it serves a real USGS day (tests/fixtures/usgs: every feature placed by its point,
triaged, the members near them told), lets it settle again and reads them once more. The
baseline is a bare interpreter (`python -c pass` held open) measured in the same run. Goals,
at both moments: ≤ 120 MB a service process, ≤ 600 MB in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.support import REPO
from services.runtime.embedded import free_port
from services.runtime.feed_server import FeedServer

SETTLE_S = 15.0
SERVICE_GOAL_MB = 120.0
TOTAL_GOAL_MB = 600.0
_SERVICES = ("ingester", "triage", "notifier", "duty", "response")
_USGS = "/usgs.geojson"
_EMPTY_USGS = b'{"type": "FeatureCollection", "metadata": {"title": "USGS"}, "features": []}'
_A_DAY = REPO / "tests/fixtures/usgs/usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json"
Row = tuple[str, int, int]


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in kB, from /proc (Linux)."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def descendants(root: int) -> list[int]:
    """Every live process below `root`, by walking /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def role(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if argv and b"tansu" in argv[0]:
        return "broker (tansu)"
    if argv[1:3] == [b"-m", b"services"] and len(argv) > 3:
        return argv[3].decode()
    if argv[1:3] == [b"-m", b"services.notifier.raster_child"]:
        return "notifier's map rasteriser"
    return b" ".join(argv).decode(errors="replace")[:40]


def wait_until_up(ports: dict[str, int], console: int, proc: subprocess.Popen[bytes]) -> None:
    urls = [f"http://127.0.0.1:{p}/metrics" for p in ports.values()]
    urls.append(f"http://127.0.0.1:{console}/healthz")
    deadline = time.monotonic() + 180
    while urls:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the system did not come up; waiting for {urls}")
        try:
            with urllib.request.urlopen(urls[0], timeout=2):
                urls.pop(0)
        except OSError:
            time.sleep(0.5)


def bare_interpreter_kb() -> tuple[int, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        time.sleep(0.5)
        return memory_kb(proc.pid)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()


def main() -> None:
    bare_rss, _ = bare_interpreter_kb()
    metrics = {name: free_port() for name in _SERVICES}
    console = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="standby-memory-") as var,
        FeedServer() as feeds,
    ):
        feeds.put(_USGS, _EMPTY_USGS, "application/json")
        env = {
            **os.environ,
            "STANDBY_VAR_DIR": var,
            "STANDBY_NOTIFIER__SMTP__PORT": str(free_port()),
            "STANDBY_DUTY__CONSOLE_PORT": str(console),
            "STANDBY_DUTY__PUBLIC_URL": f"http://127.0.0.1:{console}",
            "STANDBY_RESPONSE__WEB_PORT": str(free_port()),
            "STANDBY_NOTIFIER__PREFERENCES_PORT": str(free_port()),
            "STANDBY_RUNTIME__HEALTH_PORT": str(free_port()),
            # Only the local feed: idle means idle, not parsing the live GDACS feed.
            "STANDBY_INGESTER__GDACS_RSS_URL": "",
            "STANDBY_INGESTER__USGS_URL": feeds.base_url + _USGS,
            "STANDBY_INGESTER__USGS_INTERVAL_S": "1",
            "STANDBY_INGESTER__USGS_SAFETY_NET_URL": "",
            **{f"STANDBY_{n.upper()}__METRICS_PORT": str(p) for n, p in metrics.items()},
        }
        out = Path(var) / "run.out"
        proc = subprocess.Popen(
            [sys.executable, "-m", "services", "run"],
            cwd=REPO,
            env=env,
            stdout=out.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(metrics, console, proc)
            time.sleep(SETTLE_S)
            idle = _sample(proc.pid)
            feeds.put(_USGS, _A_DAY.read_bytes(), "application/json")
            _wait_served(feeds, _USGS)
            time.sleep(SETTLE_S)
            busy = _sample(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(f"bare interpreter (baseline): RSS {bare_rss / 1024:.1f} MB")
    print("idle:")
    _report(idle, bare_rss)
    print(f"after reading a real USGS day ({_A_DAY.name}):")
    _report(busy, bare_rss)


def _sample(supervisor: int) -> list[Row]:
    rows = [("supervisor (standby run)", *memory_kb(supervisor))]
    return rows + sorted((role(pid), *memory_kb(pid)) for pid in descendants(supervisor))


def _wait_served(feeds: FeedServer, path: str) -> None:
    etag = feeds.etag(path)
    deadline = time.monotonic() + 60
    while etag not in feeds.first_served:
        if time.monotonic() > deadline:
            raise RuntimeError("the ingester did not fetch the USGS day within 60 s")
        time.sleep(0.2)


def _report(rows: list[Row], bare_rss: int) -> None:
    print(f"{'process':<26} {'RSS MB':>8} {'PSS MB':>8} {'× bare':>7}")
    for name, rss, pss in rows:
        flag = ""
        if name in _SERVICES or name == "smtp-sink" or name.startswith("supervisor"):
            flag = "" if rss / 1024 <= SERVICE_GOAL_MB else f"  over {SERVICE_GOAL_MB:.0f} MB"
        print(f"{name:<26} {rss / 1024:>8.1f} {pss / 1024:>8.1f} {rss / bare_rss:>7.1f}{flag}")
    total_rss = sum(r for _, r, _ in rows) / 1024
    total_pss = sum(p for _, _, p in rows) / 1024
    verdict = "met" if total_rss <= TOTAL_GOAL_MB else "NOT met"
    print(
        f"{'total':<26} {total_rss:>8.1f} {total_pss:>8.1f}"
        f"   (goal ≤ {TOTAL_GOAL_MB:.0f} MB RSS in all: {verdict})"
    )
