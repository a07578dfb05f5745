"""The whole system under a real Prometheus: every dashboard query and every alert rule.

Runs `standby demo --keep-running` as a process (embedded broker, SMTP sink, four services)
and a real `prometheus` (Debian package) scraping it every second with deploy/prometheus's
rules. The scenario is given things worth alerting on: a second feed that never answers, a
malformed message on hazards.v1, an activation nobody acknowledges while a short rota
escalates, and a scrape target that is down. One activation is acknowledged through the duty
console's JSON API. Then every panel query of deploy/grafana/dashboards must return data and
every alert must be in its expected state. Secrets given to the system must not be in its logs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.common.settings import SERVICES
from tests.conftest import free_port
from tests.e2e.system import running_demo, stop
from tests.unit.deploy.promql import expand_macros, metric_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SIGNING_KEY = "e2e-signing-key-5d1f0c9b7a3e4f2d8c6b0a9e1f3d5c7b"
SMTP_PASSWORD = "e2e-smtp-password-93a7c1"
CONSOLE_PASSWORD = "e2e-console-password"
FIRING = {
    "StandbySourceFailing",
    "StandbyDeadLettersGrowing",
    "StandbyActivationUnacknowledged",
    "StandbyServiceDown",
}
QUIET = {
    "StandbyFeedStale",
    "StandbyDeliveryFailureRatio",
    "StandbyConsumerLagGrowing",
    "StandbyOutboxStuck",
    "StandbyConsoleSecurityBurst",
}

pytestmark = [pytest.mark.timeout(420), pytest.mark.broker]


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, every_s: float = 0.5) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {last!r})")


@dataclass
class Ports:
    metrics: dict[str, int]
    health: int
    console: int
    smtp: int
    prometheus: int
    ghost: int
    dead_feed: int

    @classmethod
    def pick(cls) -> Ports:
        return cls(
            metrics={name: free_port() for name in SERVICES},
            health=free_port(),
            console=free_port(),
            smtp=free_port(),
            prometheus=free_port(),
            ghost=free_port(),
            dead_feed=free_port(),
        )


def short_escalation_rota(path: Path) -> Path:
    """The example rota, escalating every 3 s instead of every few minutes, our password."""
    from services.duty.console.auth import hash_password

    rota = yaml.safe_load((DEPLOY / "rota.example.yaml").read_text(encoding="utf-8"))
    for step in rota["escalation"][1:]:
        step["after_minutes"] = 0.05
    password_hash = hash_password(CONSOLE_PASSWORD)
    for officer in rota["officers"]:
        officer["password_hash"] = password_hash
    path.write_text(yaml.safe_dump(rota, allow_unicode=True), encoding="utf-8")
    return path


def shipped_targets() -> list[dict[str, Any]]:
    """The static targets of deploy/prometheus/prometheus.embedded.yml's standby job."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.embedded.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "standby")
    return list(job["static_configs"])


