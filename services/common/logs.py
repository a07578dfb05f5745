"""The one logging setup: structlog, JSON in production, coloured when attached to a terminal."""

from __future__ import annotations

import logging
import sys
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


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "auto") -> None:
    """Configure structlog and the stdlib root logger for one process."""
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
