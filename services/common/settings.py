"""The one settings object: environment variables prefixed `STANDBY_` (nested with `__`) and `.env`."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ServiceName = Literal["ingester", "triage", "notifier", "duty", "response"]
SERVICES: tuple[ServiceName, ...] = ("ingester", "triage", "notifier", "duty", "response")
# Where `standby run` names its current embedded broker (address and epoch), in the var folder.
BROKER_FILE = "broker.json"
# Where a service under `standby run` notes its pid once it is at work: a process that got
# that far and then died was not crash-looping, however soon it died (decision 0722).
AT_WORK_DIR = "at-work"

_PLACEHOLDER_KEY = "dev-only-signing-key-change-me"
# The platform's members are mostly in Japan; `STANDBY_DUTY__TIMEZONE` sets another.
DEFAULT_TIMEZONE = "Asia/Tokyo"


def iana_zone(value: str) -> str:
    """Accept the name of an IANA time zone this machine knows; refuse anything else."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {value!r} (not an IANA zone name)") from err
    return value


#: A time zone's IANA name, checked when a settings or configuration file is read.
ZoneName = Annotated[str, AfterValidator(iana_zone)]


class Section(BaseModel):
    model_config = {"extra": "forbid"}


class KafkaSettings(Section):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id_prefix: str = "standby"
    # Tansu cannot InitProducerId; real Kafka can, so production turns it on.
    enable_idempotence: bool = False
    acks: Literal["all", 1, 0] = "all"
    linger_ms: int = Field(default=0, ge=0)
    # The broker answers a waiting fetch only at its deadline: keep hops at milliseconds.
    fetch_max_wait_ms: int = Field(default=20, ge=1, le=500)
    # Tansu holds a JoinGroup for half the group's session timeout (5 s at 10 s); a request
    # timeout at or below that never joins.
    request_timeout_ms: int = Field(default=30_000, ge=6_000)
    # 2 s: Tansu holds each join 1 s (not 5), and a killed member is dropped within 2 s, so a
    # restarted service is handling messages again within seconds (decision 0706). Kafka's
    # brokers refuse sessions under 6 s by default: the compose stack sets 10 s.
    session_timeout_ms: int = Field(default=2_000, ge=1_000)
    heartbeat_interval_ms: int = Field(default=500, ge=100)
    assign_partitions: bool = Field(
        default=False,
        description="Take each topic's one partition without a consumer-group join: only for a"
        " service that is the one process of its role on topics of one partition, as `standby run`"
        " sets it (decision 0734); replicas (decision 0701) need the group.",
    )
    handler_attempts: int = Field(
        default=3, ge=1, description="Tries before a message is dead-lettered."
    )
    epoch: str = Field(
        default="",
        description="Identity of the broker's lifetime. When it changes (an in-memory broker restarted),"
        " services re-publish their recent outbox so nothing in flight is lost.",
    )
    replay_window_s: int = Field(default=6 * 3600, ge=0)
    lag_interval_s: float = Field(
        default=5.0, ge=0, description="Seconds between lag measurements; 0 turns them off."
    )


