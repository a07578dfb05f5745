"""A process `standby run` did not spawn but adopted (a role the spare forked, decision 0736):
waited for, its exit code read, and an orphan it never knew reaped."""

from __future__ import annotations

import subprocess
import sys

# In a process of its own: a subreaper adopts every orphan of its subtree, the test run's too.
PROBE = """
import asyncio, os, subprocess, sys, time
from pathlib import Path
from services.runtime.processes import Adopted, adopt_orphans, reap_orphans

assert adopt_orphans()

def orphan(code: int) -> int:
    # A child that forks a grandchild and exits at once, as the spare forks a role.
    script = (
        "import os, sys, time\\n"
        "pid = os.fork()\\n"
        "if pid:\\n    print(pid, flush=True)\\n    os._exit(0)\\n"
        f"time.sleep(0.3)\\nos._exit({code})\\n"
    )
    middle = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    return int(middle.stdout)

async def main() -> None:
    role = orphan(3)
    assert os.getppid() != role and Path(f"/proc/{role}/stat").read_text().split()[3] == str(os.getpid())
    adopted = Adopted(role)
    assert adopted.returncode is None
    assert await asyncio.wait_for(adopted.wait(), 10) == 3 and adopted.returncode == 3
    assert await adopted.wait() == 3  # a second waiter gets the same code
    stray = orphan(0)
    time.sleep(1)
    assert Path(f"/proc/{stray}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    reap_orphans(known=set())
    assert not Path(f"/proc/{stray}").exists()
    print("ok")

asyncio.run(main())
"""


def test_an_adopted_process_is_waited_for_and_an_unknown_orphan_reaped() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr
