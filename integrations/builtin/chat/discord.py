"""``switchboard.discord``: post events to a Discord channel through its native webhook.

``POST https://discord.com/api/webhooks/{id}/{token}?wait=true`` (never the ``/slack``
shim; ``wait=true`` so that a message Discord fails to save is an error, not a silent
``204``, and the answer is the message). The payload is one embed
(https://discord.com/developers/docs/resources/message#embed-object)::

    {"embeds": [{"title": "<title>", "url": "<url>", "color": 15715478,
                 "description": "**<summary>**\\n\\n<body>",
                 "author": {"name": "<author>", "url": "..."},
                 "fields": [{"name": "<title>", "value": "<value>", "inline": true}],
                 "footer": {"text": "<event type>"}, "timestamp": "<ISO 8601>"}],
     "allowed_mentions": {"parse": []}, "username": "<notify_username>"}

Discord's limits are kept by cutting with an ellipsis, counted in UTF-16 units: title
256, description 4,096, 25 fields (name 256, value 1,024), author 256, footer 2,048, and
6,000 for all of them together (the description gets what the title, author and footer
leave, short of some room for the fields, which then take what remains, in order).
``allowed_mentions`` is always ``{"parse": []}``, so no text pings ``@everyone``, a role
or a user; and Markdown is escaped with backslashes in the description and fields, so
an event writes no bold, spoiler, heading, quote, masked link or mention of its own. A
title renders emphasis only (``TITLE_ESCAPES``), and a heading, list or quote only at
its start, so only those are escaped there: ``#42: Fix it`` shows as written.

Discord answers errors as JSON (``{"code": 10015, "message": "Unknown Webhook"}``):
``PERMANENT_CODES`` (the webhook is deleted, its token invalid, the payload one Discord
will never take) go to the dead letters at once; a 429 waits as long as Discord says,
``retry_after`` in its body (``retry_after`` here) or ``Retry-After``, and uses up no
attempt; the rest is retried. The webhook always posts in its own channel: ``channel``
is refused; ``notify_username`` must be a name Discord takes (refused by the form).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC
from types import MappingProxyType
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from pydantic import Field, HttpUrl, field_validator

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import DeliveryRequest, DeliveryResponse, Verdict
from switchboard.integrations.forms import Fieldset, secret_field

from .forms import MESSAGES_FIELDSET, WebhookChatForm
from .icons import icon_static_urls
from .integration import ChatIntegration
from .message import ChatField, ChatMessage
from .text import Unit, fit, fit_escaped, measure, one_line

__all__ = [
    "MARKDOWN_ESCAPES",
    "MAX_TOTAL",
    "PERMANENT_CODES",
    "DiscordForm",
    "DiscordIntegration",
    "discord_payload",
]

#: Discord's Markdown, escaped with a backslash (emphasis, code, spoilers, quotes,
#: headings and lists, masked links, mentions; ``<`` also custom emoji and timestamps).
MARKDOWN_ESCAPES: Final = MappingProxyType({c: "\\" + c for c in "\\*_~`|><#-[]()@"})
#: An embed title is one line that Discord renders emphasis in, but no links, mentions,
#: quotes, lists or headings but at its start: escaping more would show the backslashes.
TITLE_ESCAPES: Final = MappingProxyType({c: "\\" + c for c in "\\*_~`|"})
#: What makes a heading, a list or a quote of a line when it comes first.
_LINE_START: Final = re.compile(r"(#{1,3}|-#|[-*+]|>{1,3})\s")

MAX_TITLE: Final = 256
MAX_DESCRIPTION: Final = 4096
MAX_FIELDS: Final = 25
MAX_FIELD_NAME: Final = 256
MAX_FIELD_VALUE: Final = 1024
MAX_AUTHOR: Final = 256
MAX_FOOTER: Final = 2048
#: All of an embed's title, description, field names and values, author and footer.
MAX_TOTAL: Final = 6000
#: What the description leaves for the fields (when they need it).
_FIELDS_ROOM: Final = 1500
_MIN_FIELD_VALUE: Final = 20
#: What a blank field value shows (Discord refuses an empty one).
_BLANK: Final = "—"

#: Discord's JSON error codes that trying again cannot mend: Unknown Webhook (10015,
#: 404), Invalid Webhook Token (50027, 401), Missing Access / Permissions (50001,
#: 50013), Cannot send an empty message (50006) and Invalid Form Body (50035: a payload
#: it will never take). docs/topics/opcodes-and-status-codes.md.
PERMANENT_CODES: Final = frozenset({10015, 50027, 50001, 50013, 50006, 50035})
#: ``/api/webhooks/{id}/{token}`` (``/api/v10/...`` too), nothing after it.
_WEBHOOK_PATH: Final = re.compile(r"/api(/v[0-9]+)?/webhooks/[0-9]+/[A-Za-z0-9_-]+/?")
#: A name Discord refuses to post under (docs/resources/user.md, "Usernames").
_FORBIDDEN_IN_NAMES: Final = ("discord", "clyde", "@", "#", ":", "```")


class DiscordForm(WebhookChatForm):
    webhook_hosts: ClassVar[frozenset[str]] = frozenset(
        {"discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"}
    )

    webhook_url: HttpUrl = secret_field(
        title="Webhook URL",
        description="The webhook's URL (https://discord.com/api/webhooks/...), from the "
        "channel's Integrations > Webhooks; stored encrypted, never shown.",
    )
    channel: str | None = Field(
        default=None,
        title="Channel",
        description="Leave empty: a Discord webhook posts only in the channel it was made "
        "for (make one there to post elsewhere).",
    )
    notify_username: str | None = Field(
        default=None,
        max_length=80,
        title="Post as",
        description="The name messages appear under (1 to 80 characters, without "
        '"discord", "clyde", @, # or :); the webhook\'s own name if empty.',
    )

    fieldsets = (
        Fieldset(
            fields=("webhook_url", "channel", "notify_username"),
            title="Discord",
            description="Create a webhook in the channel's settings and paste its URL.",
        ),
        MESSAGES_FIELDSET,
    )

    @field_validator("webhook_url")
    @classmethod
    def _a_native_webhook(cls, url: HttpUrl) -> HttpUrl:
        if not _WEBHOOK_PATH.fullmatch(url.path or ""):
            raise ValueError(
                "must be a webhook's URL, https://discord.com/api/webhooks/<id>/<token> "
                "(without /slack or /github)"
            )
        return url

    @field_validator("channel")
    @classmethod
    def _no_channel(cls, channel: str | None) -> str | None:
        if channel:
            raise ValueError("a Discord webhook posts only in its own channel: make one there")
        return None

    @field_validator("notify_username")
    @classmethod
    def _a_name_discord_takes(cls, name: str | None) -> str | None:
        if name is None or not name.strip():
            return None
        name = " ".join(name.split())  # as Discord trims it
        lowered = name.lower()
        for part in _FORBIDDEN_IN_NAMES:
            if part in lowered:
                raise ValueError(f"Discord refuses names with {part!r} in them")
        if lowered in {"everyone", "here"}:
            raise ValueError(f"Discord refuses the name {name!r}")
        return name


def _markdown(text: str, limit: int) -> str:
    return fit_escaped(text, limit, MARKDOWN_ESCAPES, Unit.UTF16)


def _title(text: str) -> str:
    text = one_line(text)
    if _LINE_START.match(text):  # escaped: "# Title" is no heading
        return "\\" + text[0] + fit_escaped(text[1:], MAX_TITLE - 2, TITLE_ESCAPES, Unit.UTF16)
    return fit_escaped(text, MAX_TITLE, TITLE_ESCAPES, Unit.UTF16)


def _size(text: str) -> int:
    return measure(text, Unit.UTF16)


def _fields(fields: tuple[ChatField, ...], room: int) -> list[dict[str, Any]]:
    """As many fields as fit in ``room`` (and 25), in order; each within its limits."""
    embedded = []
    for field in fields[:MAX_FIELDS]:
        name = _markdown(one_line(field.title), MAX_FIELD_NAME) or _BLANK
        value_room = min(MAX_FIELD_VALUE, room - _size(name))
        if value_room < _MIN_FIELD_VALUE:
            break
        value = _markdown(field.value, value_room) if field.value.strip() else _BLANK
        if field.url:
            # A ) in the URL would end the masked link early: encoded, it cannot.
            linked = f"[{value}]({field.url.replace('(', '%28').replace(')', '%29')})"
            value = linked if _size(linked) <= value_room else value
        embedded.append({"name": name, "value": value, "inline": field.short})
        room -= _size(name) + _size(value)
    return embedded


def discord_payload(message: ChatMessage, *, username: str | None) -> dict[str, Any]:
    """``message`` as an Execute Webhook JSON body, within Discord's limits."""
    embed: dict[str, Any] = {
        "title": _title(message.title),
        "color": int(message.colour.removeprefix("#"), 16),
        "timestamp": message.timestamp.astimezone(UTC).isoformat(),
        "footer": {"text": fit(one_line(message.event_type), MAX_FOOTER, Unit.UTF16)},
    }
    if message.url:
        embed["url"] = message.url
    if message.author is not None and message.author.name.strip():
        author: dict[str, Any] = {
            "name": fit(one_line(message.author.name), MAX_AUTHOR, Unit.UTF16)
        }
        if message.author.url:
            author["url"] = message.author.url
        embed["author"] = author
    used = _size(embed["title"]) + _size(embed["footer"]["text"])
    used += _size(embed["author"]["name"]) if "author" in embed else 0
    wanted = sum(len(f.title) + len(f.value) for f in message.fields[:MAX_FIELDS])
    room = MAX_TOTAL - used - min(wanted, _FIELDS_ROOM)
    # Bold, with the ** outside the limit's count of the escaped summary.
    summary = "**" + _markdown(one_line(message.summary), min(MAX_TITLE, room) - 4) + "**"
    description = summary
    if message.text and message.text.strip():
        body_room = min(MAX_DESCRIPTION, room) - _size(summary) - 2
        if body_room > _MIN_FIELD_VALUE:
            description += "\n\n" + _markdown(message.text, body_room)
    embed["description"] = description
    fields = _fields(message.fields, MAX_TOTAL - used - _size(description))
    if fields:
        embed["fields"] = fields
    payload: dict[str, Any] = {"embeds": [embed], "allowed_mentions": {"parse": []}}
    if username:
        payload["username"] = username
    return payload