def prometheus_files(tmp: Path, ports: Ports) -> Path:
    """A 1 s scrape of the demo's services (and one dead target), with rules that fire at once."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule["for"] = (
                "0s"  # the e2e cannot wait the production hold times; the exprs are as shipped
            )
    (tmp / "rules.yml").write_text(yaml.safe_dump(rules))
    # The shipped embedded config's targets, each moved to this run's port for it.
    here = {**ports.metrics, "runtime": ports.health}
    targets = [
        {**target, "targets": [f"127.0.0.1:{here[target['labels']['service']]}"]}
        for target in shipped_targets()
    ]
    targets.append({"targets": [f"127.0.0.1:{ports.ghost}"], "labels": {"service": "ghost"}})
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
        "rule_files": [str(tmp / "rules.yml")],
        "scrape_configs": [{"job_name": "standby", "static_configs": targets}],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def system_env(tmp: Path, ports: Ports) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDBY_")}
    env.update(
        {
            "STANDBY_VAR_DIR": str(tmp / "var"),
            "STANDBY_LOG_FORMAT": "json",
            "STANDBY_DUTY__CONSOLE_PORT": str(ports.console),
            "STANDBY_DUTY__PUBLIC_URL": f"http://127.0.0.1:{ports.console}",
            "STANDBY_DUTY__ROTA_FILE": str(short_escalation_rota(tmp / "rota.yaml")),
            "STANDBY_DUTY__SIGNING_KEY": SIGNING_KEY,
            "STANDBY_DUTY__ESCALATION_TICK_S": "0.5",
            "STANDBY_NOTIFIER__SMTP__PORT": str(ports.smtp),
            "STANDBY_NOTIFIER__SMTP__PASSWORD": SMTP_PASSWORD,
            # A second source that never answers: the SourceFailing alert must fire for it.
            "STANDBY_INGESTER__GDACS_API_URL": f"http://127.0.0.1:{ports.dead_feed}/events",
            "STANDBY_INGESTER__GDACS_API_INTERVAL_S": "1",
            "STANDBY_INGESTER__BACKOFF_MAX_S": "2",
            "STANDBY_KAFKA__LAG_INTERVAL_S": "1",
            "STANDBY_RUNTIME__HEALTH_PORT": str(ports.health),
            # Every port its own: another system may run beside this one.
            "STANDBY_RESPONSE__WEB_PORT": str(free_port()),
            "STANDBY_NOTIFIER__PREFERENCES_PORT": str(free_port()),
        }
    )
    for name, port in ports.metrics.items():
        env[f"STANDBY_{name.upper()}__METRICS_PORT"] = str(port)
    return env


@pytest.fixture(scope="module")
def ports() -> Ports:
    return Ports.pick()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the module's system (the tests share one running demo)."""
    return tmp_path_factory.mktemp("observability")


