"""The rota as the running service sees it: re-read when the file changes, last good copy kept."""

from __future__ import annotations

from pathlib import Path

from services.common.errors import ConfigError
from services.common.logs import get_logger
from services.duty.rota import Rota, load_rota

log = get_logger(__name__)


class RotaSource:
    """Serve the newest valid rota; a broken edit is logged and the previous rota stays in force."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rota = load_rota(path)  # at start a broken rota stops the service
        self._mtime = self._stat()

    def _stat(self) -> float:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return self._mtime

    def __call__(self) -> Rota:
        mtime = self._stat()
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self._rota = load_rota(self.path)
                log.info("rota_reloaded", path=str(self.path))
            except ConfigError as err:
                log.error("rota_reload_refused_keeping_previous", error=str(err))
        return self._rota
