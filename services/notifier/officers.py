"""Duty officers' channels, read from the rota file: a page names the officer, never the URLs."""

from __future__ import annotations

from pathlib import Path

from schemas.officers import Officer, OfficerDirectory
from services.common.config_files import WatchedFile, load_yaml_model
from services.common.logs import get_logger

log = get_logger(__name__)


class OfficerFile(WatchedFile[OfficerDirectory]):
    """Serve the rota's officers; a broken edit is logged and the last good copy kept."""

    def __init__(self, path: Path) -> None:
        # Loading registers the Apprise URLs as secrets: scrubbed from every log line.
        super().__init__(path, lambda p: load_yaml_model(p, OfficerDirectory), what="officers")

    def officer(self, officer_id: str) -> Officer | None:
        """Find an officer in the current rota, re-reading the file first if it changed."""
        return self.current().officer(officer_id)
