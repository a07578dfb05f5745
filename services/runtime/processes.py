"""Child processes that die with their parent and stop politely before they are killed."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # If the supervisor is killed outright (SIGKILL), the kernel still stops its children:
    # no orphaned broker or service keeps a port or a database open.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _ignoring_sighup() -> None:
    _die_with_parent()
    # Inherited across exec until the child installs its own handler: a signal that comes
    # while it is still importing does not kill it.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


async def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: str | None = None,
    ignore_sighup: bool = False,
    stdin_pipe: bool = False,
) -> asyncio.subprocess.Process:
    """Start a child in its own process group, its output appended to `log_path` (or inherited);
    with `stdin_pipe` the parent may write to its stdin (a spare waits there for its role)."""
    out = Path(log_path).open("ab") if log_path else None  # noqa: SIM115, ASYNC230 - handed to the child
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.PIPE if stdin_pipe else asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT if out else None,
            preexec_fn=_ignoring_sighup if ignore_sighup else _die_with_parent,
            start_new_session=True,
        )
    finally:
        if out:
            out.close()


async def stop(proc: asyncio.subprocess.Process, *, grace_s: float = 15.0) -> None:
    """Send SIGTERM to the child's group, then SIGKILL after the grace period."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


def python_child(*args: str) -> list[str]:
    """Argv that runs `standby <args>` with this interpreter."""
    return [sys.executable, "-m", "services", *args]
