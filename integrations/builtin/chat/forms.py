"""The chat integrations' config forms: what every chat service takes, and what the
webhook-based ones (Slack, Mattermost, Discord, Teams) add.

``ChatForm`` has ``event_types``: patterns of the event types a configuration posts
(``review.published``, ``review_request.*``, ``*``; default ``*``, every event of the
app: Switchboard's own ``switchboard.*`` events go only where a pattern names them).
``WebhookChatForm`` adds Review Board's settings: ``webhook_url`` (secret: the URL is the
credential), ``channel`` and ``notify_username`` (overrides, which some services ignore;
each service's form says so in its descriptions). A service's form subclasses one of
them, sets ``webhook_hosts`` (the hosts its webhook URLs live on; loopback is always
allowed, for a local test server) and re-declares a field to describe it its own way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import ClassVar, Final

from pydantic import Field, HttpUrl, field_validator

from switchboard.integrations.forms import ConfigForm, Fieldset, secret_field
from switchboard.integrations.subscriptions import compile_pattern

__all__ = [
    "MAX_EVENT_TYPE_PATTERNS",
    "MESSAGES_FIELDSET",
    "ChatForm",
    "WebhookChatForm",
    "is_loopback",
]

#: Every event is matched against each pattern: a list, not a table.
MAX_EVENT_TYPE_PATTERNS: Final = 100

#: The fieldset of what every chat service posts: each service's form ends with it.
MESSAGES_FIELDSET: Final = Fieldset(
    fields=("event_types",),
    title="Messages",
    description="Review Board's events are worded as Review Board posts them; "
    "any other event shows its title, text and fields, or its data.",
)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: where only a development or test server runs."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChatForm(ConfigForm):
    event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=MAX_EVENT_TYPE_PATTERNS,
        title="Event types",
        description="Patterns of the events to post: review.published, review_request.*, "
        "or * for every event.",
    )

    fieldsets: ClassVar[Sequence[Fieldset]] = (MESSAGES_FIELDSET,)

    @field_validator("event_types")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if len(pattern) > 200:  # an event type is at most 200 characters
                raise ValueError(f"{pattern[:40]!r}... is longer than an event type can be")
            compile_pattern(pattern)  # InvalidArgumentError names the pattern and the rule
        return patterns


class WebhookChatForm(ChatForm):
    #: The hosts this service's webhook URLs are on (empty: any). Loopback always passes.
    webhook_hosts: ClassVar[frozenset[str]] = frozenset()

    webhook_url: HttpUrl = secret_field(
        title="Webhook URL",
        description="The incoming webhook's URL; stored encrypted, never shown.",
    )
    channel: str | None = Field(
        default=None,
        max_length=80,
        title="Channel",
        description="Post to this channel instead of the webhook's own, where the service "
        "allows it.",
    )
    notify_username: str | None = Field(
        default=None,
        max_length=80,
        title="Post as",
        description="The name messages are posted under, where the service allows it.",
    )

    fieldsets = (
        Fieldset(
            fields=("webhook_url", "channel", "notify_username"),
            title="Destination",
            description="Where messages go, and under which name.",
        ),
        MESSAGES_FIELDSET,
    )

    @field_validator("webhook_url")
    @classmethod
    def _valid_webhook_url(cls, url: HttpUrl) -> HttpUrl:
        host = url.host or ""
        if is_loopback(host):
            return url  # a development or test server on this machine
        # The URL is the credential: over https only.
        if url.scheme != "https":
            raise ValueError("must be https:// (the URL is the webhook's credential)")
        if cls.webhook_hosts and host.lower() not in cls.webhook_hosts:
            hosts = ", ".join(sorted(cls.webhook_hosts))
            raise ValueError(f"must be a webhook URL on {hosts}")
        return url
