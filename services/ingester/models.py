"""The ingester's tables: what it has published of each event, so nothing is published twice,
the ids of USGS events, and what their detail documents said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SeenEvent(Base):
    """The newest version of one event that was published, and the values it was published with."""

    __tablename__ = "ingester_seen_events"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    publish_count: Mapped[int] = mapped_column(Integer, default=1)


class EventAlias(Base):
    """One USGS id and the id its event was first seen under (aliases.py)."""

    __tablename__ = "ingester_event_aliases"

    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100))
    # When the alias was first seen; empty for the rows recorded before it was kept.
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsgsDetail(Base):
    """What PAGER's detail said of one USGS event, and what prompted the fetch (usgs_detail.py).

    Kept so that a restarted ingester does not fetch again every event's detail document
    (two requests each) when nothing that prompts a fetch has changed.
    """

    __tablename__ = "ingester_usgs_details"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    trigger: Mapped[str] = mapped_column(Text)
    pager: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
