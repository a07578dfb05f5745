"""The project's exception tree: every error standby raises on purpose derives from one base."""

from __future__ import annotations


class StandbyError(Exception):
    """Base of every error standby raises on purpose."""


class ConfigError(StandbyError):
    """A configuration file or setting is invalid; the message names file, line and field."""


class SourceError(StandbyError):
    """A feed document could not be fetched or read."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class DeliveryError(StandbyError):
    """A message could not be delivered to a contact."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent
