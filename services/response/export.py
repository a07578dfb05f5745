"""The board for the standing committee: one JSON document, one CSV row per organisation."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from services.common.csv_cells import BOM, safe_row
from services.response.models import RollCallRow
from services.response.rollcall import Board, BoardRow, StepView

CSV_COLUMNS = (
    "organisation_id",
    "organisation_ja",
    "organisation_en",
    "kind",
    "answer",
    "answered_at",
    "via",
    "earliest_arrival_hours",
    "staff",
    "sectors",
    "survey_budget_jpy",
    "note",
    "answers",
    "plan_matches",
    "nearest_stock",
    "offers",
    "survey_budget_cap_jpy",
    "programme_participant",
)


def _row(row: BoardRow) -> dict[str, Any]:
    org, latest, match = row.organisation, row.latest, row.match
    return {
        "organisation_id": row.organisation_id,
        "organisation_ja": org.name_ja if org else None,
        "organisation_en": org.name_en if org else None,
        "kind": org.kind.value if org else None,
        "answer": latest.answer.value if latest else None,
        "answered_at": latest.answered_at.isoformat() if latest else None,
        "via": latest.via.value if latest else None,
        "earliest_arrival_hours": latest.earliest_arrival_hours if latest else None,
        "staff": latest.staff if latest else None,
        "sectors": list(latest.sectors) if latest else [],
        "survey_budget_jpy": latest.survey_budget_jpy if latest else None,
        "note": latest.note if latest else None,
        "answers": row.answers,
        "plan_matches": [p.id for p in match.plans] if match else [],
        "nearest_stock": [
            {
                "item": s.supply.item,
                "quantity": s.supply.quantity,
                "unit": s.supply.unit,
                "country": s.supply.country,
                "place": s.supply.place,
            }
            for s in (match.stock if match else [])
        ],
        "offers": [
            {"kind": o.kind.value, "description": o.description, "capacity": o.capacity}
            for o in (match.offers if match else [])
        ],
    }


def board_document(held: RollCallRow, board: Board, trail: Sequence[StepView]) -> dict[str, Any]:
    """Describe the whole roll-call as JSON."""
    totals = board.totals
    return {
        "incident_id": held.incident_id,
        "activation_id": held.activation_id,
        "summary": held.summary,
        "status": held.status,
        "opened_at": held.opened_at.isoformat(),
        "reminder_sent_at": held.reminder_sent_at.isoformat() if held.reminder_sent_at else None,
        "survey": held.survey,
        "survey_decided_at": (
            held.survey_decided_at.isoformat() if held.survey_decided_at else None
        ),
        "programme": held.programme,
        "launched_at": held.launched_at.isoformat() if held.launched_at else None,
        "organisations": [_row(row) for row in board.rows],
        "not_answered": [row.organisation_id for row in board.not_answered],
        "totals": {
            "addressed": totals.addressed,
            "answered": totals.answered,
            "answer_rate": round(totals.answer_rate, 4),
            "by_answer": {k.value: v for k, v in totals.by_answer.items()},
            "staff": totals.staff,
            "budget_requested_jpy": totals.budget_requested_jpy,
            "supplies": [
                {"item": item, "unit": unit, "quantity": quantity}
                for (item, unit), quantity in sorted(totals.supplies.items())
            ],
        },
        "timeline": [
            {
                "at": entry.at.isoformat(),
                "action": entry.action,
                "officer_id": entry.officer_id,
                "via": entry.via,
                "detail": entry.detail,
            }
            for entry in trail
        ],
    }


def board_csv(held: RollCallRow, board: Board) -> str:
    """One row per organisation, with the survey cap and programme participation; starts with
    a byte-order mark, and no cell can be read as a formula."""
    caps = {s["organisation_id"]: s["budget_jpy"] for s in held.survey or []}
    participants = set((held.programme or {}).get("participants", []))
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in board.rows:
        data = _row(row)
        data["sectors"] = " ".join(data["sectors"])
        data["plan_matches"] = " ".join(data["plan_matches"])
        data["nearest_stock"] = "; ".join(
            f"{s['item']} {s['quantity']} {s['unit']} ({s['place']}, {s['country']})"
            for s in data["nearest_stock"]
        )
        data["offers"] = "; ".join(f"{o['kind']}: {o['description']}" for o in data["offers"])
        data["survey_budget_cap_jpy"] = caps.get(row.organisation_id)
        data["programme_participant"] = "yes" if row.organisation_id in participants else ""
        writer.writerow(safe_row(data))
    return out.getvalue()
