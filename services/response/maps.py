"""The incident map on the roll-call board: the addressed organisations and their answers."""

from __future__ import annotations

from schemas.activations import IncidentSummary
from schemas.members import Language, MemberDirectory
from services.domain.maps.scene import incident_scene
from services.domain.maps.svg import DrawnMap, draw
from services.response.rollcall import Board


def board_map(
    summary: IncidentSummary, board: Board, directory: MemberDirectory, language: str
) -> DrawnMap:
    """Draw who was addressed, where they are present and keep stock, and what each answered."""
    answers = {row.organisation_id: row.latest.answer for row in board.rows if row.latest}
    scene = incident_scene(
        summary,
        directory,
        Language(language),
        organisations=[row.organisation_id for row in board.rows],
        answers=answers,
    )
    return draw(scene, ident="board-map")
