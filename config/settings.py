"""Settings: one immutable value object, read from the environment once and passed in.

Nothing in Switchboard reads the environment on its own; the CLI builds a
``Settings`` and hands it to what it creates.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from .errors import SettingsError
from .field_errors import field_errors
from .http_settings import HttpSettings
from .keys import EVENT_DEDUP_TTL, LEASE
from .web_settings import WebSettings

__all__ = ["DEFAULT_REDIS_URL", "Settings", "load_settings"]

DEFAULT_REDIS_URL = "redis://localhost:6379/0"


class Settings(HttpSettings, WebSettings):
    """Everything an operator can set. Environment prefix ``SWITCHBOARD_``, plus ``REDIS_URL``.

    The web app's own (its tokens, its sessions, what a tenant may ask of it) are declared
    in ``web_settings.py``; they are fields of this one object all the same."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", frozen=True, extra="ignore")

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "SWITCHBOARD_REDIS_URL"),
        description="Redis to use. Unset: the default local Redis (or, for `switchboard dev`, "
        "an embedded one).",
    )
    key_prefix: str = Field(
        default="switchboard",
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Prefix of every Redis key and channel Switchboard uses.",
    )
    integrations: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Extra integration classes as dotted paths (`package.module.ClassName`), "
        "comma-separated, on top of the `switchboard.integrations` entry points.",
    )
    config_poll_interval: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="Seconds between the configuration cache's checks of the generation counter, "
        "the fallback when a pub/sub message is lost.",
    )
    redis_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds.")
    data_dir: Path = Field(
        default=Path(".switchboard"),
        description="Where `switchboard dev` keeps its Redis data and state.",
    )
    dev_lock_wait: float = Field(
        default=5.0,
        ge=0,
        description="Seconds a new `switchboard dev` waits for the data folder's lock when no "
        "living dev holds it: the Redis of a dev killed a moment ago may still be writing.",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Keys that encrypt secret settings at rest (comma-separated: the first "
        "encrypts, all decrypt). `switchboard secrets generate-key` makes one; "
        "`switchboard dev` keeps one in its data folder.",
    )
    # -- the queue ---------------------------------------------------------------
    queue_name: str = Field(
        default="",
        description="The arq queue (a Redis sorted set) events travel on. Empty: "
        "`<key_prefix>:queue`.",
    )
    max_event_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="The largest event accepted, in bytes of its JSON encoding.",
    )
    events_per_job: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="How many events of one `emit_many` call travel in one queue job.",
    )
    emit_linger: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description=(
            "The shortest time between two queue writes of one async `EventClient`:"
            " under load, `emit()` waits up to this long for other emits to share its"
            " queue job; after a quiet spell it writes at once (0: share only with emits"
            " made while a write is on its way)."
        ),
    )
    queue_retention: float = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="Seconds a queued event waits for a worker before Redis drops it.",
    )

    # -- the worker ----------------------------------------------------------------
    worker_concurrency: int = Field(
        default=16,
        ge=1,
        description="Queue jobs one worker process runs at once (each holds one or more events). "
        "Keep it well above the per-host limit: a hanging endpoint holds at most that many.",
    )
    queue_poll_interval: float = Field(
        default=0.01,
        gt=0,
        le=5,
        description="Seconds between a worker's checks of the queue when it is idle (each "
        "check is one ZRANGEBYSCORE; 100 a second per idle worker by default).",
    )
    handler_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds one integration's handler may take for one event.",
    )
    job_timeout_margin: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a queue job may take beyond the handler timeout (decoding, "
        "recording) before it is handed back to run again.",
    )
    event_dedup_ttl: int = Field(
        default=EVENT_DEDUP_TTL,
        ge=1,
        description="Seconds an event id is remembered: emitted again within it, it is "
        "dispatched once.",
    )
    shutdown_grace: float = Field(
        default=25.0,
        ge=0,
        description="Seconds a stopping worker (SIGTERM, SIGINT) waits for events in flight.",
    )
    heartbeat_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between a worker's heartbeats (`switchboard workers`, `/readyz`); "
        "a heartbeat expires after three of them.",
    )
    ready_worker_window: float = Field(
        default=30.0,
        gt=0,
        description="`/readyz` answers 200 while a worker's heartbeat is at most this many "
        "seconds old.",
    )
    retry_schedule: Annotated[tuple[float, ...], NoDecode] = Field(
        default=(0, 5, 300, 1800, 7200, 18000, 36000, 36000),
        description="Seconds before each retry of a failed delivery (comma-separated): "
        "immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then it is a dead letter.",
    )
    retry_jitter: float = Field(
        default=0.2, ge=0, le=1, description="Each retry delay varies by up to this fraction."
    )
    retry_after_max: float = Field(
        default=86_400.0,
        gt=0,
        description="The longest a receiver's Retry-After may push a retry, in seconds.",
    )
    lease: float = Field(
        default=LEASE,
        gt=0,
        description="Seconds a worker's hold on a queue job, a retry it took or an attempt "
        "finishing in the background lasts unless renewed (every quarter of it, while the "
        "worker runs it): a worker that dies lets another take its work after this.",
    )
    retry_concurrency: int = Field(
        default=16,
        ge=1,
        description="Retries one worker runs at once: their own lane, so a backlog of retries "
        "never starves first attempts.",
    )
    delivery_retention: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="Seconds delivery records and their attempt logs are kept.",
    )
    health_disable_after: float = Field(
        default=5 * 24 * 3600.0,
        gt=0,
        description="A configuration failing without a success for this long (seconds) is "
        "disabled.",
    )
    health_min_failures: int = Field(
        default=20,
        ge=1,
        description="...and only after at least this many failed attempts.",
    )
    circuit_breaker_failures: int = Field(
        default=10,
        ge=0,
        description="Attempts to one configuration failing in a row (5xx, 429, timeouts, no "
        "connection) after which a worker stops attempting it for a while; 0: never.",
    )
    circuit_breaker_cooldown: float = Field(
        default=10.0,
        gt=0,
        description="Seconds an opened circuit stays open before one delivery probes the "
        "endpoint; doubled after each failed probe, up to 5 minutes.",
    )
    allow_cidrs: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = Field(
        default=(),
        description="Networks outbound requests may reach although the SSRF guard refuses "
        "them (comma-separated CIDRs, e.g. `127.0.0.0/8,::1/128` for local testing). Empty: "
        "public addresses only.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`text` (one readable line each) or `json` (one object each)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Of the worker and `switchboard dev`."
    )

    @field_validator("integrations", "allow_cidrs", "retry_schedule", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Lists come from the environment as comma-separated text."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("retry_schedule")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(delay < 0 for delay in value):
            raise ValueError("retry delays cannot be negative")
        return value

    @property
    def effective_redis_url(self) -> str:
        return self.redis_url or DEFAULT_REDIS_URL

    @property
    def secret_keys(self) -> tuple[str, ...]:
        if self.secret_key is None:
            return ()
        raw = self.secret_key.get_secret_value()
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    @property
    def effective_queue_name(self) -> str:
        return self.queue_name or f"{self.key_prefix}:queue"


def load_settings(**overrides: object) -> Settings:
    """Read the environment, raising ``SettingsError`` with the variable and the reason."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"SWITCHBOARD_{field.upper()}: {reason}" for field, reason in field_errors(exc)
        )
        raise SettingsError(f"Invalid settings: {problems}") from None
