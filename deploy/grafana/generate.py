"""Generate standby's Grafana dashboards from Python (grafana-foundation-sdk).

    .venv/bin/python deploy/grafana/generate.py          # rewrite deploy/grafana/dashboards/*.json
    .venv/bin/python deploy/grafana/generate.py --check  # exit 1 if the checked-in JSON is stale

The JSON files are checked in so Grafana can provision them without Python; a unit test fails
when they drift from this script. Every query reads only metrics declared in a metrics module
(services/common/metrics.py and services/<service>/metrics.py), and the end-to-end test evaluates every one of them against a real Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import count
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row, ThresholdsConfig
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    BigValueColorMode,
    BigValueGraphMode,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
)

HERE = Path(__file__).resolve().parent
DASHBOARDS = HERE / "dashboards"
# The uid given to the Prometheus datasource in provisioning/datasources/prometheus.yml.
DATASOURCE = DataSourceRef(type_val="prometheus", uid="standby-prometheus")
RATE = "$__rate_interval"
RANGE = "$__range"
# Rare events (a source's first report of a quake, a few a day): over a minute's rate a panel
# would show each one for a minute and then nothing; over six hours it shows the lag of late
# (decision 0308).
SPARSE = "6h"

Query = tuple[str, str]  # (PromQL, legend)


class Board:
    """A dashboard being laid out: panels get stable ids and lettered queries."""

    def __init__(self, title: str, uid: str, description: str) -> None:
        self.ids = count(1)
        self.dashboard = (
            Dashboard(title)
            .uid(uid)
            .description(description)
            .tags(["standby"])
            .refresh("30s")
            .time("now-6h", "now")
            .timezone("browser")
        )

    def row(self, title: str) -> None:
        self.dashboard.with_row(Row(title).id(next(self.ids)))

    def add(self, panel: Any, description: str, *queries: Query) -> None:
        """Add a panel; one that shows a latest value (stat, bar gauge, table) asks instant
        queries, a time series asks over its range."""
        instant = not isinstance(panel, timeseries.Panel)
        panel = panel.id(next(self.ids)).description(description).datasource(DATASOURCE)
        for letter, (expr, legend) in zip("ABCDEFGHIJ", queries, strict=False):
            target = (
                prometheus.Dataquery()
                .expr(expr)
                .legend_format(legend)
                .ref_id(letter)
                .datasource(DATASOURCE)
            )
            if instant:
                target = target.instant()
            panel = panel.with_target(target)
        self.dashboard.with_panel(panel)

    def build(self) -> dict[str, Any]:
        encoded: dict[str, Any] = json.loads(json.dumps(self.dashboard.build(), cls=JSONEncoder))
        return encoded


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def graph(title: str, unit: str, width: int = 12) -> timeseries.Panel:
    return timeseries.Panel().title(title).unit(unit).height(8).span(width).fill_opacity(10)


def number(title: str, unit: str = "short", width: int = 4) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .unit(unit)
        .height(5)
        .span(width)
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
    )


def quantiles(metric: str, by: str = "", window: str = RATE) -> list[Query]:
    group = f"{by}, le" if by else "le"
    label = "".join(f"{{{{{name.strip()}}}}} " for name in by.split(",")) if by else ""
    return [
        (
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket[{window}])))",
            f"{label}p{round(q * 100)}",
        )
        for q in (0.5, 0.95)
    ]


def per_second(metric: str, by: str = "", legend: str | None = None) -> Query:
    """A counter's rate, summed by labels; the legend names them unless one is given."""
    return _summed("rate", metric, RATE, by, legend)


def in_range(metric: str, by: str = "", legend: str | None = None) -> Query:
    """A counter's increase over the dashboard's time range, summed by labels."""
    return _summed("increase", metric, RANGE, by, legend)


def _summed(function: str, metric: str, window: str, by: str, legend: str | None) -> Query:
    group = f" by ({by}) " if by else ""
    labels = " ".join(f"{{{{{label.strip()}}}}}" for label in by.split(",")) if by else ""
    return f"sum{group}({function}({metric}[{window}]))", labels if legend is None else legend


