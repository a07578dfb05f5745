"""`standby spare`: a service process started before it is needed, its imports done.

Most of a service's start is importing (faststream, SQLAlchemy, FastAPI, pydantic models):
2 s of CPU on an idle 2-core machine, 5-10 s when it is busy, against the 5 s a crashed role
has to be back at work in (decision 0706). `standby run` keeps one spare ready; when a service
dies, the spare is told which role to play and starts it at once, and a new spare is started
behind it. The spare imports what `standby <role>` imports before it knows its role, and the
libraries some services use, never a service's composition root (`services.<name>.main`) or
metrics: those register the service's series, which must not show on another role's /metrics.

The supervisor writes one line of JSON on the spare's stdin: the role, the environment the
role is started with and the log file it writes to.
"""

from __future__ import annotations

import json
import os
import sys


def _preload() -> None:
    """Import what every service imports, and the libraries some of them use."""
    import httpx  # noqa: F401
    import jinja2  # noqa: F401

    import services.cli
    import services.common.service
    import services.common.web_server  # noqa: F401


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


def main() -> None:
    _preload()
    line = sys.stdin.readline()
    if not line:
        return  # the supervisor stopped before it needed this spare
    _become(json.loads(line))