class IngesterSettings(Section):
    metrics_port: int = 9101
    gdacs_rss_url: str = "https://www.gdacs.org/xml/rss.xml"
    gdacs_rss_interval_s: float = Field(default=60, gt=0)
    gdacs_api_url: str | None = None
    gdacs_api_interval_s: float = Field(default=300, gt=0)
    usgs_url: str | None = Field(
        default="https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_hour.geojson",
        description="USGS summary GeoJSON polled for new earthquakes (e.g. significant_hour); "
        "empty: USGS is not polled.",
    )
    usgs_interval_s: float = Field(default=60, gt=0)
    usgs_safety_net_url: str | None = Field(
        default="https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_day.geojson",
        description="A slower, wider USGS feed that catches what the fast one missed.",
    )
    usgs_safety_net_interval_s: float = Field(default=300, gt=0)
    usgs_fdsn_url: str | None = Field(
        default="https://earthquake.usgs.gov/fdsnws/event/1/query",
        description="USGS FDSN event query: after a gap, events updated since the last good poll.",
    )
    usgs_min_magnitude: float = Field(default=4.5, description="The FDSN catch-up's floor.")
    usgs_detail_fetches_per_poll: int = Field(
        default=10, ge=0, description="Detail documents (PAGER) fetched per poll at most."
    )
    reliefweb_url: str | None = None
    reliefweb_appname: str | None = None
    reliefweb_interval_s: float = Field(default=600, gt=0)
    reliefweb_page_size: int = Field(default=100, ge=1, le=1000)
    reliefweb_max_pages: int = Field(
        default=5, ge=1, description="Pages followed per poll while they still hold news."
    )
    reliefweb_reports_per_alert: int = Field(
        default=3,
        ge=0,
        description="Situation reports attached to a newly alerted disaster (0: off).",
    )
    timeout_s: float = Field(default=20, gt=0)
    max_document_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    backoff_initial_s: float = Field(default=5, gt=0)
    backoff_max_s: float = Field(default=900, gt=0)
    user_agent: str = "standby/0.1 (+https://github.com/standby-alerting/standby)"
    redirect_private_hosts: str = Field(
        default="",
        description="Comma-separated hosts a feed's redirect may lead to although their addresses"
        " are private (a local feed server in tests or the demo); others must be public.",
    )


class TriageSettings(Section):
    metrics_port: int = 9102
    criteria_file: Path = Path("deploy/criteria.yaml")
    incident_window_hours: float = Field(default=72, gt=0)
    incident_distance_km: float = Field(default=500, gt=0)


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8025
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    use_tls: bool = False
    validate_certs: bool = True
    from_address: str = "standby@localhost"
    from_name: str = "standby"
    pool_size: int = Field(default=20, ge=1, le=200)
    timeout_s: float = Field(default=15, gt=0)
    max_unmarked: int = Field(
        default=5,
        ge=1,
        description="Member mails at most between their message and its stored outcome:"
        " the most a crash can send twice.",
    )


class NotifierSettings(Section):
    metrics_port: int = 9103
    smtp: SmtpSettings = SmtpSettings()
    concurrency: int = Field(default=50, ge=1)
    # 10 tries 1 s apart doubling up to 5 min span ~8.5 min: a member alert outlives a short
    # mail-server outage instead of being dead-lettered within seconds.
    max_attempts: int = Field(default=10, ge=1)
    chat_timeout_s: float = Field(
        default=15,
        gt=0,
        description="How long one chat or SMS notification (Apprise) may take before it is"
        " tried again; its own, not the SMTP timeout: a web hook answers at its own pace.",
    )
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    message_id_domain: str = "standby.local"
    reply_to: str | None = Field(
        default=None,
        description="Reply-To of member mail. Unset: the secretariat's address in the member directory.",
    )
    preferences_host: str = "127.0.0.1"
    preferences_port: int = Field(
        default=8082,
        ge=0,
        description="Where members' preference pages are served; 0 turns them off.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8082",
        description="The address members open their preference pages at (List-Unsubscribe).",
    )
    preference_link_ttl_days: int = Field(
        default=90,
        ge=7,
        description="Days a preference link works after the week it was mailed in.",
    )
    digest_interval_s: float = Field(
        default=20.0,
        gt=0,
        description="How often the notifier looks for members' daily digests that are due.",
    )