def ops_overview() -> dict[str, Any]:
    """Build the ops team's overview: feeds, decisions, deliveries, duty, plumbing."""
    b = Board(
        "standby · ops overview",
        "standby-ops",
        "Feed freshness, triage decisions, deliveries, duty response and the plumbing between.",
    )
    b.row("Feeds")
    b.add(
        graph("Feed freshness (time since last good fetch)", "s", 8).thresholds(
            thresholds((None, "green"), (900, "orange"), (1800, "red"))
        ),
        "Alert StandbyFeedStale fires past 30 minutes.",
        (
            "time() - max by (source) (standby_source_last_success_timestamp_seconds)",
            "{{source}}",
        ),
    )
    b.add(
        graph("Polls by outcome", "ops", 8),
        "Fetches per second per source: ok, not_modified (304) or failed.",
        per_second("standby_source_polls_total", "source, outcome"),
    )
    b.add(
        graph("Poll failures by reason", "ops", 8),
        "Why polls failed (timeouts, HTTP status, oversized or unparsable documents).",
        per_second("standby_source_failures_total", "source, reason"),
    )
    b.add(
        graph("Items parsed and rejected", "ops", 8),
        "Feed items normalised into hazard events, and items refused by reason.",
        per_second("standby_items_parsed_total", "source", legend="{{source}} parsed"),
        per_second(
            "standby_items_rejected_total",
            "source, reason",
            legend="{{source}} rejected: {{reason}}",
        ),
    )
    b.add(
        graph("Hazard events published", "ops", 8),
        "New events or changed versions sent to triage.",
        per_second("standby_events_published_total", "source"),
    )
    b.add(
        graph("Fetch and parse latency", "s", 8),
        "Per source, from request to parsed document.",
        *quantiles("standby_source_fetch_seconds", "source"),
    )
    b.add(
        graph("Source lag (event origin → first seen)", "s", 12),
        "How late each source tells: from an event's origin to when standby first saw it, per"
        " source and hazard, over the six hours before each point (USGS earthquakes in minutes,"
        " GDACS later; a feed read after an outage shows days).",
        *quantiles("standby_source_lag_seconds", "source, hazard", window=SPARSE),
    )
    b.add(
        graph("Alert lag (first seen → activation)", "s", 12),
        "From when standby first saw the report that crossed a level to the activation it caused,"
        " by that report's source and hazard, over the six hours before each point.",
        *quantiles("standby_alert_lag_seconds", "source, hazard", window=SPARSE),
    )

    b.row("Triage")
    b.add(
        graph("Decisions per level", "ops", 8),
        "Every hazard event gets a decision: none, watch, standby or activate.",
        per_second("standby_decisions_total", "level"),
    )
    b.add(
        bargauge.Panel()
        .title("Standby and activate decisions by hazard")
        .height(8)
        .span(8)
        .orientation(VizOrientation.HORIZONTAL)
        .display_mode(BarGaugeDisplayMode.GRADIENT),
        "Over the dashboard's time range.",
        in_range('standby_decisions_total{level=~"standby|activate"}', "hazard"),
    )
    b.add(
        graph("Decision latency", "s", 8),
        "Time for triage to decide on one hazard event.",
        *quantiles("standby_decision_seconds"),
    )
    b.add(
        number("Activations in range", width=6),
        "Activations published (a new level or an upgrade of an incident).",
        in_range("standby_activations_total", "level"),
    )
    b.add(
        number("Incidents open", width=6),
        "Incidents at watch or above that are not closed.",
        ("sum(standby_incidents_open)", "open"),
    )

    b.row("Deliveries")
    b.add(
        graph("Deliveries by channel and outcome", "ops", 12),
        "Member alerts, pages and notices handed to email or chat.",
        per_second("standby_deliveries_total", "channel, outcome"),
    )
    b.add(
        graph("Delivery failure ratio", "percentunit", 12).thresholds(
            thresholds((None, "green"), (0.05, "red"))
        ),
        "Permanent failures over finished deliveries; alert StandbyDeliveryFailureRatio past 5 %.",
        (
            f'sum by (channel) (rate(standby_deliveries_total{{outcome="failed"}}[{RATE}]))'
            f' / sum by (channel) (rate(standby_deliveries_total{{outcome=~"sent|failed"}}[{RATE}]))',
            "{{channel}}",
        ),
    )
    b.add(
        graph("Send latency", "s", 8),
        "Time to hand one message to its channel.",
        *quantiles("standby_send_seconds", "channel"),
    )
    b.add(
        graph("Delivery retries", "ops", 8),
        "Transient failures scheduled for another try.",
        per_second("standby_delivery_retries_total", "channel"),
    )
    b.add(
        graph("Dead letters", "short", 8),
        "Messages sent to a dead-letter topic over the time range; alert StandbyDeadLettersGrowing.",
        in_range("standby_dead_letters_total", "service, topic"),
    )

    b.row("Duty")
    b.add(
        number("Open and unacknowledged", width=6).thresholds(
            thresholds((None, "green"), (1, "red"))
        ),
        "Activations paged and not yet acknowledged.",
        ("sum(standby_open_unacknowledged)", "unacknowledged"),
    )
    b.add(
        number("Time to acknowledge", "s", width=6),
        "From first page to acknowledgement, over the time range.",
        *quantiles("standby_time_to_ack_seconds", window=RANGE),
    )
    b.add(
        number("Pages in range", width=6),
        "Pages issued by level.",
        in_range("standby_pages_total", "level"),
    )
    b.add(
        number("Escalations in range", width=6),
        "Escalations past the first page, by step (1 = first escalation).",
        in_range("standby_escalations_total", "step", legend="step {{step}}"),
    )
    b.add(
        graph("Duty transitions", "short", 24),
        "Paged, escalated, acknowledged, launched, stood down, and through what.",
        in_range("standby_duty_transitions_total", "state, via", legend="{{state}} via {{via}}"),
    )

    b.row("Retention")
    b.add(
        graph("Rows kept", "short", 10),
        "Rows each table holds after the latest pruning round (README: the retention schedule).",
        ("max by (service, table) (standby_retention_rows)", "{{service}} {{table}}"),
    )
    b.add(
        graph("Rows pruned", "ops", 10),
        "Rows the retention schedule deletes, per table.",
        per_second("standby_retention_pruned_total", "service, table"),
    )
    b.add(
        number("Members erased", width=4),
        "Organisations and contacts gone from the directory whose personal data was erased.",
        in_range("standby_erasures_total", legend="erased"),
    )
    b.row("Plumbing")
    b.add(
        number("Services up", width=6)
        .thresholds(thresholds((None, "red"), (1, "green")))
        .color_mode(BigValueColorMode.BACKGROUND),
        "1 when Prometheus can scrape the service; alert StandbyServiceDown.",
        ('up{job="standby"}', "{{service}}"),
    )
    b.add(
        graph("Consumer lag", "short", 9),
        "Records each service's consumer group has not committed yet, per topic.",
        ("max by (service, topic) (standby_consumer_lag)", "{{service}} {{topic}}"),
    )
    b.add(
        graph("Outbox depth", "short", 9),
        "Decided events not yet relayed to the broker.",
        ("max by (service) (standby_outbox_depth)", "{{service}}"),
    )
    b.add(
        graph("Messages consumed", "ops", 12),
        "Messages handled per service and topic.",
        per_second("standby_messages_consumed_total", "service, topic"),
    )
    b.add(
        graph("Handler errors", "ops", 12),
        "Handler failures: retried, or dead-lettered after the last try.",
        per_second("standby_handler_errors_total", "service, topic, outcome"),
    )
    b.add(
        table.Panel().title("Build").height(6).span(24),
        "Version of every running service.",
        ("max by (service, version, python) (standby_build_info)", ""),
    )
    return b.build()


