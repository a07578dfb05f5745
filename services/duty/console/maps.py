"""The incident map on an activation's page: drawn from the activation and the member directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schemas.activations import IncidentSummary
from schemas.members import Language, MemberDirectory
from services.common.errors import ConfigError
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.domain.maps.scene import incident_scene
from services.domain.maps.svg import DrawnMap, draw

log = get_logger(__name__)


def member_directory(path: Path) -> Callable[[], MemberDirectory]:
    """The member directory the maps draw members from, re-read when edited.

    The console works without it: a directory that cannot be read leaves the map with the
    incident alone, never a console that does not start.
    """
    try:
        watched = MemberDirectoryFile(path)
    except ConfigError as err:
        log.warning("member_directory_unreadable_maps_without_members", error=str(err))
        return MemberDirectory
    return watched.current


def activation_map(summary: IncidentSummary, directory: MemberDirectory, language: str) -> DrawnMap:
    """Draw an activation's map for an officer reading in `language`."""
    scene = incident_scene(summary, directory, Language(language))
    return draw(scene, ident="activation-map")
