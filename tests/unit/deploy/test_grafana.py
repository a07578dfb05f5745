"""The Grafana dashboards: generated, checked in, provisioned, and reading real metrics."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.unit.deploy.promql import expand_macros, exported_names, metric_names

GRAFANA = Path(__file__).resolve().parents[3] / "deploy" / "grafana"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checked_in() -> dict[str, dict[str, Any]]:
    import json

    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def targets(dashboard: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (panel["title"], target)
        for panel in dashboard["panels"]
        if panel["type"] != "row"
        for target in panel.get("targets", [])
    ]


def test_the_checked_in_json_is_exactly_what_the_generator_writes() -> None:
    gen = generator()
    built = gen.build()
    files = {path.name for path in (GRAFANA / "dashboards").glob("*.json")}
    assert files == set(built), "a dashboard file is missing or not generated"
    for name, dashboard in built.items():
        on_disk = (GRAFANA / "dashboards" / name).read_text(encoding="utf-8")
        assert on_disk == gen.render(dashboard), f"{name} is stale: run deploy/grafana/generate.py"


def test_the_generator_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    gen = generator()
    gen.DASHBOARDS = tmp_path
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
    (tmp_path / "standby-ops.json").write_text("{}")
    assert gen.main(["--check"]) == 1


def test_every_panel_query_reads_only_metrics_standby_exports() -> None:
    exported = exported_names()
    for name, dashboard in checked_in().items():
        for title, target in targets(dashboard):
            unknown = metric_names(target["expr"]) - exported
            assert not unknown, f"{name} / {title} reads unknown metrics {unknown}"


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package `prometheus`; `make sysdeps-test`)")
    rules = [
        {"record": f"check:panel_{n}", "expr": expand_macros(target["expr"])}
        for n, (_, target) in enumerate(
            t for dashboard in checked_in().values() for t in targets(dashboard)
        )
    ]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_panel_uses_the_provisioned_datasource_and_has_a_unique_id() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    uid = provisioned[0]["uid"]
    uids = set()
    for name, dashboard in checked_in().items():
        uids.add(dashboard["uid"])
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == uid, (name, panel["title"])
            assert panel["targets"], (name, panel["title"])
            letters = [t["refId"] for t in panel["targets"]]
            assert len(letters) == len(set(letters)), (name, panel["title"])
    assert len(uids) == len(checked_in())


def test_the_ops_overview_shows_what_the_ops_team_watches() -> None:
    read = {
        m for _, t in targets(checked_in()["standby-ops.json"]) for m in metric_names(t["expr"])
    }
    assert {
        "standby_source_last_success_timestamp_seconds",
        "standby_decisions_total",
        "standby_deliveries_total",
        "standby_time_to_ack_seconds_bucket",
        "standby_consumer_lag",
        "standby_handler_errors_total",
        "standby_outbox_depth",
    } <= read


def test_the_funnel_goes_from_hazard_event_to_acknowledgement() -> None:
    funnel = next(
        p
        for p in checked_in()["standby-funnel.json"]["panels"]
        if p["title"] == "Activation funnel"
    )
    stages = [next(iter(metric_names(t["expr"]))) for t in funnel["targets"]]
    assert stages[0] == "standby_decisions_total"
    assert "standby_decisions_total" in stages
    assert "standby_deliveries_total" in stages
    assert 'state="acknowledged"' in funnel["targets"][-1]["expr"]
