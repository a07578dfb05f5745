"""Duty officers' channels, read from the rota file: a page names the officer, never the URLs."""

from __future__ import annotations

from pathlib import Path

from schemas.officers import Officer, OfficerDirectory
from services.common.config_files import load_yaml_model
from services.common.errors import ConfigError
from services.common.logs import get_logger

log = get_logger(__name__)


class OfficerFile:
    """Serve the rota's officers; a broken edit is logged and the last good copy kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()
        # Loading registers the Apprise URLs as secrets: scrubbed from every log line.
        self._officers = load_yaml_model(path, OfficerDirectory)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def officer(self, officer_id: str) -> Officer | None:
        """Find an officer in the current rota, re-reading the file first if it changed."""
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._officers = load_yaml_model(self.path, OfficerDirectory)
                log.info("officers_reloaded", path=str(self.path))
            except ConfigError as err:
                log.error("officers_invalid_kept_previous", error=str(err))
        return self._officers.officer(officer_id)