def webhook_endpoint(url: str) -> str:
    """``url`` with ``wait=true`` (and whatever query it had, ``thread_id`` say)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "wait"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("wait", "true")])))


class DiscordIntegration(ChatIntegration):
    integration_id = "switchboard.discord"
    name = "Discord"
    description = "Post events to a Discord channel through a webhook."
    config_form_cls = DiscordForm
    icon_static_urls: ClassVar[Mapping[str, str]] = icon_static_urls("discord")

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        payload = discord_payload(message, username=config.get("notify_username"))
        return DeliveryRequest.post_json(self.endpoint(config), payload)

    def endpoint(self, config: IntegrationConfig) -> str:
        return webhook_endpoint(super().endpoint(config))

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.ok or response.status == 429:
            return None  # 429 waits (retry_after); it is not a verdict
        code = _error(response).get("code")
        if isinstance(code, int) and code in PERMANENT_CODES:
            return Verdict.PERMANENT
        if response.status in {401, 404}:
            return Verdict.PERMANENT  # "a webhook that returns 404: do not use it again"
        return None

    def retry_after(self, config: IntegrationConfig, response: DeliveryResponse) -> float | None:
        """Discord's ``retry_after`` (seconds, a float) in a 429's body, else its
        ``X-RateLimit-Reset-After`` header; ``Retry-After`` the engine reads itself."""
        if response.status != 429:
            return None
        seconds = _error(response).get("retry_after")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            try:
                seconds = float(response.headers.get("X-RateLimit-Reset-After", ""))
            except ValueError:
                return None
        return float(seconds) if math.isfinite(seconds) and seconds >= 0 else None


def _error(response: DeliveryResponse) -> Mapping[str, Any]:
    try:
        error = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return {}  # Cloudflare's page, not Discord's JSON
    return error if isinstance(error, dict) else {}
