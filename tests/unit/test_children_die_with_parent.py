"""A child of `standby run` dies with it, even when the supervisor dies while the child is
being started (between the fork and the request to be signalled)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from services.runtime.processes import die_with_parent
from tests.proc import alive


async def test_a_child_whose_parent_is_already_gone_does_not_start() -> None:
    # The parent the child was forked for is not its parent by the time it asks to be
    # signalled (here: a pid that is not ours): it ends instead of running as an orphan.
    gone = await asyncio.create_subprocess_exec(
        "sleep", "30", preexec_fn=partial(die_with_parent, os.getpid() + 7_919_000)
    )
    assert await asyncio.wait_for(gone.wait(), 10) == 1

    kept = await asyncio.create_subprocess_exec(
        "sleep", "30", preexec_fn=partial(die_with_parent, os.getpid())
    )
    await asyncio.sleep(0.2)
    assert kept.returncode is None
    kept.kill()
    await kept.wait()


# In a process of its own, killed outright as a supervisor would be.
PARENT = """
import asyncio, sys
from services.runtime.processes import spawn

async def main() -> None:
    child = await spawn(["sleep", "30"], env={"PATH": "/usr/bin:/bin"})
    print(child.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


# A test run or a benchmark holding the embedded broker, killed outright.
BROKER_PARENT = """
import time
from services.runtime.embedded import EmbeddedBroker

print(EmbeddedBroker().proc.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("code", [PARENT, BROKER_PARENT], ids=["spawned", "embedded-broker"])
def test_a_child_is_stopped_when_its_parent_is_killed(code: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert Path(f"/proc/{child}").exists()
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)
