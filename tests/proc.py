"""A process as /proc tells it: what the tests that kill, orphan and reap processes look at."""

from __future__ import annotations

from pathlib import Path


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first, then the parent's
    pid), or None once the process is gone."""
    try:
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields or None


def alive(pid: int) -> bool:
    """Whether the process still runs: neither gone nor a zombie waiting to be reaped."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")
