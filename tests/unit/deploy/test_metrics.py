"""The metrics module: bounded labels, primed vocabularies, the /metrics endpoint."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from services.common import metrics
from services.common.settings import SERVICES
from services.runtime import metrics as runtime_metrics
from tests.conftest import free_port

ALLOWED_LABELS = {"topic", "outcome", "source", "reason", "field", "level", "hazard"} | {
    "channel",
    "kind",
    "step",
    "state",
    "via",
    "process",  # the supervisor's roles: broker, smtp-sink and the services
    "answer",
    "table",  # the tables on the retention schedule, named in the services' code
}


def standby_metrics() -> list[MetricWrapperBase]:
    """Every series: the shared ones, each service's own and the runtime's."""
    modules = [metrics, runtime_metrics, *(metrics.service_metrics(s) for s in SERVICES)]
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, MetricWrapperBase) and value._name.startswith("standby_")
    ]


def exposition() -> str:
    return generate_latest(REGISTRY).decode()


def test_labels_come_only_from_small_closed_sets_never_ids_or_addresses() -> None:
    for metric in standby_metrics():
        unbounded = set(metric._labelnames) - ALLOWED_LABELS
        assert not unbounded, f"{metric._name} has unbounded labels {unbounded}"


def fresh_exposition(code: str) -> str:
    """Run `code` in a new interpreter and return its metrics: other tests move the counters."""
    script = (
        "from prometheus_client import REGISTRY, generate_latest\n"
        "from services.common import metrics\n"
        f"{code}\n"
        "print(generate_latest(REGISTRY).decode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_priming_a_service_exports_zeros_for_its_vocabulary() -> None:
    text = fresh_exposition('metrics.prime("notifier", ["activations.v1"])\nmetrics.prime("duty")')
    assert 'standby_deliveries_total{channel="chat",kind="page",outcome="failed"} 0.0' in text
    assert (
        'standby_handler_errors_total{outcome="dead_lettered",topic="activations.v1"} 0.0' in text
    )
    assert 'standby_duty_transitions_total{state="acknowledged",via="link"} 0.0' in text
    assert 'standby_escalations_total{step="1"} 0.0' in text, "a first escalation must count"
    assert 'standby_consumer_lag{topic="activations.v1"} 0.0' in text
    assert 'standby_dead_letters_total{topic="deliveries.v1"} 0.0' in text


def test_the_lag_of_every_source_and_hazard_is_primed_so_its_first_report_is_seen() -> None:
    text = fresh_exposition('metrics.prime("ingester")\nmetrics.prime("triage")')
    for name in ("standby_source_lag_seconds", "standby_alert_lag_seconds"):
        assert f'{name}_count{{hazard="EQ",source="usgs"}} 0.0' in text
        assert f'{name}_bucket{{hazard="TC",le="1800.0",source="gdacs"}} 0.0' in text


def test_priming_a_source_exports_its_poll_outcomes() -> None:
    from services.ingester import metrics

    metrics.prime_source("unit-feed")
    text = exposition()
    for outcome in metrics.POLL_OUTCOMES:
        assert f'standby_source_polls_total{{outcome="{outcome}",source="unit-feed"}} 0.0' in text


def test_a_service_serves_its_metrics_with_build_info_on_the_configured_address() -> None:
    port = free_port()
    metrics.start_metrics("triage", port, "9.9.9", host="127.0.0.1")
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'standby_build_info{python="' in body and 'version="9.9.9"' in body
    assert re.search(r'standby_decisions_total\{hazard="EQ",level="activate"\} \d', body)
