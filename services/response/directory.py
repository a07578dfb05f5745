"""The member directory as the response service reads it: loaded at start, re-read when edited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schemas.members import MemberDirectory
from services.common.config_files import WatchedFile, load_yaml_model


def _load(path: Path) -> MemberDirectory:
    return load_yaml_model(path, MemberDirectory)


class Directory(WatchedFile[MemberDirectory]):
    """Serve the current directory; a broken edit is logged and the last good one kept."""

    def __init__(self, path: Path, load: Callable[[Path], MemberDirectory] = _load) -> None:
        super().__init__(path, load, what="member_directory")

    @classmethod
    def of(cls, directory: MemberDirectory) -> Directory:
        """Wrap a directory already in memory (tests, benchmarks)."""
        return cls(Path("/nonexistent"), lambda _: directory)
