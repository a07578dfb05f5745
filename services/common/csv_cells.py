"""CSV that cannot attack the spreadsheet it is opened in, and opens as UTF-8 there.

A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is a formula to Excel and
LibreOffice (`=HYPERLINK(...)` in a member's note is a link on the committee's screen).
OWASP's rule: put a single quote in front, which the spreadsheet shows as text. Excel reads a
CSV without a byte-order mark in the machine's code page, garbling Japanese names.
"""

from __future__ import annotations

from typing import Any

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return a text cell that starts like a formula with a quote in front; others as they are.

    Numbers stay numbers: a negative count is not a formula, and only text comes from people.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every cell of a row made safe."""
    return {key: safe_cell(value) for key, value in row.items()}
