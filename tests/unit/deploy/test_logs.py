"""Structured logs: JSON in production, ids bound to lines about an activation, no secrets."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import BaseModel, SecretStr

from schemas import ACKS
from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Level
from services.common import logs
from services.common.broker import Routes
from services.common.config_files import load_yaml_model
from services.common.logs import configure_logging, get_logger, register_secrets, secret_values
from services.common.settings import KafkaSettings, Settings

SMTP_PASSWORD = "smtp-pa55word-7f3a91"
SIGNING_KEY = "signing-key-0b7c4e2d9a8f6e5d4c3b2a1f0e9d8c7b"
APPRISE_URL = "tgram://123456789:AAH-secret-bot-token/987654"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    saved = set(logs._SECRET_VALUES)
    logs._OUTAGE.__init__()  # type: ignore[misc]
    yield
    logs._SECRET_VALUES.clear()
    logs._SECRET_VALUES.update(saved)
    logs._OUTAGE.__init__()  # type: ignore[misc]  # a fresh outage tracker for the next test
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


class Clock:
    """The outage tracker's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(clean_logging: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Give the (fresh) outage tracker a clock that the test moves by hand."""
    fake = Clock()
    monkeypatch.setattr(logs._OUTAGE, "clock", fake)
    return fake


def lines(captured: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def kafka_client_logger(service: str, name: str) -> logging.Logger:
    """Log `service` as JSON; return the Kafka client's logger `name` (`aiokafka.<name>`)."""
    configure_logging(service, fmt="json")
    return logging.getLogger(f"aiokafka.{name}")


def test_production_logs_are_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("triage", fmt="auto")  # stderr is not a terminal here
    get_logger("t").info("decided", level="activate")
    logging.getLogger("apprise.fake").warning("a library speaks")
    records = lines(capsys.readouterr().err)
    assert [r["event"] for r in records] == ["decided", "a library speaks"]
    assert all(r["service"] == "triage" and "timestamp" in r for r in records)


def test_settings_secrets_never_reach_a_log_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDBY_NOTIFIER__SMTP__PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("STANDBY_DUTY__SIGNING_KEY", SIGNING_KEY)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    configure_logging("notifier", fmt="json")
    register_secrets(*secret_values(settings))
    log = get_logger("t")
    log.info("settings_loaded", settings=repr(settings), dumped=settings.model_dump(mode="json"))
    log.info("smtp_login", password=SMTP_PASSWORD, detail=f"AUTH PLAIN user {SMTP_PASSWORD}")
    log.warning(f"signing with {SIGNING_KEY}")
    try:
        raise ConnectionError(f"login refused for password {SMTP_PASSWORD}")
    except ConnectionError:
        log.exception("smtp_failed")
    logging.getLogger("mail.log").error("raw secret %s", SIGNING_KEY)
    out = capsys.readouterr().err
    assert len(lines(out)) == 5
    assert SMTP_PASSWORD not in out
    assert SIGNING_KEY not in out
    assert "login refused for password ***" in out, "the rest of the line is kept"


class Contact(BaseModel):
    name: str
    apprise_urls: list[SecretStr]


class Contacts(BaseModel):
    """Shaped like the member directory and the rota: SecretStr Apprise URLs, nested in lists."""

    contacts: list[Contact]


def test_apprise_urls_from_a_config_file_are_scrubbed_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(f"contacts:\n  - name: A One\n    apprise_urls: ['{APPRISE_URL}']\n")
    loaded = load_yaml_model(contacts, Contacts)
    assert loaded.contacts[0].apprise_urls[0].get_secret_value() == APPRISE_URL
    configure_logging("notifier", fmt="console")
    log = get_logger("t")
    log.info("chat_sent", url=APPRISE_URL)
    log.info(f"apprise said: notification to {APPRISE_URL} failed")
    logging.getLogger("apprise").warning("Sending to %s", APPRISE_URL)
    out = capsys.readouterr().err
    assert "chat_sent" in out
    assert APPRISE_URL not in out
    assert "AAH-secret-bot-token" not in out


def test_short_values_are_not_treated_as_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    register_secrets("ab", "")
    configure_logging("duty", fmt="json")
    get_logger("t").info("about ab and cd")
    assert lines(capsys.readouterr().err)[0]["event"] == "about ab and cd"


async def test_lines_logged_while_handling_a_message_name_its_activation_and_incident(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("notifier", fmt="json")
    log = get_logger("handler")
    activation_id, incident_id = uuid.uuid4(), uuid.uuid4()
    broker = KafkaBroker()
    routes = Routes(KafkaSettings(handler_attempts=2), "unit")
    failures = {"left": 1}

    async def handle(event: AckEvent) -> None:
        log.info("telling_members", state=event.state)
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("smtp busy")

    routes.add(ACKS, AckEvent, handle)
    routes.attach(broker)
    event = AckEvent(
        activation_id=activation_id,
        incident_id=incident_id,
        level=Level.ACTIVATE,
        state=AckState.LAUNCHED,
        via=AckVia.CONSOLE,
        occurred_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    async with TestKafkaBroker(broker) as br:
        await br.publish(event.model_dump_json().encode(), ACKS)
    get_logger("after").info("unrelated")
    records = lines(capsys.readouterr().err)
    about = [r for r in records if r["event"] in {"telling_members", "handler_retry"}]
    assert [r["event"] for r in about] == ["telling_members", "handler_retry", "telling_members"]
    for record in about:
        assert record["activation_id"] == str(activation_id)
        assert record["incident_id"] == str(incident_id)
    unrelated = next(r for r in records if r["event"] == "unrelated")
    assert "activation_id" not in unrelated, "ids are unbound once the message is handled"


def test_faststream_lines_come_out_as_json_warnings_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from faststream._internal.logger.logging import logger as faststream_module_logger

    from services.common.broker import make_broker

    make_broker(KafkaSettings(), "unit")
    configure_logging("triage", fmt="json")
    faststream_module_logger.warning("faststream itself warns")
    logging.getLogger("faststream.standby").info("Received")  # per-message noise: hidden
    logging.getLogger("faststream.standby").error("consumer crashed")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert [r["event"] for r in lines(captured.err)] == [
        "faststream itself warns",
        "consumer crashed",
    ]


def test_a_broker_outage_is_one_line_going_summaries_between_and_one_line_back(
    capsys: pytest.CaptureFixture[str], clock: Clock
) -> None:
    clock.now = 1000.0
    client = kafka_client_logger("notifier", "conn")
    # 95 s of outage, 20 client errors a second (what aiokafka writes per service).
    for tick in range(95 * 20):
        clock.now = 1000.0 + tick / 20
        client.error("Unable connect to node with id %d: [Errno 111] Connect call failed", tick)
    get_logger("t").info("still working", step=1)
    clock.now = 1100.0
    logs.broker_reachable()
    logs.broker_reachable()  # nothing more to say
    records = lines(capsys.readouterr().err)
    assert [r["event"] for r in records] == [
        "broker_unreachable",
        "broker_still_unreachable",
        "broker_still_unreachable",
        "broker_still_unreachable",
        "still working",
        "broker_reachable",
    ]
    assert "Connect call failed" in str(records[0]["error"])
    assert records[1]["for_s"] == 30.0
    assert records[1]["most_common"] == [
        "600× Unable connect to node with id N: [Errno N] Connect call failed"
    ]
    assert records[-1]["after_s"] == 100.0
    assert records[-1]["errors_held_back"] == 95 * 20 - 1
    assert all(r["level"] == "warning" for r in records if "broker" in str(r["event"]))


def test_lines_about_a_lost_brokers_port_say_nothing_about_the_one_in_use(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("duty", fmt="json")
    logs.broker_address("127.0.0.1:41000")
    try:
        client = logging.getLogger("aiokafka.conn")
        for _ in range(50):  # a closing client of the lost broker on 40999
            client.error(
                "Unable connect to node with id 111: Connect call failed ('127.0.0.1', 40999)"
            )
        assert lines(capsys.readouterr().err) == []
        client.error("Unable connect to node with id 111: Connect call failed ('127.0.0.1', 41000)")
        assert [r["event"] for r in lines(capsys.readouterr().err)] == ["broker_unreachable"]
    finally:
        logs.broker_address("")


def test_errors_of_a_group_still_forming_just_after_the_broker_is_back_are_no_new_outage(
    capsys: pytest.CaptureFixture[str], clock: Clock
) -> None:
    clock.now = 5000.0
    client = kafka_client_logger("duty", "consumer.group_coordinator")
    client.error("Heartbeat failed: [Error 15] GroupCoordinatorNotAvailableError")
    clock.now += 1
    logs.broker_reachable()
    for _ in range(20):  # seconds of a forming side group while the main one consumes
        clock.now += 0.2
        client.error("Heartbeat failed: [Error 15] GroupCoordinatorNotAvailableError")
        logs.broker_reachable()
    assert [r["event"] for r in lines(capsys.readouterr().err)] == [
        "broker_unreachable",
        "broker_reachable",
    ]
    clock.now += 20  # errors that outlast the settling are an outage again
    for _ in range(60):
        clock.now += 0.2
        client.error("Unable connect to node with id 111: Connect call failed")
    assert [r["event"] for r in lines(capsys.readouterr().err)] == ["broker_unreachable"]
