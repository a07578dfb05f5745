"""The rota as the running service sees it: re-read when the file changes, last good copy kept."""

from __future__ import annotations

from pathlib import Path

from services.common.config_files import WatchedFile
from services.duty.rota import Rota, load_rota


class RotaSource(WatchedFile[Rota]):
    """Serve the newest valid rota; a broken edit is logged and the previous rota stays in force."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, load_rota, what="rota")  # at start a broken rota stops the service

    def __call__(self) -> Rota:
        return self.current()
