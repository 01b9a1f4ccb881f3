"""``switchboard.msteams``: post events to a Microsoft Teams channel as an Adaptive Card,
through a Workflows (Power Automate) webhook, the replacement for the retired Office 365
connectors.

The Workflow template "Post to a channel when a webhook request is received" takes a
message with Adaptive Card attachments and posts each card
(https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using)::

    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                      "contentUrl": null,
                      "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                  "type": "AdaptiveCard", "version": "1.4",
                                  "body": [<title>, <summary>, <text>, <FactSet>, <context>],
                                  "actions": [{"type": "Action.OpenUrl", ...}]}}]}

Version 1.4, which Teams renders on every client (desktop and web take 1.5, mobile lags).
Teams refuses a message over 28 KB: the whole payload is kept under ``MAX_PAYLOAD_BYTES``
by cutting the body and then the facts, never the title. ``TextBlock`` and facts are
Markdown (bold, italic, lists, links) and nothing else (no HTML); event text has ``\\``,
``*``, ``_``, ``[`` and ``]`` backslash-escaped, and a line that would start a list has its
marker escaped, so an event cannot write a link, emphasis or a list. Line breaks are
doubled (Teams' Markdown joins single ones).

The trigger answers ``202 Accepted`` as soon as the flow run is queued: a card it cannot
post fails inside the run and is never reported back, which is why the stand-in checks the
card strictly. ``400`` (the payload), ``401``/``403`` (the signature, a disabled flow) and
``404`` (a deleted flow) are permanent; 429 waits as ``Retry-After`` says. Teams throttles
above four requests a second per webhook: ``default_rate_limit`` is 4.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from types import MappingProxyType
from typing import Any, ClassVar, Final

import orjson
from pydantic import HttpUrl, field_validator

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import DeliveryRequest, DeliveryResponse, Verdict
from switchboard.integrations.forms import Fieldset, secret_field

from .forms import MESSAGES_FIELDSET, ChatForm, is_loopback
from .icons import icon_static_urls
from .integration import ChatIntegration
from .message import GOOD_COLOUR, WARNING_COLOUR, ChatField, ChatMessage
from .text import Unit, fit_escaped, one_line

__all__ = [
    "CARD_CONTENT_TYPE",
    "CARD_VERSION",
    "MARKDOWN_ESCAPES",
    "MAX_PAYLOAD_BYTES",
    "PERMANENT_STATUSES",
    "TeamsForm",
    "TeamsIntegration",
    "teams_payload",
]

CARD_CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA: Final = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION: Final = "1.4"
#: Teams' 28 KB, read as 28,000 bytes, less room for what Power Automate wraps around it.
MAX_PAYLOAD_BYTES: Final = 26_000
MAX_TITLE: Final = 300
MAX_SUMMARY: Final = 1000
#: The body's first budget, in UTF-8 bytes of escaped Markdown; halved while too big.
MAX_TEXT: Final = 20_000
_MIN_TEXT: Final = 500
#: A link whose label would be shorter than this is left out (the text stays).
_MIN_LABEL: Final = 20
MAX_FACTS: Final = 25
MAX_FACT_TITLE: Final = 200
MAX_FACT_VALUE: Final = 2000

#: Placeholders a list marker at the start of a line becomes, so that the table escapes it.
_MARKERS: Final = {"-": "\ue000", "+": "\ue001", ".": "\ue002", ")": "\ue003"}
#: Teams' Markdown: emphasis and links, backslash-escaped; line breaks doubled.
MARKDOWN_ESCAPES: Final = MappingProxyType(
    {
        "\\": "\\\\",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "\n": "\n\n",
        **{placeholder: "\\" + marker for marker, placeholder in _MARKERS.items()},
    }
)
_LIST_ITEM: Final = re.compile(r"^(\s*)(?:([-+])|([0-9]{1,9})([.)]))(?=\s)", re.MULTILINE)
_COLOURS: Final = MappingProxyType({GOOD_COLOUR: "Good", WARNING_COLOUR: "Warning"})

#: Answers that trying again cannot mend: the payload (ours to fix), the URL's signature,
#: a flow disabled or deleted.
PERMANENT_STATUSES: Final = frozenset({400, 401, 403, 404})


class TeamsForm(ChatForm):
    #: Where Workflows' webhook URLs live (Logic Apps, and Power Platform's newer hosts).
    webhook_host_suffixes: ClassVar[tuple[str, ...]] = (
        ".logic.azure.com",
        ".api.powerplatform.com",
    )

    webhook_url: HttpUrl = secret_field(
        title="Workflow URL",
        description='The HTTP POST URL of a Teams Workflow made from the template "Post to '
        'a channel when a webhook request is received"; its sig= is the credential: stored '
        "encrypted, never shown.",
    )

    fieldsets = (
        Fieldset(
            fields=("webhook_url",),
            title="Microsoft Teams",
            description="In the channel, choose Workflows, add the webhook template and paste "
            "its URL. Cards are posted by the Workflows bot, under its name.",
        ),
        MESSAGES_FIELDSET,
    )

    @field_validator("webhook_url")
    @classmethod
    def _valid_webhook_url(cls, url: HttpUrl) -> HttpUrl:
        host = (url.host or "").lower()
        if is_loopback(host):
            return url  # a development or test server on this machine
        if url.scheme != "https":
            raise ValueError("must be https:// (the URL is the Workflow's credential)")
        if not host.endswith(cls.webhook_host_suffixes):
            raise ValueError(
                "must be a Workflows URL (on logic.azure.com or api.powerplatform.com); "
                "Office 365 connector URLs are retired"
            )
        return url


def markdown(text: str, limit: int) -> str:
    """``text`` as Teams Markdown that shows it as it is, in ``limit`` UTF-8 bytes."""
    text = text.translate({ord(p): None for p in _MARKERS.values()})

    def escape_marker(match: re.Match[str]) -> str:
        indent, sign, number, dot = match.groups()
        return indent + (_MARKERS[sign] if sign else number + _MARKERS[dot])

    return fit_escaped(_LIST_ITEM.sub(escape_marker, text), limit, MARKDOWN_ESCAPES, Unit.UTF8)


def _link(url: str | None, text: str, limit: int) -> str:
    # safe_url percent-encoded ( ) < > and spaces: the URL cannot end the link early.
    if url is None or limit - len(url) - 4 < _MIN_LABEL:
        return markdown(text, limit)
    return f"[{markdown(text, limit - len(url) - 4)}]({url})"


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _fact(field: ChatField) -> dict[str, str]:
    return {
        "title": markdown(one_line(field.title), MAX_FACT_TITLE),
        "value": _link(field.url, field.value, MAX_FACT_VALUE),
    }


def _context(message: ChatMessage) -> str:
    parts = []
    if message.author is not None:
        parts.append(_link(message.author.url, one_line(message.author.name), 300))
    parts.append(f"{message.timestamp.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    parts.append(markdown(message.event_type, 300))
    return " · ".join(parts)


def _card(message: ChatMessage, text_limit: int, facts: int) -> dict[str, Any]:
    body = [
        _text_block(markdown(one_line(message.title), MAX_TITLE), weight="Bolder", size="Medium"),
        _text_block(
            _link(message.url, one_line(message.summary), MAX_SUMMARY),
            color=_COLOURS.get(message.colour, "Default"),
        ),
    ]
    if message.text:
        body.append(_text_block(markdown(message.text, text_limit)))
    if message.fields[:facts]:
        body.append({"type": "FactSet", "facts": [_fact(f) for f in message.fields[:facts]]})
    body.append(_text_block(_context(message), isSubtle=True, size="Small"))
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if message.url is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": message.url}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def teams_payload(message: ChatMessage) -> dict[str, Any]:
    """``message`` as a Workflows webhook's JSON, under Teams' size limit."""
    text_limit, facts = MAX_TEXT, min(len(message.fields), MAX_FACTS)
    while True:
        payload = _card(message, text_limit, facts)
        # Measured as sent: JSON's own escapes (\\, \", \u0001) count too.
        if len(orjson.dumps(payload)) <= MAX_PAYLOAD_BYTES:
            return payload
        if text_limit > _MIN_TEXT and message.text:
            text_limit = max(_MIN_TEXT, text_limit // 2)
        elif facts:
            facts //= 2  # the first facts are the ones that matter most
        else:  # pragma: no cover - title, summary and context are capped far below it
            raise AssertionError("a Teams card without body or facts cannot be too large")


class TeamsIntegration(ChatIntegration):
    integration_id = "switchboard.msteams"
    name = "Microsoft Teams"
    description = "Post events to a Microsoft Teams channel as Adaptive Cards, through a Workflow."
    config_form_cls = TeamsForm
    #: Teams: "more than four requests in a second" are throttled.
    default_rate_limit: ClassVar[float | None] = 4.0
    icon_static_urls: ClassVar[Mapping[str, str]] = icon_static_urls("msteams")

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        return DeliveryRequest.post_json(self.endpoint(config), teams_payload(message))

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.status in PERMANENT_STATUSES:
            return Verdict.PERMANENT
        return None  # 202 delivered; 429 waits for Retry-After; 5xx retry
