"""The one logging setup: structlog, JSON in production, coloured when attached to a terminal."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import structlog
from pydantic import BaseModel, SecretStr

_SECRET_KEYS = ("password", "secret", "signing_key", "token", "apprise_url", "apprise_urls")
_MASK = "***"
# Secret values known to this process (settings, rota and member files): scrubbed from every
# rendered line, whatever key, message or traceback they hide in.
_SECRET_VALUES: set[str] = set()
_MIN_SECRET_LEN = 6  # shorter values would scrub ordinary words


def secret_values(value: Any) -> Iterator[str]:
    """Yield every SecretStr value inside a pydantic model, list, tuple or dict."""
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from secret_values(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from secret_values(item)


def register_secrets(*values: str) -> None:
    """Never let these values appear in a log line of this process."""
    _SECRET_VALUES.update(v for v in values if len(v) >= _MIN_SECRET_LEN)


def _scrub(text: str) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted(_SECRET_VALUES, key=len, reverse=True):
        if value in text:
            text = text.replace(value, _MASK)
    return text


def _scrubbing(renderer: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the final renderer so no registered secret survives into the output."""

    def render(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> Any:
        rendered = renderer(logger, name, event_dict)
        return _scrub(rendered) if isinstance(rendered, str) and _SECRET_VALUES else rendered

    return render


def _mask_secrets(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any secret-looking key, so no call site can leak one by accident."""
    for key in list(event_dict):
        if any(marker in key.lower() for marker in _SECRET_KEYS):
            event_dict[key] = _MASK
    return event_dict


class BrokerOutage(logging.Filter):
    """Say a broker outage in three kinds of lines instead of the kafka client's thousands.

    `broker_unreachable` once when it goes, `broker_still_unreachable` at most every
    `summary_every_s` with what was held back, `broker_reachable` once when it is back. The
    client's own warnings and errors are held back while the broker is away; "back" is told by
    standby's code when something reached the broker (a consumed message, a publish, a lag
    measurement, the broker wait ending).
    """

    def __init__(
        self,
        summary_every_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        settle_s: float = 10.0,
    ):
        super().__init__()
        self.summary_every_s = summary_every_s
        self.settle_s = settle_s
        self.back_at = -settle_s
        self.first_unsettled = 0.0
        self.clock = clock
        self.down_since: float | None = None
        self.last_summary = 0.0
        self.held_back: Counter[str] = Counter()
        # The broker in use ("host:port"); lines about another port are from the clients of a
        # lost broker being closed, and say nothing about this one.
        self.address = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith("aiokafka"):
            return True
        text = record.getMessage()
        host, _, port = self.address.rpartition(":")
        if not (host and host in text and port not in text):
            self.unreachable(text)
        return False

    def unreachable(self, error: str) -> None:
        """Note a failure to reach the broker; say so once, then in summaries."""
        now = self.clock()
        error = error.splitlines()[0][:300] if error else ""
        if self.down_since is None and now - self.back_at < self.settle_s:
            # Just back: a group still forming answers "coordinator not available" for a few
            # seconds while messages flow. Only errors that outlast the settling are an outage.
            self.first_unsettled = self.first_unsettled or now
            if now - self.first_unsettled < self.settle_s:
                self.held_back[re.sub(r"\d+", "N", error)[:160]] += 1
                return
        if self.down_since is None:
            self.down_since = self.last_summary = now
            self.first_unsettled = 0.0
            _outage_log().warning("broker_unreachable", error=error)
            return
        # Numbers (ports, ids, attempts) vary from line to line; the kind of error does not.
        self.held_back[re.sub(r"\d+", "N", error)[:160]] += 1
        if now - self.last_summary >= self.summary_every_s:
            self.last_summary = now
            _outage_log().warning(
                "broker_still_unreachable",
                for_s=round(now - self.down_since, 1),
                errors_held_back=sum(self.held_back.values()),
                most_common=[f"{n}× {text}" for text, n in self.held_back.most_common(3)],
            )

    def reachable(self) -> None:
        """Note that the broker answered; say so once if it had been away."""
        if self.down_since is None:
            return
        _outage_log().warning(
            "broker_reachable",
            after_s=round(self.clock() - self.down_since, 1),
            errors_held_back=sum(self.held_back.values()),
        )
        self.down_since = None
        self.held_back.clear()
        self.back_at = self.clock()
        self.first_unsettled = 0.0


_OUTAGE = BrokerOutage()


def _outage_log() -> structlog.stdlib.BoundLogger:
    return get_logger("standby.broker")


def broker_address(bootstrap_servers: str) -> None:
    """Name the broker now in use (its first address), so lines about a lost one are dropped."""
    _OUTAGE.address = bootstrap_servers.split(",")[0]


def broker_unreachable(error: str) -> None:
    """Standby's own code failed to reach the broker (one line per outage, then summaries)."""
    _OUTAGE.unreachable(error)


def broker_reachable() -> None:
    """Something reached the broker: ends an outage's summaries with one line (cheap otherwise)."""
    if _OUTAGE.down_since is not None:
        _OUTAGE.reachable()


# This process's `configure_logging` arguments, for the short-lived children it starts.
_SETUP: dict[str, str] = {}


def logging_setup() -> dict[str, str]:
    """The arguments this process configured its logging with (empty if it never did)."""
    return dict(_SETUP)


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "auto") -> None:
    """Configure structlog and the stdlib root logger for one process."""
    _SETUP.update(service=service, level=level, fmt=fmt)
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if json_output else []),
            _scrubbing(renderer),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(_OUTAGE)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in (
        "aiokafka",
        "aiosqlite",
        "httpx",
        "httpcore",
        "mail.log",
        "apprise",
        "faststream",
    ):
        library = logging.getLogger(noisy)
        library.setLevel(max(logging.WARNING, root.level))
        # FastStream installs its own handler and stops propagation: take its lines back.
        library.handlers.clear()
        library.propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structured logger."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
