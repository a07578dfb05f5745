"""For tests that hand a service a file of their own: config written where the test says."""

from __future__ import annotations

from pathlib import Path


def written(path: Path, text: str) -> Path:
    """Write `text` to `path` in UTF-8, as every config file is read, and return the path."""
    path.write_text(text, encoding="utf-8")
    return path
