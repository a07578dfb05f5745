"""The ingester's tables: what it has published of each event, so nothing is published twice."""

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
