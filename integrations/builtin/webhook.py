"""``switchboard.webhook``: POST each event as JSON to a URL.

The body is ``{"id", "type", "timestamp", "tenant", "data"}``, the shape the
Standard Webhooks specification recommends, with ``Content-Type:
application/json``. ``event_types`` narrows which events a configuration
gets (patterns, as for subscriptions); ``headers`` adds headers, and is
secret because that is where an ``Authorization`` token goes.

Every delivery is signed by the Standard Webhooks scheme with ``secret``
(``whsec_`` + base64, generated when not given). Setting a new secret keeps
the old one as ``previous_secret`` for ``SECRET_ROTATION_OVERLAP`` (24 h),
and both sign until then, so a receiver can switch over without losing a
message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import orjson
from pydantic import AwareDatetime, Field, HttpUrl, SecretStr, field_validator

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import ENGINE_HEADERS, DeliveryRequest
from switchboard.integrations.events import Event
from switchboard.integrations.forms import ConfigForm, Fieldset, secret_field
from switchboard.integrations.integration import Integration
from switchboard.integrations.signing import generate_secret, secret_key
from switchboard.integrations.subscriptions import compile_pattern

if TYPE_CHECKING:
    from switchboard.integrations.manager import IntegrationManager

__all__ = ["SECRET_ROTATION_OVERLAP", "WebhookForm", "WebhookIntegration"]

#: How long a replaced secret keeps signing beside the new one.
SECRET_ROTATION_OVERLAP: Final = timedelta(hours=24)

_APP_EVENTS: Final = re.compile(r"(?!switchboard\.)[a-z0-9_]+(\.[a-z0-9_]+)*")
_HEADER_NAME: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Headers of every request this integration sends that a configuration cannot set: the
#: engine's own, and the body's type, which is this integration's.
_OWNED_HEADERS: Final = ENGINE_HEADERS | {"content-type"}


class WebhookForm(ConfigForm):
    url: HttpUrl = Field(title="URL", description="Where to POST the events (http or https).")
    event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        # Every event is matched against each: a list, not a table.
        max_length=100,
        title="Event types",
        description="Patterns of the event types to send: `review.published`, `review.*`, `*`.",
    )
    headers: dict[str, str] = secret_field(
        default_factory=dict,
        title="Extra headers",
        description="Sent with every request, e.g. an Authorization header.",
    )

    secret: SecretStr = Field(
        default_factory=lambda: SecretStr(generate_secret()),
        title="Signing secret",
        description="Standard Webhooks secret (whsec_ + base64 of 24 or more bytes); "
        "generated when not given.",
    )
    previous_secret: SecretStr | None = Field(
        default=None,
        title="Previous signing secret",
        description="Set by a rotation; signs beside the new one until it expires.",
    )
    previous_secret_expires_at: AwareDatetime | None = Field(default=None)

    fieldsets = (
        Fieldset(fields=("url", "event_types", "headers"), title="Endpoint"),
        Fieldset(
            fields=("secret", "previous_secret", "previous_secret_expires_at"), title="Signing"
        ),
    )

    @field_validator("secret", "previous_secret")
    @classmethod
    def _valid_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None:
            secret_key(secret.get_secret_value())
        return secret

    @field_validator("event_types")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if len(pattern) > 200:  # an event type is at most 200 characters
                raise ValueError(f"{pattern[:40]!r}... is longer than an event type can be")
            compile_pattern(pattern)  # InvalidArgumentError names the pattern and the rule
        return patterns

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        owned = [name for name in headers if name.lower() in _OWNED_HEADERS]
        if owned:
            raise ValueError(
                f"{', '.join(owned)}: set by Switchboard on every request, so not settable "
                "here (the Standard Webhooks headers identify and sign the delivery)"
            )
        # The headers are a secret (an Authorization header, say): an error says which one
        # by its place, never by quoting what was typed.
        for place, (name, value) in enumerate(headers.items(), start=1):
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header {place}: its name is not a valid header name")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {place}: its value contains a line break")
        return headers


def _expiry(value: Any) -> datetime | None:
    """A stored or typed expiry, if it is a time with a zone (the form refuses the rest,
    in its own words, after this)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


class WebhookIntegration(Integration):
    integration_id = "switchboard.webhook"
    name = "Webhook"
    description = "POST every event as JSON to a URL of your choice."
    config_form_cls = WebhookForm

    def __init__(self, manager: IntegrationManager) -> None:
        super().__init__(manager)
        # config id -> (the view it was compiled for, its event type patterns)
        self._patterns: dict[str, tuple[IntegrationConfig, list[re.Pattern[str]]]] = {}

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    def refresh_request(
        self, config: IntegrationConfig, request: DeliveryRequest
    ) -> DeliveryRequest:
        # The configuration's URL and headers as they are now; the body as first sent.
        return DeliveryRequest(
            config.get("url"), request.body, headers=_headers(config), key=request.key
        )

    def signing_secrets(self, config: IntegrationConfig, now: datetime) -> Sequence[str]:
        secrets = [config.get("secret")]
        previous = config.get("previous_secret")
        expires = config.get("previous_secret_expires_at")
        if previous and expires and now < datetime.fromisoformat(expires):
            secrets.append(previous)
        return [secret for secret in secrets if secret]

    def prepare_settings_update(
        self, old: Mapping[str, Any], new: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        old_secret = old.get("secret")
        if old_secret and new.get("secret") != old_secret:
            new["previous_secret"] = old_secret
            new["previous_secret_expires_at"] = (now + SECRET_ROTATION_OVERLAP).isoformat()
        else:
            expires = _expiry(new.get("previous_secret_expires_at"))
            if expires is not None and expires <= now:
                new.pop("previous_secret", None)
                new.pop("previous_secret_expires_at", None)
        return new

    def shutdown(self) -> None:
        self._patterns.clear()

    async def on_event(self, event: Event) -> None:
        configs = [
            c
            for c in await self.get_configs(event)
            if event.config_id or self._wants(c, event.type)
        ]
        if not configs:
            return
        body = orjson.dumps(
            {
                "id": event.id,
                "type": event.type,
                "timestamp": event.occurred_at.isoformat(),
                "tenant": event.tenant,
                "data": event.data,
            }
        )
        sends = [
            self.send(
                config, event, DeliveryRequest(config.get("url"), body, headers=_headers(config))
            )
            for config in configs
        ]
        await asyncio.gather(*sends)

    def _wants(self, config: IntegrationConfig, event_type: str) -> bool:
        cached = self._patterns.get(config.id)
        if cached is None or cached[0] is not config:
            patterns = [
                # "*" means the app's events: Switchboard's own (switchboard.*) go only
                # where a pattern names them, so a dead endpoint's dead letters are not
                # sent back to it, or to every other endpoint, unasked.
                _APP_EVENTS if pattern == "*" else compile_pattern(pattern)
                for pattern in config.get("event_types", ["*"])
            ]
            cached = self._patterns[config.id] = (config, patterns)
        return any(pattern.fullmatch(event_type) for pattern in cached[1])


def _headers(config: IntegrationConfig) -> Mapping[str, str]:
    extra: Mapping[str, str] = config.get("headers") or {}
    if extra and not _OWNED_HEADERS.isdisjoint(name.lower() for name in extra):
        # Stored before the form refused them: left out rather than failing every delivery.
        extra = {name: value for name, value in extra.items() if name.lower() not in _OWNED_HEADERS}
    return {"Content-Type": "application/json", **extra}
