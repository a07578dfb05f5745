"""The member directory file (`members.yaml`): one loader and one check, for every service.

Each service that reads the directory (notifier, duty, response, the demo and `check-config`)
loads it here, so a file one service refuses no other accepts: the model's own validation
(`schemas/members.py`), then every region named against the UN M49 table, each problem with
its file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from schemas.members import MemberDirectory
from services.common.config_files import WatchedFile, load_yaml_model, locate
from services.common.countries import country_table
from services.common.errors import ConfigError


def load_member_directory(path: Path) -> MemberDirectory:
    """Read and check a member directory; raise ConfigError naming the file, line and field."""
    directory = load_yaml_model(path, MemberDirectory)
    known = country_table().region_names
    problems: list[tuple[list[str | int], str]] = []
    for i, org in enumerate(directory.organisations):
        places: list[tuple[list[str | int], list[str]]] = [
            (["organisations", i, "subscription", "regions"], org.subscription.regions)
        ]
        places += [
            (["organisations", i, "plans", k, "regions"], p.regions)
            for k, p in enumerate(org.plans)
        ]
        places += [
            (["organisations", i, "offers", k, "regions"], o.regions)
            for k, o in enumerate(org.offers)
        ]
        problems += [
            ([*where, j], region)
            for where, regions in places
            for j, region in enumerate(regions)
            if region not in known
        ]
    if problems:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        lines = [
            f"  {locate(path, root, where)}: "
            f"{'.'.join(str(p) for p in where)}: unknown UN M49 region {region!r}"
            for where, region in problems
        ]
        raise ConfigError(f"{path}: {len(lines)} error(s)\n" + "\n".join(lines))
    return directory


class MemberDirectoryFile(WatchedFile[MemberDirectory]):
    """Serve the current directory; a broken edit is logged and the last good one kept."""

    def __init__(
        self, path: Path, load: Callable[[Path], MemberDirectory] = load_member_directory
    ) -> None:
        super().__init__(path, load, what="member_directory")

    @classmethod
    def of(cls, directory: MemberDirectory) -> MemberDirectoryFile:
        """Wrap a directory already in memory (tests, benchmarks)."""
        return cls(Path("/nonexistent"), lambda _: directory)
