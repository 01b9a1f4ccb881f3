"""One Zulip message as an HTTP request, in the format of Zulip's send-message API.

``POST {site}/api/v1/messages``, HTTP Basic authentication with the bot's email and
API key, and an ``application/x-www-form-urlencoded`` body: ``type=stream``, ``to``
(the channel), ``topic`` and ``content`` (Zulip Markdown). Zulip refuses or cuts a
topic over 60 characters and content over 10,000 bytes; this module cuts them first,
so that what arrives is what was meant, marked as cut (https://zulip.com/api/send-message).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import orjson

from switchboard.integrations import DeliveryRequest, Event, IntegrationConfig

__all__ = [
    "FORM_CONTENT_TYPE",
    "MAX_CONTENT_BYTES",
    "MAX_TOPIC_CHARS",
    "build_request",
    "fit_bytes",
    "fit_chars",
    "message_content",
    "message_topic",
    "messages_url",
    "request_headers",
]

MAX_TOPIC_CHARS: Final = 60
MAX_CONTENT_BYTES: Final = 10_000
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
#: What ends a cut topic or message, so readers know there was more.
_CUT: Final = "…"


def messages_url(site: str) -> str:
    """The send-message endpoint of a site (which may live under a path)."""
    parts = urlsplit(site)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/api/v1/messages"


def fit_chars(text: str, limit: int) -> str:
    """``text``, or its first characters and ``…``, in at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - len(_CUT)] + _CUT


def fit_bytes(text: str, limit: int) -> str:
    """``text``, or its start and ``…``, in at most ``limit`` bytes of UTF-8, never
    splitting a character."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    room = limit - len(_CUT.encode())
    return encoded[:room].decode(errors="ignore") + _CUT


def message_topic(template: str, event: Event) -> str:
    # replace(), not format(): a tenant's template must not reach into objects.
    return fit_chars(template.replace("{type}", event.type), MAX_TOPIC_CHARS)


def message_content(event: Event) -> str:
    """The event as Zulip Markdown: its type in bold, then a line per top-level field."""
    lines = [f"**{event.type}**" + (f" (tenant `{event.tenant}`)" if event.tenant else "")]
    lines.extend(f"- **{key}**: {_shown(value)}" for key, value in event.data.items())
    return fit_bytes("\n".join(lines), MAX_CONTENT_BYTES)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split())  # one line: a newline would end the list item
    return orjson.dumps(value).decode()


def request_headers(config: IntegrationConfig) -> Mapping[str, str]:
    """The body's type and the bot's credentials, from the configuration as it is now."""
    credentials = f"{config.get('bot_email')}:{config.get('api_key')}".encode()
    return {
        "Content-Type": FORM_CONTENT_TYPE,
        "Authorization": "Basic " + base64.b64encode(credentials).decode(),
    }


def build_request(config: IntegrationConfig, event: Event) -> DeliveryRequest:
    body = urlencode(
        {
            "type": "stream",
            "to": config.get("stream"),
            "topic": message_topic(config.get("topic"), event),
            "content": message_content(event),
        }
    ).encode()
    return DeliveryRequest(messages_url(config.get("site")), body, headers=request_headers(config))
