"""Saved feed documents read as the ingester reads them (for the offline tools)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from schemas.hazards import HazardEvent
from services.common.errors import SourceError
from services.ingester.aliases import AliasBook
from services.ingester.sources import DocumentRepair, ParseResult, read_document
from services.triage.backtest import BacktestError, in_time_order


@dataclass(frozen=True)
class Unreadable:
    path: Path
    error: str


@dataclass(frozen=True)
class Repaired:
    """A document read after removing what came before its first markup."""

    path: Path
    repairs: list[DocumentRepair]


def read_events(
    documents: Iterable[Path],
    *,
    on_error: Callable[[Unreadable], None] | None = None,
    on_repair: Callable[[Repaired], None] | None = None,
) -> list[HazardEvent]:
    """Normalise every document as the ingester would, and order the reports in time.

    A document that yields no report is reported like an unreadable one, with why: a
    document nothing reads must never pass for a quiet past. USGS events are keyed as the
    ingester keys them, so a changed preferred id stays one event.
    """
    events: list[HazardEvent] = []
    for path in documents:
        try:
            result = read_document(path.read_bytes(), name=path.name)
        except (SourceError, OSError) as err:
            if on_error is None:
                raise BacktestError(f"{path}: {err}") from err
            on_error(Unreadable(path, str(err)))
            continue
        if not result.events:
            error = f"{path.name}: no report read ({empty_reason(result)})"
            if on_error is None:
                raise BacktestError(error)
            on_error(Unreadable(path, error))
            continue
        if result.repairs and on_repair is not None:
            on_repair(Repaired(path, result.repairs))
        events.extend(result.events)
    return AliasBook().key_all(in_time_order(events))


def empty_reason(result: ParseResult) -> str:
    """Say why a readable document gave no report: its items' reasons, or that it had none."""
    if not result.rejections:
        return f"a {result.kind} document with no items"
    first = result.rejections[0]
    return (
        f"{len(result.rejections)} item(s) of a {result.kind} document refused, e.g. "
        f"{first.item}: {first.reason.value}: {first.detail}"
    )
