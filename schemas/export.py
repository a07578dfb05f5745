"""JSON Schema of every topic's message, for consumers outside Python."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.acks import AckEvent
from schemas.activations import Activation
from schemas.base import Message
from schemas.deliveries import Delivery
from schemas.dlq import DeadLetter
from schemas.hazards import HazardEvent
from schemas.pages import Page
from schemas.responses import CoordinationNotice, RollCallAnswer, RollCallStep
from schemas.topics import (
    ACKS,
    ACTIVATIONS,
    ANSWERS,
    COORDINATION,
    DELIVERIES,
    HAZARDS,
    PAGES,
    ROLLCALL,
    dlq,
)

TOPIC_MODELS: dict[str, type[Message]] = {
    HAZARDS: HazardEvent,
    ACTIVATIONS: Activation,
    PAGES: Page,
    DELIVERIES: Delivery,
    ACKS: AckEvent,
    ANSWERS: RollCallAnswer,
    COORDINATION: CoordinationNotice,
    ROLLCALL: RollCallStep,
    dlq("<topic>"): DeadLetter,
}


def json_schemas() -> dict[str, str]:
    """Render each topic's schema as stable, sorted JSON text, keyed by file name."""
    out: dict[str, str] = {}
    for topic, model in TOPIC_MODELS.items():
        name = "dlq" if topic.endswith(".dlq") else topic
        schema = model.model_json_schema()
        schema["$id"] = f"https://standby.example/schemas/{name}.json"
        schema["x-topic"] = topic
        out[f"{name}.json"] = (
            json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    return out


def export_json_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in json_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
