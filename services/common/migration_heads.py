"""The newest revisions of a service's migrations, read from the files without Alembic.

A restarted service whose database is already at these revisions has nothing to migrate:
it skips the migrating child (a second interpreter loading Alembic, 1-3 s of a restart on two
cores) and checks one small table instead (decision 0706). Anything this reader does not
understand makes it answer None, and the service migrates as before.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

_SERVICES_DIR = Path(__file__).resolve().parent.parent


def _locations(service: str) -> list[Path]:
    # The same folders as `migrate.alembic_config`: the common tables, then the service's own.
    own = _SERVICES_DIR / service / "migrations"
    return [_SERVICES_DIR / "common" / "migrations" / "versions", own]


def _revision_of(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """The file's `revision` and what it builds on (`down_revision` and `depends_on`: Alembic
    keeps neither in its version table once this revision is there), or None if unclear."""
    names: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and node.targets else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in (
            "revision",
            "down_revision",
            "depends_on",
        ):
            try:
                names[target.id] = ast.literal_eval(value) if value is not None else None
            except ValueError:
                return None
    revision = names.get("revision")
    if not isinstance(revision, str):
        return None
    below: list[str] = []
    for name in ("down_revision", "depends_on"):
        value = names.get(name)
        if isinstance(value, str):
            below.append(value)
        elif isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
            below.extend(value)
        elif value is not None:
            return None
    return revision, tuple(below)


@cache
def script_heads(service: str) -> frozenset[str] | None:
    """The revisions nothing builds on: what `upgrade heads` leaves in Alembic's version table."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for folder in _locations(service):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            found = _revision_of(path)
            if found is None:
                return None
            revisions.add(found[0])
            revised.update(found[1])
    return frozenset(revisions - revised) or None