@pytest.fixture(scope="module")
def prometheus(workdir: Path, ports: Ports) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed (Debian package `prometheus`; `make sysdeps-test`)")
    config = prometheus_files(workdir, ports)
    log = (workdir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{ports.prometheus}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{ports.prometheus}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, (workdir / "prometheus.log").read_text()
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("prometheus to be ready", ready, 30)
        yield url
    finally:
        stop(proc, grace_s=10)
        log.close()


@dataclass
class Demo:
    output: Path
    var: Path
    console: str
    bootstrap: str

    @property
    def logs_dir(self) -> Path:
        return self.var / "demo" / "logs"

    def logs(self) -> str:
        texts = [self.output.read_text(errors="replace")]
        texts += [p.read_text(errors="replace") for p in sorted(self.var.rglob("*.log"))]
        return "\n".join(texts)


@pytest.fixture(scope="module")
def demo(workdir: Path, ports: Ports, prometheus: str) -> Iterator[Demo]:
    output = workdir / "demo.out"
    with running_demo(system_env(workdir, ports), output) as bootstrap:
        yield Demo(
            output=output,
            var=workdir / "var",
            console=f"http://127.0.0.1:{ports.console}",
            bootstrap=bootstrap,
        )


def acknowledge_the_activate_level_activation(console: str) -> str:
    """Log in to the duty console and acknowledge the `activate` activation via the JSON API."""
    with httpx.Client(base_url=console, timeout=10, follow_redirects=False) as client:
        form = client.get("/login")
        csrf = re.search(r'name="csrf"\s+value="([^"]+)"', form.text)
        assert csrf, form.text[:2000]
        rota = yaml.safe_load((DEPLOY / "rota.example.yaml").read_text(encoding="utf-8"))
        officer = rota["officers"][0]["id"]
        login = client.post(
            "/login", data={"officer_id": officer, "password": CONSOLE_PASSWORD, "csrf": csrf[1]}
        )
        assert login.status_code == 303, login.text[:2000]
        token = client.get("/api/v1/me").json()["csrf_token"]

        def activate_level() -> dict[str, Any] | None:
            items = client.get("/api/v1/activations").json()
            return next((a for a in items if a["level"] == "activate"), None)

        activation = wait_for("the activate-level activation in the console", activate_level, 30)
        acked = client.post(
            f"/api/v1/activations/{activation['activation_id']}/actions/acknowledge",
            headers={"X-CSRF-Token": token},
            json={"note": "e2e: on it"},
        )
        assert acked.status_code == 200, acked.text
        assert acked.json()["state"] == "acknowledged"
        return str(activation["activation_id"])


def publish_a_malformed_hazard(bootstrap: str) -> None:
    from aiokafka import AIOKafkaProducer

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("hazards.v1", b'{"source": "martians"}')
        finally:
            await producer.stop()

    asyncio.run(send())


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def alert_states(prometheus: str) -> dict[str, list[dict[str, Any]]]:
    groups = httpx.get(f"{prometheus}/api/v1/rules", params={"type": "alert"}, timeout=10).json()
    return {
        rule["name"]: [a for a in rule["alerts"] if a["state"] == "firing"]
        for group in groups["data"]["groups"]
        for rule in group["rules"]
    }


def dashboard_targets() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found.append((path.name, panel["title"], target["expr"]))
    return found


@pytest.fixture(scope="module")
def system(demo: Demo, prometheus: str) -> tuple[Demo, str]:
    """The running demo after an officer acknowledged one activation and a bad message came in."""
    acknowledge_the_activate_level_activation(demo.console)
    publish_a_malformed_hazard(demo.bootstrap)
    return demo, prometheus


def test_alerts_fire_for_a_failing_source_a_dead_letter_an_unacked_activation_and_a_down_service(
    system: tuple[Demo, str],
) -> None:
    _, prometheus = system
    seen: dict[str, Any] = {}

    def expected_alerts_firing() -> dict[str, list[dict[str, Any]]] | None:
        states = alert_states(prometheus)
        seen["firing"] = sorted(name for name, alerts in states.items() if alerts)
        return states if set(seen["firing"]) >= FIRING else None

    try:
        states = wait_for("the expected alerts to fire", expected_alerts_firing, 90, every_s=1)
    except pytest.fail.Exception:
        probes = {
            expr: query(prometheus, expr)
            for expr in (
                "standby_open_unacknowledged",
                "standby_escalations_total",
                "standby_dead_letters_total",
                "standby_source_polls_total",
                "up",
            )
        }
        pytest.fail(f"firing {seen.get('firing')}, expected {sorted(FIRING)}; series: {probes}")
    assert set(states) == FIRING | QUIET, "every rule of rules.yml is accounted for"
    firing = {name for name, alerts in states.items() if alerts}
    assert firing == FIRING, f"unexpected alerts firing: {firing - FIRING}"
    labels = {name: [a["labels"] for a in alerts] for name, alerts in states.items()}
    assert [lb["source"] for lb in labels["StandbySourceFailing"]] == ["gdacs-api"]
    assert [lb["service"] for lb in labels["StandbyServiceDown"]] == ["ghost"]
    assert {(lb["service"], lb["topic"]) for lb in labels["StandbyDeadLettersGrowing"]} == {
        ("triage", "hazards.v1")
    }


def test_quiet_alerts_are_quiet_over_series_that_exist(system: tuple[Demo, str]) -> None:
    _, prometheus = system
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())["groups"][0]["rules"]
    missing = [
        (rule["alert"], name)
        for rule in rules
        for name in metric_names(rule["expr"]) | ({"up"} if "up{" in rule["expr"] else set())
        if not query(prometheus, f"count({name})")
    ]
    assert not missing, f"alert rules read series Prometheus does not have: {missing}"
    firing = {name for name, alerts in alert_states(prometheus).items() if alerts}
    assert not firing & QUIET


def test_every_target_of_the_shipped_embedded_config_is_scraped(system: tuple[Demo, str]) -> None:
    _, prometheus = system
    shipped = {target["labels"]["service"] for target in shipped_targets()}
    assert shipped >= {*SERVICES, "runtime"}

    def all_up() -> set[str]:
        up = query(prometheus, 'up{job="standby"} == 1')
        return {series["metric"]["service"] for series in up} >= shipped

    wait_for("every shipped target up", all_up, 30, every_s=1)
    # The runtime's own series come through its port: its restarts by process.
    restarts = query(prometheus, 'standby_process_restarts_total{service="runtime"}')
    assert {series["metric"]["process"] for series in restarts} >= {"broker", *SERVICES}


