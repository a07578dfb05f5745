"""`standby spare`: a service process started before it is needed, its imports done.

Most of a service's start is importing (faststream, SQLAlchemy, FastAPI, pydantic models):
2 s of CPU on an idle 2-core machine, 5-10 s when it is busy, against the 5 s a crashed role
has to be back at work in (decision 0706). `standby run` keeps one spare ready; when a service
dies, the spare is told which role to play and forks a process that plays it (decision 0736):
the spare stays as it was, ready for the next death, and no new spare's imports compete with
the recovery. The fork goes through a child that exits at once, so the role is adopted by the
supervisor (a subreaper), which waits for it, stops it and reads its exit code as it does a
process it spawned. Where the supervisor cannot adopt (not Linux), the spare plays the role
itself and a new spare is started behind it.

The spare imports what `standby <role>` imports before it knows its role: the frameworks, and
every module of every service that reaches neither a composition root (`services.<name>.main`)
nor a metrics module, which register the service's series; those must not show on another
role's /metrics. What it has loaded is then frozen out of the collector's way, as a service
does after its own warm-up.

The supervisor writes one line of JSON on the spare's stdin: the role, the environment the
role is started with, the log file it writes to, whether to fork and the supervisor's pid; a
forking spare answers with the role's pid on its stdout.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import os
import pkgutil
import select
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

from services.runtime.processes import die_with_parent

# Set once every module is in: a spare called mid-way goes on after the role it forked.
_PRELOADED: list[bool] = []


class _RolesOwn(MetaPathFinder):
    """Refuses the modules that make a process one role: its composition root and metrics."""

    def __init__(self, services: Sequence[str]) -> None:
        self.refused = {f"services.{s}.{part}" for s in services for part in ("main", "metrics")}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname in self.refused:
            raise ImportError(f"{fullname} belongs to the role the spare will play")
        return None


def _modules(package: str) -> Iterator[str]:
    """A package's modules and subpackages, its migrations left out (they run Alembic)."""
    found = importlib.import_module(package)
    for info in pkgutil.iter_modules(found.__path__, f"{package}."):
        if info.name.rsplit(".", 1)[1] in ("migrations", "__main__"):
            continue
        yield info.name
        if info.ispkg:
            yield from _modules(info.name)


def _called() -> bool:
    """Whether the supervisor has written a role (or closed the pipe) on stdin."""
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable)


def _preload(called: Callable[[], bool] = lambda: False) -> None:
    """Import what every service imports, then every service module that is no role's own,
    until the spare is `called`: a role given to a spare still importing starts as soon as
    the frameworks are in, not after every service's modules (called again, it goes on)."""
    if _PRELOADED:
        return
    import httpx  # noqa: F401
    import jinja2  # noqa: F401

    import services.cli
    import services.common.service
    import services.common.web_server  # noqa: F401
    from services.common.settings import SERVICES

    refuse = _RolesOwn(SERVICES)
    sys.meta_path.insert(0, refuse)
    try:
        for service in SERVICES:
            for name in _modules(f"services.{service}"):
                if called():
                    return
                # A module that reaches a role's own modules is left for the role to import.
                with contextlib.suppress(Exception):
                    importlib.import_module(name)
    finally:
        sys.meta_path.remove(refuse)
    # Only once all is loaded: a role taken mid-way freezes its own, after its warm-up.
    gc.collect()
    gc.freeze()
    _PRELOADED.append(True)


def _become(job: dict[str, object]) -> None:
    """Take the role's environment, log file and command line, and run it."""
    env = job["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    log = os.open(str(job["log"]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, target in ((0, null), (1, log), (2, log)):
        os.dup2(target, fd)
    os.close(log)
    os.close(null)
    sys.argv = [sys.argv[0], str(job["role"])]
    from services.cli import main

    main()


def _adopted(supervisor: int) -> None:
    """Wait until this forked role is the supervisor's child (it adopts the orphans of its
    subtree), then die with it, as a process it spawned does."""
    deadline = time.monotonic() + 5.0
    while os.getppid() != supervisor and time.monotonic() < deadline:
        time.sleep(0.001)
    die_with_parent()
    if os.getppid() != supervisor:
        os._exit(1)  # the supervisor is gone (or never adopted it): nobody to play the role for


def _fork(job: dict[str, object]) -> int:
    """Fork the role, through a child that exits at once so that the supervisor adopts it;
    return its pid. The spare stays as it is, ready for the next role."""
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read)
        role = os.fork()
        if role:
            os.write(write, f"{role}\n".encode())
            os._exit(0)
        os.close(write)
        os.setsid()  # its own process group, which the supervisor stops as a whole
        _adopted(int(str(job["supervisor"])))
        code = 1
        try:
            _become(job)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as answer:
        pid = int(answer.readline())
    os.waitpid(middle, 0)
    return pid


def main() -> None:
    while True:
        # Again after each role: a role given mid-way left the rest of the imports for later.
        _preload(_called)
        line = sys.stdin.readline()
        if not line:
            return  # the supervisor stopped
        job = json.loads(line)
        if not job.get("fork"):
            _become(job)  # no adopting supervisor: the spare itself plays the role
            return
        print(_fork(job), flush=True)
