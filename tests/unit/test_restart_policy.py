"""When `standby run` restarts a dead process: at once, unless it keeps dying before it works."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from services.common.settings import AT_WORK_DIR, Settings
from services.runtime.supervisor import Child, Supervisor


@dataclass
class Dead:
    """What the supervisor reads of a process that has exited."""

    pid: int
    returncode: int = -9


def supervisor(tmp_path: Path) -> Supervisor:
    return Supervisor(Settings(_env_file=None, var_dir=tmp_path / "var"))  # type: ignore[call-arg]


def service(tmp_path: Path, name: str) -> tuple[Supervisor, Child, Path]:
    """A fresh supervisor, its child `name` and the folder of the notes saying who got to work."""
    sup = supervisor(tmp_path)
    at_work = sup.var_dir / AT_WORK_DIR
    at_work.mkdir(parents=True)
    return sup, next(c for c in sup.services if c.name == name), at_work


def died(sup: Supervisor, child: Child, pid: int, *, after_s: float) -> float:
    """Reap `child`'s process `pid`, dead `after_s` after its start; return its restart delay."""
    child.proc = cast(Any, Dead(pid))
    child.started_at = time.monotonic() - after_s
    sup._reap(child)
    assert child.due is not None
    return child.due - time.monotonic()


def test_a_service_killed_after_it_got_to_work_is_restarted_at_once_however_soon(
    tmp_path: Path,
) -> None:
    sup, notifier, at_work = service(tmp_path, "notifier")
    for pid in range(1000, 1005):
        (at_work / "notifier").write_text(str(pid))
        assert died(sup, notifier, pid, after_s=5) <= 0.01
    assert not notifier.crash_looping


def test_a_service_dying_before_it_works_backs_off_and_is_reported_crash_looping(
    tmp_path: Path,
) -> None:
    sup, duty, at_work = service(tmp_path, "duty")
    # An earlier process of the role got to work: the note names it, not these.
    (at_work / "duty").write_text("999")
    delays = [died(sup, duty, pid, after_s=5) for pid in range(1000, 1004)]
    assert delays[0] <= 0.01 < delays[1] < delays[2] < delays[3]
    assert duty.crash_looping


def test_a_broker_that_answered_is_restarted_at_once_and_one_that_never_did_backs_off(
    tmp_path: Path,
) -> None:
    sup = supervisor(tmp_path)
    for pid in range(1000, 1004):
        sup.broker.at_work = True  # its bring-up ended: it answered and took its topics
        assert died(sup, sup.broker, pid, after_s=10) <= 0.01
    # Killed before it answered, again and again: a crash loop.
    delays = [died(sup, sup.broker, pid, after_s=10) for pid in range(2000, 2003)]
    assert 0 < delays[0] < delays[1] < delays[2]
    assert sup.broker.crash_looping