def test_every_dashboard_panel_query_returns_data(system: tuple[Demo, str]) -> None:
    _, prometheus = system
    assert len(dashboard_targets()) >= 40
    empty: list[tuple[str, str, str]] = []
    deadline = time.monotonic() + 30
    while True:
        empty = [t for t in dashboard_targets() if not query(prometheus, expand_macros(t[2]))]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not empty, "panel queries without data:\n" + "\n".join(
        f"  {board} / {title}: {expr}" for board, title, expr in empty
    )


def panel_values(prometheus: str, title: str) -> dict[tuple[str, str, str], float]:
    """A panel's finite values by (source, hazard, legend's quantile) as Grafana would draw them."""
    values: dict[tuple[str, str, str], float] = {}
    for _, panel, expr in dashboard_targets():
        if panel != title:
            continue
        quantile = expr.split(",", 1)[0].removeprefix("histogram_quantile(")
        for series in query(prometheus, expand_macros(expr)):
            value = float(series["value"][1])
            if value == value:  # NaN: nothing to draw
                labels = series["metric"]
                values[(labels["source"], labels["hazard"], quantile)] = value
    return values


def test_the_source_lag_panel_shows_how_late_usgs_and_gdacs_told_of_the_demo_quake(
    system: tuple[Demo, str],
) -> None:
    _, prometheus = system
    title = "Source lag (event origin → first seen)"
    seen: dict[str, dict[tuple[str, str, str], float]] = {}

    def both_sources_drawn() -> bool:
        seen["lag"] = panel_values(prometheus, title)
        return {("usgs", "EQ", "0.5"), ("gdacs", "EQ", "0.5")} <= seen["lag"].keys()

    wait_for(f"USGS and GDACS earthquakes on '{title}'", both_sources_drawn, 60, every_s=1)
    lag = seen["lag"]
    # The demo's quake happened 25 minutes before the run; each source was first read then
    # (the 1,200-1,800 s bucket), the cyclone 3 hours and the flood 6 hours after theirs.
    for source in ("usgs", "gdacs"):
        assert 1200 < lag[(source, "EQ", "0.5")] <= 1800, lag
    assert 7200 < lag[("gdacs", "TC", "0.5")] <= 21600, lag
    alert = panel_values(prometheus, "Alert lag (first seen → activation)")
    assert 0 <= alert[("usgs", "EQ", "0.5")] <= 10, alert  # USGS's report alerted at once


def test_the_funnel_counts_every_stage_of_the_scenario_down_to_the_acknowledgement(
    system: tuple[Demo, str],
) -> None:
    _, prometheus = system
    funnel = json.loads((DEPLOY / "grafana" / "dashboards" / "standby-funnel.json").read_text())
    stages = next(p for p in funnel["panels"] if p["title"] == "Activation funnel")["targets"]
    seen: dict[str, dict[str, float]] = {}

    def counted() -> dict[str, float] | None:
        seen["funnel"] = {
            t["legendFormat"]: float(query(prometheus, expand_macros(t["expr"]))[0]["value"][1])
            for t in stages
        }
        return seen["funnel"] if min(seen["funnel"].values()) > 0 else None

    try:
        values = wait_for("every funnel stage to count the scenario", counted, 30, every_s=1)
    except pytest.fail.Exception:
        pytest.fail(f"funnel stages: {seen['funnel']}")
    assert values["1 hazard events triaged"] >= 3, values


def test_service_logs_are_json_name_their_activation_and_hold_no_secret(
    system: tuple[Demo, str],
) -> None:
    demo, _ = system
    for name in SERVICES:
        for number, line in enumerate((demo.logs_dir / f"{name}.log").read_text().splitlines()):
            try:
                json.loads(line)
            except ValueError:
                pytest.fail(f"{name}.log line {number + 1} is not JSON: {line[:300]}")
    logs = demo.logs()
    assert SIGNING_KEY not in logs
    assert SMTP_PASSWORD not in logs
    assert CONSOLE_PASSWORD not in logs
    about_activations = [
        line for line in logs.splitlines() if line.startswith("{") and '"activation_id"' in line
    ]
    assert any('"incident_id"' in line for line in about_activations), "no line names both"
