"""Every decision the code and the documents cite exists, under the number or the file name cited.

A successor follows "decision 0703" or a path under docs/decisions/ to learn why the code is as
it is; a number that names no record, or a file renamed since, sends them nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DECISIONS = ROOT / "docs" / "decisions"
SEARCHED = ["services", "schemas", "tests", "docs", "deploy", "benchmarks"]
SEARCHED_FILES = ["README.md", "Makefile", "docker-compose.yml", "Dockerfile", "pyproject.toml"]
SUFFIXES = {".py", ".md", ".html", ".txt", ".yaml", ".yml", ".toml", ".j2", ".sql"}

# "decision 0703", "decisions 0400 and 0501", "decision 0400, 0501 and 0504", "Decision 0400:"
CITATION = re.compile(r"[Dd]ecisions?\s+(\d{4}(?:(?:,\s*|\s+and\s+|\s*/\s*)\d{4})*)")
PATH = re.compile(r"docs/decisions/([0-9]{4}-[a-z0-9-]+\.md)")


def cited_in() -> list[Path]:
    files = [ROOT / name for name in SEARCHED_FILES if (ROOT / name).exists()]
    for folder in SEARCHED:
        files += [
            path
            for path in (ROOT / folder).rglob("*")
            if path.is_file()
            and path.suffix in SUFFIXES
            and "node_modules" not in path.parts
            and "fixtures" not in path.parts
        ]
    return files


def citations() -> list[tuple[str, str]]:
    """(where, what) for every decision number and decision file cited anywhere."""
    found = []
    for path in cited_in():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = str(path.relative_to(ROOT))
        for match in CITATION.finditer(text):
            found += [(where, number) for number in re.findall(r"\d{4}", match.group(1))]
        found += [(where, name) for name in PATH.findall(text)]
    return found


def test_the_citations_are_found() -> None:
    # The scan itself is what is under test here: it must see the citations the code is known
    # to make, or every other assertion would pass on nothing.
    cited = {what for _, what in citations()}
    assert {"0400", "0703", "0700"} <= cited


@pytest.mark.parametrize(("where", "what"), sorted(set(citations())))
def test_each_cited_decision_exists(where: str, what: str) -> None:
    if what.endswith(".md"):
        assert (DECISIONS / what).is_file(), (
            f"{where} cites docs/decisions/{what}, which is not there"
        )
    else:
        records = sorted(p.name for p in DECISIONS.glob(f"{what}-*.md"))
        assert len(records) == 1, f"{where} cites decision {what}: records {records}"
