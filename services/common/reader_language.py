"""Which of the pages' languages a reader gets when nothing about them is known but the request:
a `lang` the link carries, else the browser's Accept-Language (by its q-values), else English."""

from __future__ import annotations

LANGUAGES = ("ja", "en")


def reader_language(asked: str | None, accept_language: str | None, default: str = "en") -> str:
    """The language named by `asked` if the pages have it, else the browser's most preferred."""
    if asked in LANGUAGES:
        return asked
    best, best_q = default, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = _quality(params)
        # Strictly better only: of equal q the one listed first wins, and q=0 means "not this".
        if q > best_q:
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