def activation_funnel() -> dict[str, Any]:
    """Build the funnel board: hazard event → decision → activation → delivered → acknowledged."""
    b = Board(
        "standby · activation funnel",
        "standby-funnel",
        "How many hazard events became decisions, activations, delivered alerts and acknowledged pages.",
    )
    stages: list[Query] = [
        # Counted where triage decides, not where the ingester publishes: a freshly started
        # ingester publishes its first burst before Prometheus first scrapes it, and
        # increase() cannot see a counter's first value.
        in_range("standby_decisions_total", legend="1 hazard events triaged"),
        in_range(
            'standby_decisions_total{level=~"standby|activate"}',
            legend="2 decisions at standby or activate",
        ),
        in_range('standby_activations_total{level=~"standby|activate"}', legend="3 activations"),
        in_range(
            'standby_deliveries_total{kind="member_alert",outcome="sent"}',
            legend="4 member alerts delivered",
        ),
        in_range("standby_pages_total", legend="5 duty pages"),
        in_range('standby_duty_transitions_total{state="acknowledged"}', legend="6 acknowledged"),
    ]
    b.row("Funnel over the time range")
    b.add(
        bargauge.Panel()
        .title("Activation funnel")
        .height(10)
        .span(16)
        .orientation(VizOrientation.HORIZONTAL)
        .display_mode(BarGaugeDisplayMode.BASIC),
        "Each stage's count over the time range; a stage far below the one before it needs a look.",
        *stages,
    )
    b.add(
        number("Alerts delivered per activation", width=8),
        "Member alerts accepted by their channel for each activation.",
        (
            f'sum(increase(standby_deliveries_total{{kind="member_alert",outcome="sent"}}[{RANGE}]))'
            f' / sum(increase(standby_activations_total{{level=~"standby|activate"}}[{RANGE}]))',
            "per activation",
        ),
    )
    b.add(
        number("Activations acknowledged", "percentunit", width=8),
        "Share of paged activations a duty officer acknowledged.",
        (
            f'sum(increase(standby_duty_transitions_total{{state="acknowledged"}}[{RANGE}]))'
            f' / sum(increase(standby_activations_total{{level=~"standby|activate"}}[{RANGE}]))',
            "acknowledged",
        ),
    )
    b.row("Flow")
    b.add(
        graph("Stages per second", "ops", 24),
        "The funnel's stages as rates, to see where a burst is held up.",
        *[
            (expr.replace("increase(", "rate(").replace(RANGE, RATE), legend)
            for expr, legend in stages
        ],
    )
    b.add(
        graph("Decision latency", "s", 8),
        "Hazard event in, decision out.",
        *quantiles("standby_decision_seconds"),
    )
    b.add(
        graph("Send latency", "s", 8),
        "Message rendered, accepted by its channel.",
        *quantiles("standby_send_seconds", "channel"),
    )
    b.add(
        number("Time to acknowledge", "s", width=8),
        "First page to acknowledgement, over the time range.",
        *quantiles("standby_time_to_ack_seconds", window=RANGE),
    )
    b.row("Roll-call")
    b.add(
        number("Open roll-calls: addressed / answered", width=8),
        "Organisations the open roll-calls addressed, and how many of them answered.",
        ("sum(standby_rollcall_open_addressed)", "addressed"),
        ("sum(standby_rollcall_open_answered)", "answered"),
    )
    b.add(
        graph("Roll-call answers", "ops", 16),
        "Answers recorded, by answer (link or phone).",
        per_second("standby_rollcall_answers_total", "answer"),
    )
    b.add(
        number("Activation to first answer", "s", width=8),
        "From an incident's first activation to the first answer of its roll-call, over the"
        " time range.",
        *quantiles("standby_rollcall_first_answer_seconds", window=RANGE),
    )
    b.add(
        number("Activation to initial survey decision", "s", width=8),
        "From an incident's first activation to the officer's initial survey decision.",
        *quantiles("standby_rollcall_survey_decision_seconds", window=RANGE),
    )
    ratio = "standby_rollcall_answer_ratio"
    b.add(
        number("Answer rate per incident", "percentunit", width=8),
        "Share of the addressed organisations that answered, per roll-call closed (launch or"
        " stand-down) in the time range: the mean and the median incident.",
        (
            f"sum(increase({ratio}_sum[{RANGE}])) / sum(increase({ratio}_count[{RANGE}]))",
            "mean",
        ),
        (
            f"histogram_quantile(0.5, sum by (le) (increase({ratio}_bucket[{RANGE}])))",
            "median",
        ),
    )
    return b.build()


def build() -> dict[str, dict[str, Any]]:
    """Build every dashboard, keyed by its file name."""
    return {
        "standby-ops.json": ops_overview(),
        "standby-funnel.json": activation_funnel(),
    }


def render(dashboard: dict[str, Any]) -> str:
    """Serialise a dashboard the way it is checked in."""
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON files are stale")
    args = parser.parse_args(argv)
    stale = []
    for name, dashboard in build().items():
        path = DASHBOARDS / name
        text = render(dashboard)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            DASHBOARDS.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run deploy/grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
