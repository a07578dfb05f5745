"""Services depend on `schemas/` and `services/common/`, never on each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
ISOLATED = ("common", "ingester", "triage", "notifier", "duty")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ISOLATED)
def test_a_service_imports_only_schemas_common_and_itself(package: str) -> None:
    allowed = {f"services.{package}", "services.common"}
    offenders = []
    for path in sorted((SERVICES / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.startswith("services.") and not any(
                module == a or module.startswith(a + ".") for a in allowed
            ):
                offenders.append(f"{path.relative_to(SERVICES.parent)} imports {module}")
    assert offenders == []


def test_no_benchmark_imports_the_tests() -> None:
    benchmarks = SERVICES.parent / "benchmarks"
    offenders = [
        f"{path.name} imports {module}"
        for path in sorted(benchmarks.glob("*.py"))
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offenders == []
