"""Alembic, imported only where a migration runs: never by a running service.

A service migrates at start from a short-lived child (`python -m services.common.db`, see
`Database.migrate_in_child`), so the long-running process never loads Alembic and Mako, about
10 MB of every service's resident memory. Tools and tests migrate in their own process.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

_SERVICES_DIR = Path(__file__).resolve().parent.parent


def alembic_config(service: str) -> Config:
    """Build the Alembic configuration of a service: the common tables plus its own."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_SERVICES_DIR / "common" / "migrations"))
    locations = [_SERVICES_DIR / "common" / "migrations" / "versions"]
    own = _SERVICES_DIR / service / "migrations"
    if service != "common" and own.is_dir():
        locations.append(own)
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(connection: Connection, service: str) -> None:
    """Bring a service's tables to the newest revision on an open connection."""
    cfg = alembic_config(service)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")
