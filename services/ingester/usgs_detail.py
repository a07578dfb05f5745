"""PAGER's fatality and economic levels for USGS events, fetched only when worth a request.

A summary feed says whether PAGER exists (`types` holds `losspager`) and its overall level
(`alert`), not the two levels it is the higher of, nor whether a seismologist reviewed it.
Those are in the event's detail document and its losspager product's `alerts.json` (or
`pager.xml` for older PAGER versions). They are fetched when `types` gains `losspager` or
`shakemap`, or when `alert` changes: a big quake's `updated` moves every few minutes with
felt reports, and none of those is worth a request. What was fetched is kept per event and
put on each later version of it, so that a version read from the summary alone never drops
the levels. It is kept in the ingester's database too (`ingester_usgs_details`): a restarted
ingester reads it back instead of fetching every listed event's detail again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.hazards import HazardEvent, Pager, Source
from services.common.db import Database
from services.common.errors import SourceError
from services.common.logs import get_logger
from services.ingester.fetch import Fetcher
from services.ingester.sources import pager as pager_files
from services.ingester.sources import usgs
from services.ingester.sources.safety import parse_json
from services.ingester.store import load_details, record_detail

log = get_logger(__name__)

_KEPT = 5_000  # events remembered; a day of M2.5+ worldwide is a few hundred


_Trigger = tuple[tuple[str, ...], str | None]


@dataclass(frozen=True)
class _Fetched:
    trigger: _Trigger
    pager: Pager

    def dumps(self) -> tuple[str, str]:
        return json.dumps([list(self.trigger[0]), self.trigger[1]]), self.pager.model_dump_json()

    @classmethod
    def loads(cls, trigger: str, pager: str) -> _Fetched | None:
        """Read a stored row; None for one this version cannot read (it is fetched again)."""
        try:
            products, alert = json.loads(trigger)
            return cls((tuple(products), alert), Pager.model_validate_json(pager))
        except ValueError:
            return None


def _trigger(event: HazardEvent) -> _Trigger:
    products = tuple(p for p in usgs.DETAIL_TRIGGERS if usgs.has_product(event, p))
    alert = event.pager.alert.value if event.pager and event.pager.alert else None
    return products, alert


def merged(summary: Pager | None, detail: Pager) -> Pager:
    """The summary's own facts, with what only the detail knows added."""
    if summary is None:
        return detail
    return summary.model_copy(
        update={
            "alert": summary.alert or detail.alert,
            "fatality_alert": detail.fatality_alert,
            "economic_alert": detail.economic_alert,
            "pending": detail.pending,
            "reviewed": detail.reviewed,
            "max_mmi": summary.max_mmi if summary.max_mmi is not None else detail.max_mmi,
            "version": detail.version,
        }
    )


class DetailReader:
    """Enrich a document's USGS events with PAGER's detail (an Enricher for the poller)."""

    def __init__(self, fetcher: Fetcher, *, per_poll: int, db: Database | None = None) -> None:
        self.fetcher = fetcher
        self.per_poll = per_poll
        self.db = db
        self.known: dict[str, _Fetched] = {}

    async def __call__(self, events: list[HazardEvent]) -> list[HazardEvent]:
        await self._recall(e.source_id for e in events if e.source is Source.USGS)
        budget = self.per_poll
        enriched: list[HazardEvent] = []
        for event in events:
            if event.source is not Source.USGS:
                enriched.append(event)
                continue
            trigger = _trigger(event)
            known = self.known.get(event.source_id)
            wanted = (trigger[0] or trigger[1]) and (known is None or known.trigger != trigger)
            if wanted and budget > 0:
                budget -= 1
                detail = await self.pager_of(event)
                if detail is not None:
                    known = self._keep(event.source_id, _Fetched(trigger, detail))
                    await self._store(event.source_id, known)
            if known is not None:
                event = event.model_copy(update={"pager": merged(event.pager, known.pager)})
            enriched.append(event)
        return enriched

    async def _recall(self, event_ids: Iterable[str]) -> None:
        """Read back what earlier runs fetched of events not held in memory."""
        missing = [i for i in event_ids if i not in self.known]
        if self.db is None or not missing:
            return
        async with self.db.sessions() as session:
            stored = await load_details(session, missing)
        for event_id, row in stored.items():
            fetched = _Fetched.loads(*row)
            if fetched is not None:
                self._keep(event_id, fetched)

    async def _store(self, event_id: str, fetched: _Fetched) -> None:
        if self.db is None:
            return
        async with self.db.transaction() as session:
            await record_detail(session, event_id, *fetched.dumps())

    def _keep(self, event_id: str, fetched: _Fetched) -> _Fetched:
        if len(self.known) >= _KEPT and event_id not in self.known:
            self.known.pop(next(iter(self.known)))
        self.known[event_id] = fetched
        return fetched

    async def pager_of(self, event: HazardEvent) -> Pager | None:
        """Fetch the detail document and PAGER's levels; None (retried later) when they fail."""
        url = usgs.detail_url(event)
        if url is None:
            return None
        try:
            fetched = await self.fetcher.fetch(url, conditional=False)
            detail = parse_json(fetched.body or b"")
            pager = usgs.with_losspager(Pager(), _losspager(detail))
            levels_url, reader = _levels_file(detail)
            if levels_url is not None:
                body = (await self.fetcher.fetch(levels_url, conditional=False)).body or b""
                pager = pager_files.with_levels(pager, *reader(body))
        except SourceError as err:
            log.warning(
                "usgs_detail_failed", usgs_id=event.source_id, reason=err.reason, detail=err.detail
            )
            return None
        return pager


def _losspager(detail: Any) -> Any:
    props = detail.get("properties") if isinstance(detail, dict) else None
    products = props.get("products") if isinstance(props, dict) else None
    return products.get("losspager") if isinstance(products, dict) else None


_Reader = Any


def _levels_file(detail: Any) -> tuple[str | None, _Reader]:
    """The URL of the preferred losspager's alerts.json (else pager.xml), and its reader."""
    versions = _losspager(detail)
    for product in versions if isinstance(versions, list) else []:
        if not isinstance(product, dict) or str(product.get("status", "")).upper() == "DELETE":
            continue
        contents = product.get("contents")
        contents = contents if isinstance(contents, dict) else {}
        for name, reader in (
            ("json/alerts.json", pager_files.levels_from_alerts_json),
            ("pager.xml", pager_files.levels_from_xml),
        ):
            entry = contents.get(name)
            url = entry.get("url") if isinstance(entry, dict) else None
            if isinstance(url, str) and url.startswith("https://earthquake.usgs.gov/"):
                return url, reader
        return None, None
    return None, None
