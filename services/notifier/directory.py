"""The member directory as the running notifier sees it: loaded at start, re-read when edited."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from schemas.members import MemberDirectory
from services.common.config_files import load_yaml_model, locate
from services.common.countries import country_table
from services.common.errors import ConfigError
from services.common.logs import get_logger

log = get_logger(__name__)


def regions_of(iso3: str) -> Iterable[str]:
    """Name the UN M49 region, sub-region and intermediate region of a country."""
    country = country_table().get(iso3)
    return country.region_names if country else ()


def load_directory(path: Path) -> MemberDirectory:
    """Read and check a member directory; raise ConfigError naming the file, line and field."""
    directory = load_yaml_model(path, MemberDirectory)
    known = country_table().region_names
    problems = [
        (i, j, region)
        for i, org in enumerate(directory.organisations)
        for j, region in enumerate(org.subscription.regions)
        if region not in known
    ]
    if problems:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        lines = [
            f"  {locate(path, root, ['organisations', i, 'subscription', 'regions', j])}: "
            f"organisations.{i}.subscription.regions.{j}: unknown UN M49 region {region!r}"
            for i, j, region in problems
        ]
        raise ConfigError(f"{path}: {len(lines)} error(s)\n" + "\n".join(lines))
    return directory


class DirectoryFile:
    """Serve the current directory; a broken edit is logged and the last good one kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()
        self._directory = load_directory(path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> MemberDirectory:
        """Return the directory, re-reading the file first if it changed on disk."""
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._directory = load_directory(self.path)
                log.info("member_directory_reloaded", path=str(self.path))
            except ConfigError as err:
                log.error("member_directory_invalid_kept_previous", error=str(err))
        return self._directory