class DutySettings(Section):
    metrics_port: int = 9104
    rota_file: Path = Path("deploy/rota.example.yaml")
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    upstream_start_wait_s: float = Field(
        default=15.0,
        ge=0,
        le=60,
        description="How long the console waits for a service still opening its web port (a"
        " member who opens an alert's link in its first seconds) before it answers 503.",
    )
    signing_key: SecretStr = Field(
        default=SecretStr(_PLACEHOLDER_KEY),
        description="Development only: every purpose key not set under `keys` is derived from"
        " it. Production refuses it; set STANDBY_KEYS__* per service instead.",
    )
    link_ttl_hours: float = Field(default=24, gt=0)
    timezone: ZoneName = Field(
        default=DEFAULT_TIMEZONE,
        description="The IANA zone every page and mail shows times in; members who set no zone"
        " of their own have their quiet hours and digest hour in it.",
    )
    escalation_tick_s: float = Field(default=1.0, gt=0)
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies whose"
        " X-Forwarded-For / X-Forwarded-Proto the console believes (default: none).",
    )


class KeySettings(Section):
    """One secret per purpose (services/common/keys.py): each service is given only the ones
    it uses. `<purpose>_previous` lists retired keys, comma-separated, still accepted when
    checking so the links already mailed keep working until they expire."""

    acknowledge: SecretStr | None = Field(
        default=None, description="Duty: officers' acknowledge links and console cookies."
    )
    acknowledge_previous: SecretStr = SecretStr("")
    answer: SecretStr | None = Field(
        default=None, description="Members' answer links: the notifier signs, response checks."
    )
    answer_previous: SecretStr = SecretStr("")
    preference: SecretStr | None = Field(
        default=None, description="Members' preference links (notifier)."
    )
    preference_previous: SecretStr = SecretStr("")
    officer_identity: SecretStr | None = Field(
        default=None,
        description="The officer the console vouches for to the pages it forwards (duty signs,"
        " response checks).",
    )
    officer_identity_previous: SecretStr = SecretStr("")
    erasure: SecretStr | None = Field(
        default=None,
        description="Keys the digest an erasure record keeps of whom it concerned (services that"
        " hold members' personal data).",
    )
    erasure_previous: SecretStr = SecretStr("")


class RuntimeSettings(Section):
    """`standby run`'s own endpoint: /health (each process's state) and /metrics."""

    health_host: str = "127.0.0.1"
    health_port: int = 9105


class ResponseSettings(Section):
    """The response-coordination service: roll-call, initial survey, programme launch."""

    metrics_port: int = 9106
    web_host: str = "127.0.0.1"
    web_port: int = Field(
        default=8081, description="Its pages; officers and members reach them through the console."
    )
    web_url: str | None = Field(
        default=None,
        description="Where the console forwards the pages to; unset: 127.0.0.1 at `web_port`.",
    )
    answer_link_ttl_hours: float = Field(
        default=7 * 24, gt=0, description="How long a member's answer link works."
    )
    reminder_after_min: float = Field(
        default=60, gt=0, description="Minutes after the alert before one reminder goes out."
    )
    tick_s: float = Field(default=5.0, gt=0, description="How often due reminders are looked for.")
    survey_budget_jpy: int = Field(default=5_000_000, ge=0, description="Default cap per NGO.")
    survey_report_days: int = Field(default=7, ge=1)
    programme_months: int = Field(default=6, ge=1, le=60)

    def upstream(self) -> str:
        return self.web_url or f"http://127.0.0.1:{self.web_port}"


