"""Column types the services' tables share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC timestamps")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A service's `Base.type_annotation_map`: `Mapped[datetime]` is aware UTC, dicts and lists JSON.
AWARE_TYPES: dict[Any, Any] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}

# `Mapped[UuidText]`: a UUID in its 36-character text form (`str(uuid)`), as every service stores it.
UuidText = Annotated[str, mapped_column(String(36))]
