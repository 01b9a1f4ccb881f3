"""The Zulip integration's config form: where to post (server) and what (messages)."""

from __future__ import annotations

import ipaddress
from typing import Final

from pydantic import Field, HttpUrl, SecretStr, field_validator

from switchboard.integrations import ConfigForm, Fieldset, compile_pattern

__all__ = ["MAX_CHANNEL_NAME_CHARS", "ZulipForm"]

#: Zulip's longest channel (stream) name.
MAX_CHANNEL_NAME_CHARS: Final = 60

_LOCAL_NAMES: Final = frozenset({"localhost"})


class ZulipForm(ConfigForm):
    site: HttpUrl = Field(
        title="Zulip site URL",
        description="Your organization's address, e.g. https://chat.example.com.",
    )
    bot_email: str = Field(
        title="Bot email",
        pattern=r"^[^@\s]+@[^@\s]+$",
        max_length=254,
        description="The email address of the bot that posts (Settings → Bots).",
    )
    api_key: SecretStr = Field(
        title="API key",
        min_length=1,
        description="The bot's API key; stored encrypted, never shown.",
    )
    stream: str = Field(
        title="Channel",
        min_length=1,
        max_length=MAX_CHANNEL_NAME_CHARS,
        description="The channel (stream) to post to; the bot must be allowed to post there.",
    )
    topic: str = Field(
        title="Topic",
        min_length=1,
        description="The topic of each message; {type} becomes the event type. "
        "Cut to 60 characters.",
    )
    event_types: list[str] = Field(
        min_length=1,
        max_length=100,
        title="Event types",
        description="Patterns of the events to post: review.published, review.*, *.",
    )

    fieldsets = (
        Fieldset(
            fields=("site", "bot_email", "api_key"),
            title="Zulip server",
            description="Create a generic bot in Zulip and copy its email and API key here.",
        ),
        Fieldset(fields=("stream", "topic", "event_types"), title="Messages"),
    )

    @field_validator("site")
    @classmethod
    def _https_unless_local(cls, site: HttpUrl) -> HttpUrl:
        # The API key travels in every request's Authorization header: over https only,
        # but for a development server on this machine.
        if site.scheme != "https" and not _is_local(site.host or ""):
            raise ValueError("must be https:// (the API key is sent with every message)")
        if site.query or site.fragment:
            raise ValueError("must be the site's address, without ?query or #fragment")
        return site

    @field_validator("event_types")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            compile_pattern(pattern)  # InvalidArgumentError names the pattern and the rule
        return patterns


def _is_local(host: str) -> bool:
    host = host.strip("[]")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
