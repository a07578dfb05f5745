"""The Prometheus files in deploy/prometheus: valid, every alert unit-tested, every metric real."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.settings import SERVICES, Settings
from tests.unit.deploy.promql import exported_names, metric_names

PROMETHEUS = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules.yml"
RULE_TESTS = PROMETHEUS / "tests" / "rules_test.yml"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool not installed (Debian package `prometheus`; `make sysdeps-test`)")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.embedded.yml"])
def test_promtool_accepts_the_scrape_config_and_its_rules(config: str) -> None:
    result = promtool("check", "config", str(PROMETHEUS / config))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_rule_passes_its_promtool_unit_tests() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_test_rules_fails_when_a_rule_misbehaves(tmp_path: Path) -> None:
    broken = RULES.read_text().replace("> 1800", "> 999999")
    (tmp_path / "rules.yml").write_text(broken)
    tests = RULE_TESTS.read_text().replace("../rules.yml", str(tmp_path / "rules.yml"))
    (tmp_path / "rules_test.yml").write_text(tests)
    result = promtool("test", "rules", str(tmp_path / "rules_test.yml"))
    assert result.returncode != 0
    assert "StandbyFeedStale" in result.stdout + result.stderr


def test_every_alert_has_a_firing_case_and_a_quiet_case() -> None:
    cases = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in cases:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names - firing == set(), "alerts never shown firing"
    assert names - quiet == set(), "alerts never shown quiet"


def test_the_issue_names_alerts_are_all_there() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "StandbyFeedStale",
        "StandbySourceFailing",
        "StandbyDeliveryFailureRatio",
        "StandbyDeadLettersGrowing",
        "StandbyActivationUnacknowledged",
        "StandbyConsumerLagGrowing",
        "StandbyServiceDown",
    } <= names


def test_alert_rules_read_only_metrics_that_standby_exports() -> None:
    exported = exported_names()
    for rule in alert_rules():
        unknown = metric_names(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']} reads unknown metrics {unknown}"


def test_every_alert_tells_the_operator_what_and_how_bad() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]


def scrape_targets(config: str) -> dict[str, str]:
    scrape = yaml.safe_load((PROMETHEUS / config).read_text())["scrape_configs"]
    job = next(j for j in scrape if j["job_name"] == "standby")
    return {s["labels"]["service"]: s["targets"][0] for s in job["static_configs"]}


def test_both_scrape_configs_reach_every_service_on_its_configured_port() -> None:
    defaults = Settings()
    for config, host in (("prometheus.yml", None), ("prometheus.embedded.yml", "127.0.0.1")):
        targets = scrape_targets(config)
        assert set(targets) - {"runtime"} == set(SERVICES), config
        for service, target in targets.items():
            if service == "runtime":
                continue
            expected_host = host or service
            assert target == f"{expected_host}:{defaults.metrics_port_for(service)}", config


def test_the_embedded_config_scrapes_the_runtime_and_compose_has_none() -> None:
    defaults = Settings()
    assert scrape_targets("prometheus.embedded.yml")["runtime"] == (
        f"127.0.0.1:{defaults.runtime.health_port}"
    )
    # Under compose the services are restarted by Docker: no `standby run`, nothing on 9105.
    assert "runtime" not in scrape_targets("prometheus.yml")