class RetentionSettings(Section):
    """How long each growing table keeps its rows, and when removed members' data is erased.

    Durations take ISO 8601 (`P90D`, `PT6H`, `PT2S`) or `HH:MM:SS`; the README has the schedule.
    """

    interval_s: float = Field(
        default=300, gt=0, description="Seconds between pruning rounds (each service)."
    )
    batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Rows deleted per statement and transaction."
    )
    deliveries: timedelta = Field(
        default=timedelta(days=180),
        description="Finished deliveries with their headers and bodies (notifier), and duty's copy.",
    )
    threads: timedelta = Field(
        default=timedelta(days=180),
        description="A thread's root Message-ID, kept while its incident is open and then this long.",
    )
    security_events: timedelta = Field(default=timedelta(days=365))
    rollcall_audit: timedelta = Field(
        default=timedelta(days=3 * 365),
        description="The roll-call audit trail (response) and its timeline copy (duty).",
    )
    answers_after_close: timedelta = Field(
        default=timedelta(days=365),
        description="Roll-call answers, counted from the end of the programme (or the roll-call).",
    )
    inbox: timedelta = Field(default=timedelta(days=30))
    outbox_published: timedelta = Field(
        default=timedelta(hours=6),
        description="Relayed outbox rows; never less than the replay window (kafka.replay_window_s).",
    )
    seen_events: timedelta = Field(default=timedelta(days=365))
    decisions: timedelta = Field(
        default=timedelta(days=365),
        description="Triage's decisions that published nothing (a report that changed no level);"
        " those behind an activation are kept with it.",
    )
    spent_tokens: timedelta = Field(
        default=timedelta(days=1), description="Spent link nonces, counted from the link's expiry."
    )
    disasters: timedelta = Field(
        default=timedelta(days=3 * 365),
        description="The record of each disaster (incidents, their reports, activations and the"
        " decisions behind them; duty's activations, transitions, pages and timers; roll-calls and"
        " the organisations addressed), counted from its close: stood down, or its programme"
        " closed and ended.",
    )
    erase_after: timedelta = Field(
        default=timedelta(days=30),
        description="An organisation or contact absent from the member directory this long has"
        " its personal data erased from every service.",
    )


class Settings(BaseSettings):
    """Everything configurable about standby, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="STANDBY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
    )

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the services' /metrics listen on; 0.0.0.0 in containers.",
    )
    var_dir: Path = Path("var")
    members_file: Path = Field(
        default=Path("deploy/members.example.yaml"),
        description="The member directory: read by triage (presence), the notifier (recipients), "
        "response (roll-call) and duty (incident maps).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL. Unset: one SQLite file per service under var_dir. "
        "On PostgreSQL every service keeps its tables in a schema named after it.",
    )
    database_schema_prefix: str = Field(
        default="",
        pattern=r"^[a-z_][a-z0-9_]{0,30}$|^$",
        description="On PostgreSQL, put each service's schema under this prefix (`<prefix><service>`):"
        " several deployments, or a test, in one database.",
    )
    kafka: KafkaSettings = KafkaSettings()
    ingester: IngesterSettings = IngesterSettings()
    triage: TriageSettings = TriageSettings()
    notifier: NotifierSettings = NotifierSettings()
    duty: DutySettings = DutySettings()
    runtime: RuntimeSettings = RuntimeSettings()
    response: ResponseSettings = ResponseSettings()
    retention: RetentionSettings = RetentionSettings()
    keys: KeySettings = KeySettings()

    @model_validator(mode="after")
    def _no_unknown_variables(self) -> Settings:
        # Nested sections already refuse unknown keys; a misspelt top-level name would
        # otherwise be ignored in silence and the default used instead.
        unknown = sorted(
            name
            for name in os.environ
            if name.upper().startswith("STANDBY_")
            and name[len("STANDBY_") :].split("__", 1)[0].lower() not in type(self).model_fields
        )
        if unknown:
            raise ValueError(f"unknown setting(s) in the environment: {', '.join(unknown)}")
        return self

    def database_url_for(self, service: str) -> str:
        """Name the database a service keeps its tables in."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / f'{service}.db').resolve()}"

    def database_schema_for(self, service: str) -> str | None:
        """Name the PostgreSQL schema a service keeps its tables in (None on SQLite)."""
        if not self.database_url or self.database_url.startswith("sqlite"):
            return None
        return f"{self.database_schema_prefix}{service}"

    def metrics_port_for(self, service: ServiceName) -> int:
        section: (
            IngesterSettings | TriageSettings | NotifierSettings | DutySettings | ResponseSettings
        ) = getattr(self, service)
        return section.metrics_port

    def development_key(self) -> str | None:
        """The one development secret every unset purpose key is derived from (never in
        production: there each service is given its own keys, services/common/keys.py)."""
        key = self.duty.signing_key.get_secret_value()
        return key if key and key != _PLACEHOLDER_KEY else None
