"""The member directory as the response service reads it: loaded at start, re-read when edited."""

from __future__ import annotations

from pathlib import Path

from schemas.members import MemberDirectory
from services.common.config_files import load_yaml_model
from services.common.errors import ConfigError
from services.common.logs import get_logger

log = get_logger(__name__)


class Directory:
    """Serve the current directory; a broken edit is logged and the last good one kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()
        self._directory = load_yaml_model(path, MemberDirectory)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> MemberDirectory:
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._directory = load_yaml_model(self.path, MemberDirectory)
            except ConfigError as err:
                log.error("member_directory_invalid_kept_previous", error=str(err))
        return self._directory

    @classmethod
    def of(cls, directory: MemberDirectory) -> Directory:
        """Wrap a directory already in memory (tests, benchmarks)."""
        held = cls.__new__(cls)
        held.path = Path("/nonexistent")
        held._stamp = None
        held._directory = directory
        return held
