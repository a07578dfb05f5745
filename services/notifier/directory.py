"""The member directory as the running notifier sees it: loaded at start, re-read when edited."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from schemas.members import MemberDirectory
from services.common.config_files import WatchedFile, load_yaml_model, locate
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


class DirectoryFile(WatchedFile[MemberDirectory]):
    """Serve the current directory; a broken edit is logged and the last good one kept."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, load_directory, what="member_directory")
