"""docker-compose.yml and the Dockerfile: settings that exist, wiring that matches deploy/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from services.common.keys import KEYS_USED, PURPOSES, key_problems
from services.common.settings import SERVICES, ServiceName, Settings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
KEYS = {
    f"STANDBY_KEYS__{purpose.upper()}": f"{purpose}-0123456789abcdef0123456789abcdef"
    for purpose in PURPOSES
}
_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Resolve `${NAME}`, `${NAME:-default}` and `${NAME:?error}` the way compose does."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        if env.get(name):
            return env[name]
        if op == "?":
            raise ValueError(f"{name} is required: {arg}")
        return arg if op == "-" else ""

    return _INTERPOLATION.sub(one, value)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def environment(service: str, env: dict[str, str] | None = None) -> dict[str, str]:
    raw = compose()["services"][service].get("environment", {})
    return {k: interpolate(str(v), env or {}) for k, v in raw.items()}


def standby_services() -> list[str]:
    return [
        name
        for name, spec in compose()["services"].items()
        if any(k.startswith("STANDBY_") for k in spec.get("environment", {}))
    ]


def setting_exists(variable: str) -> bool:
    """Walk Settings along `STANDBY_SECTION__FIELD`, as pydantic-settings reads it."""
    parts = variable.removeprefix("STANDBY_").lower().split("__")
    model: type[BaseModel] = Settings
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if depth < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def test_the_setting_walk_tells_real_settings_from_misspelt_ones() -> None:
    assert setting_exists("STANDBY_NOTIFIER__SMTP__HOST")
    assert setting_exists("STANDBY_DATABASE_URL")
    assert not setting_exists("STANDBY_NOTIFIER__SMTP__HOSTNAME")
    assert not setting_exists("STANDBY_KAFKA__BOOTSTRAP_SERVERS__X")
    assert not setting_exists("STANDBY_SMTP_HOST")


def test_every_standby_variable_in_the_compose_file_names_a_setting() -> None:
    for service in standby_services():
        for variable in environment(service):
            if variable.startswith("STANDBY_"):
                assert setting_exists(variable), f"{service}: {variable} is not a setting"


def test_the_four_services_run_from_one_image_with_their_own_command() -> None:
    services = compose()["services"]
    for name in SERVICES:
        assert services[name]["command"] == [name]
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
        assert services[name]["image"] == services["ingester"]["image"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_environment_is_a_valid_production_configuration(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("STANDBY_"):
            monkeypatch.delenv(name)
    for name, value in environment(service, KEYS).items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert key_problems(settings, service) == []
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.kafka.enable_idempotence is True
    assert settings.database_url and settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.metrics_host == "0.0.0.0"
    port = settings.metrics_port_for(service)
    assert environment(service)["HEALTHCHECK_PORT"] == str(port)
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = [
        t
        for job in prometheus["scrape_configs"]
        for s in job["static_configs"]
        for t in s["targets"]
    ]
    assert f"{service}:{port}" in targets
    if service == "notifier":
        assert (settings.notifier.smtp.host, settings.notifier.smtp.port) == ("mailpit", 1025)
    if service == "duty":
        assert settings.duty.console_host == "0.0.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_given_only_its_own_keys_and_refuses_to_start_without_them(
    service: ServiceName, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = {
        name.removeprefix("STANDBY_KEYS__").lower()
        for name in environment(service)
        if name.startswith("STANDBY_KEYS__") and not name.endswith("_PREVIOUS")
    }
    assert given == set(KEYS_USED[service])
    assert "STANDBY_DUTY__SIGNING_KEY" not in environment(service)
    for name, value in environment(service).items():  # no .env: every key empty
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    problems = key_problems(settings, service)
    assert len(problems) == len(KEYS_USED[service])
    assert all(p.startswith("STANDBY_KEYS__") and "at least 32" in p for p in problems)


def test_admin_tools_listen_on_this_host_only_with_no_default_password() -> None:
    services = compose()["services"]
    published = {
        name: spec.get("ports", []) for name, spec in services.items() if spec.get("ports")
    }
    for name in ("mailpit", "prometheus", "grafana"):
        assert published[name] and all(p.startswith("127.0.0.1:") for p in published[name])
    # Only the two pages people open from outside are published on every address.
    assert {n for n, ports in published.items() if not ports[0].startswith("127.0.0.1:")} == {
        "duty",
        "notifier",
    }
    assert not any("enable-lifecycle" in arg for arg in services["prometheus"]["command"])
    grafana = services["grafana"]
    assert environment("grafana")["GF_SECURITY_ADMIN_PASSWORD"] == ""
    refusal = grafana["entrypoint"][-1]
    assert '""|admin) echo' in refusal and "exit 1" in refusal and "exec /run.sh" in refusal
    for service in SERVICES:
        files = environment(service)
        assert "example" not in files["STANDBY_MEMBERS_FILE"]
        assert "example" not in files["STANDBY_DUTY__ROTA_FILE"]


def test_grafanas_entrypoint_refuses_an_unset_or_default_password() -> None:
    script = compose()["services"]["grafana"]["entrypoint"][-1].replace("$$", "$")
    script = script.replace("exec /run.sh", "echo started")
    for password, started in (("", False), ("admin", False), ("s3cret-enough", True)):
        run = subprocess.run(
            ["/bin/sh", "-c", script],
            env={"GF_SECURITY_ADMIN_PASSWORD": password, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (run.returncode == 0 and run.stdout == "started\n") is started, run


def test_prometheus_and_grafana_mount_the_files_of_deploy() -> None:
    services = compose()["services"]
    prometheus_mounts = {
        v.split(":")[0]: v.split(":")[1] for v in services["prometheus"]["volumes"]
    }
    assert (
        prometheus_mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    )
    assert prometheus_mounts["./deploy/prometheus/rules.yml"] == "/etc/prometheus/rules.yml"
    grafana_mounts = {v.split(":")[0]: v.split(":")[1] for v in services["grafana"]["volumes"]}
    assert grafana_mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load(
        (ROOT / "deploy" / "grafana" / "provisioning" / "dashboards" / "standby.yml").read_text()
    )["providers"][0]
    assert grafana_mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    datasource = yaml.safe_load(
        (
            ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
        ).read_text()
    )["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"


def test_services_wait_for_healthy_dependencies_and_created_topics() -> None:
    services = compose()["services"]
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["kafka-init"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert services["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "ALL_TOPICS" in services["kafka-init"]["command"][0]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]


def test_the_image_is_multi_stage_non_root_and_health_checked() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", dockerfile, flags=re.MULTILINE)
    assert len(stages) >= 2
    final = dockerfile.split(f"AS {stages[-1]}", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK\s", final, flags=re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env"} <= set(ignored)


def test_docker_compose_accepts_the_file() -> None:
    if shutil.which("docker-compose"):
        command = ["docker-compose", "config", "--quiet"]
    elif (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        command = ["docker", "compose", "config", "--quiet"]
    else:
        pytest.skip("neither docker compose nor docker-compose is installed (`make compose-check`)")
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
