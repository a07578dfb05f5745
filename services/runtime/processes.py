"""Child processes that die with their parent and stop politely before they are killed."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class Proc(Protocol):
    """What the supervisor needs of a process it runs: a spawned child or an adopted one."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


# Loaded here, in the parent: `die_with_parent` runs between fork and exec, where loading a
# library could wait for ever on a lock another of the parent's threads held at the fork.
_LIBC = _load_libc()


def _prctl(option: int, value: int) -> bool:
    return _LIBC is not None and int(_LIBC.prctl(option, value)) == 0


def die_with_parent(parent: int | None = None) -> None:
    """Be sent SIGTERM when the parent process dies; with `parent` (the pid forked from), end
    at once if it is gone already."""
    # If the supervisor is killed outright (SIGKILL), the kernel still stops its children:
    # no orphaned broker or service keeps a port or a database open.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    # A parent that died between the fork and the line above sent no signal: the child would
    # start as an orphan and retry a dead broker for ever (seen when the supervisor was killed
    # while it started a role). Past the prctl, its death is signalled; before, it shows here.
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def adopt_orphans() -> bool:
    """Become the parent of every orphan of this process's subtree (Linux), so a role the
    spare forks (runtime/spare.py) is this process's child; True if it can, and can watch
    such a child (pidfd)."""
    return hasattr(os, "pidfd_open") and _prctl(_PR_SET_CHILD_SUBREAPER, 1)


class Adopted:
    """A child this process did not spawn but adopted (a role the spare forked): waited for
    through a pidfd on the event loop, reaped and its exit code kept, as `Process` does."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._fd = os.pidfd_open(pid)
        self._loop.add_reader(self._fd, self._reap)

    def _reap(self) -> None:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # not ours after all: it is gone, and how is unknown
            pid, status = self.pid, -1
        if pid == 0:
            return
        self._loop.remove_reader(self._fd)
        os.close(self._fd)
        self.returncode = os.waitstatus_to_exitcode(status) if status >= 0 else 255
        self._exited.set_result(self.returncode)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


def reap_orphans(known: set[int]) -> None:
    """Reap dead children this process adopted but never knew (a killed service's own child),
    leaving those in `known` to whoever waits for them."""
    me = str(os.getpid())
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in known:
                continue
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] == "Z" and fields[1] == me:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(int(entry.name), os.WNOHANG)


def _ignoring_sighup(parent: int) -> None:
    die_with_parent(parent)
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
    stdout_pipe: bool = False,
) -> asyncio.subprocess.Process:
    """Start a child in its own process group, its output appended to `log_path` (or inherited);
    with `stdin_pipe` the parent may write to its stdin (a spare waits there for its role), with
    `stdout_pipe` read its stdout (a spare answers there), its stderr still going to the log."""
    parent = os.getpid()
    out = Path(log_path).open("ab") if log_path else None  # noqa: SIM115, ASYNC230 - handed to the child
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.PIPE if stdin_pipe else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if stdout_pipe else out,
            stderr=out if stdout_pipe else asyncio.subprocess.STDOUT if out else None,
            preexec_fn=partial(_ignoring_sighup if ignore_sighup else die_with_parent, parent),
            start_new_session=True,
        )
    finally:
        if out:
            out.close()


async def stop(proc: Proc, *, grace_s: float = 15.0) -> None:
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
