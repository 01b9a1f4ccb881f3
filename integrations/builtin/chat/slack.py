"""``switchboard.slack``: post events to a Slack channel through an incoming webhook.

The payload is Block Kit (https://api.slack.com/reference/block-kit/blocks) with a
top-level ``text`` that Slack shows in notifications and where blocks cannot be shown::

    {"text": "<fallback>",
     "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "<title>"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "<<url>|<summary>>"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "<body>"}},
                {"type": "section", "fields": [{"type": "mrkdwn", "text": "*<title>*\\n<value>"}]},
                {"type": "context", "elements": [<author>, <date>, <event type>]}],
     "username": "<notify_username>", "channel": "<channel>"}

Slack's limits are kept by cutting with an ellipsis (``text.fit_escaped``): header 150,
section text 3,000, a field 2,000, 10 fields a section, 50 blocks, and the fallback 4,000
(Slack cuts above 40,000; 4,000 is its advice). They are measured in UTF-16 units, the
careful reading of Slack's "characters". Event text is escaped (``&``, ``<``, ``>``,
Slack's three, which it asks for in every text, ``plain_text`` too), and the mrkdwn text
objects are ``verbatim``, so an event can neither
write a link or a mention (``<!everyone>``, ``<https://evil|click>``) nor have Slack
turn ``@channel`` or ``#general`` into one. Slack's blocks have no colour; the
message's colour is not shown.

Slack answers errors as plain text (``no_service``, ``channel_not_found``, ...):
``PERMANENT_ERRORS`` go to the dead letters at once, with the body in the attempt log;
429 waits as long as ``Retry-After`` says (and uses up no attempt); anything else is
retried. Slack allows one message a second per webhook: ``default_rate_limit`` is 1, which
an operator changes with a configuration's ``rate_limit``. Slack's app webhooks ignore
``channel`` and ``username`` (they always post as the app, where it was installed);
legacy webhooks honour them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from types import MappingProxyType
from typing import Any, ClassVar, Final

from pydantic import Field, HttpUrl

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import DeliveryRequest, DeliveryResponse, Verdict
from switchboard.integrations.forms import Fieldset, secret_field

from .forms import MESSAGES_FIELDSET, WebhookChatForm
from .icons import icon_static_urls
from .integration import ChatIntegration
from .message import ChatField, ChatMessage
from .text import Unit, fit_escaped, one_line

__all__ = [
    "MRKDWN_ESCAPES",
    "PERMANENT_ERRORS",
    "SlackForm",
    "SlackIntegration",
    "slack_payload",
]

#: Slack's mrkdwn escapes: these three and no others (https://api.slack.com/docs/formatting).
MRKDWN_ESCAPES: Final = MappingProxyType({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

MAX_BLOCKS: Final = 50
MAX_HEADER: Final = 150
MAX_SECTION_TEXT: Final = 3000
MAX_FIELD_TEXT: Final = 2000
MAX_FIELDS_PER_SECTION: Final = 10
MAX_CONTEXT_TEXT: Final = 300
MAX_FALLBACK: Final = 4000
#: A link whose label would be shorter than this is left out (the text stays).
_MIN_LABEL: Final = 20
#: A field's title gets at most this much of its 2,000; the value the rest.
_FIELD_TITLE: Final = 200

#: Slack's answers that trying again cannot mend: the webhook is revoked or disabled, the
#: workspace or channel is gone or refuses, or the payload is one Slack will never take
#: (a bug here, kept as a dead letter to look at). Slack's 2016 changelog and its
#: webhook error table (docs.slack.dev, "Sending messages using incoming webhooks").
PERMANENT_ERRORS: Final = frozenset(
    {
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "no_active_hooks",
        "invalid_token",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "user_not_found",
        "invalid_payload",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_attachments",
        "no_text",
        "missing_text_or_fallback_or_attachments",
        "too_many_attachments",
    }
)


class SlackForm(WebhookChatForm):
    webhook_hosts: ClassVar[frozenset[str]] = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})

    webhook_url: HttpUrl = secret_field(
        title="Webhook URL",
        description="The incoming webhook's URL (https://hooks.slack.com/services/...), "
        "from your Slack app's Incoming Webhooks page; stored encrypted, never shown.",
    )
    channel: str | None = Field(
        default=None,
        max_length=80,
        title="Channel",
        description="#channel to post to; only legacy webhooks honour it (an app's "
        "webhook always posts where it was installed).",
    )
    notify_username: str | None = Field(
        default=None,
        max_length=80,
        title="Post as",
        description="The name messages appear under; only legacy webhooks honour it.",
    )

    fieldsets = (
        Fieldset(
            fields=("webhook_url", "channel", "notify_username"),
            title="Slack",
            description="Create an incoming webhook for your Slack app and paste its URL.",
        ),
        MESSAGES_FIELDSET,
    )


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {
        "type": "mrkdwn",
        "text": fit_escaped(text, limit, MRKDWN_ESCAPES, Unit.UTF16),
        "verbatim": True,
    }


def _link(url: str | None, text: str, limit: int) -> dict[str, Any]:
    """``<url|text>`` (the URL is ``safe_url``'s: no ``|`` or ``>`` in it), in ``limit``."""
    if url is not None:
        url = "".join(MRKDWN_ESCAPES.get(c, c) for c in url)  # ASCII: safe_url encoded it
    room = limit - len(url) - 3 if url is not None else 0
    if url is None or room < _MIN_LABEL:
        return _mrkdwn(text, limit)  # no link rather than a cut one
    label = fit_escaped(text, room, MRKDWN_ESCAPES, Unit.UTF16)
    return {"type": "mrkdwn", "text": f"<{url}|{label}>", "verbatim": True}


def _field(field: ChatField) -> dict[str, Any]:
    title = "*" + fit_escaped(one_line(field.title), _FIELD_TITLE, MRKDWN_ESCAPES, Unit.UTF16)
    title += "*\n"
    value = _link(field.url, field.value, MAX_FIELD_TEXT - len(title))
    return {"type": "mrkdwn", "text": title + value["text"], "verbatim": True}


def _context(message: ChatMessage) -> dict[str, Any]:
    elements = []
    if message.author is not None:
        elements.append(_link(message.author.url, message.author.name, MAX_CONTEXT_TEXT))
    when = message.timestamp.astimezone(UTC)
    epoch = int(when.timestamp())
    # Slack shows the date in the reader's time zone; the text after | is for old clients.
    date = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{when:%Y-%m-%d %H:%M} UTC>"
    elements.append({"type": "mrkdwn", "text": date})
    elements.append(_mrkdwn(message.event_type, MAX_CONTEXT_TEXT))
    return {"type": "context", "elements": elements}


def slack_payload(
    message: ChatMessage, *, channel: str | None, username: str | None
) -> dict[str, Any]:
    """``message`` as an incoming webhook's JSON, within Slack's limits."""
    header = {
        "type": "plain_text",
        "text": fit_escaped(one_line(message.title), MAX_HEADER, MRKDWN_ESCAPES, Unit.UTF16),
        "emoji": True,
    }
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": header},
        {
            "type": "section",
            "text": _link(message.url, one_line(message.summary), MAX_SECTION_TEXT),
        },
    ]
    if message.text:
        blocks.append({"type": "section", "text": _mrkdwn(message.text, MAX_SECTION_TEXT)})
    fields = [_field(field) for field in message.fields]
    for start in range(0, len(fields), MAX_FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS_PER_SECTION]})
    # The context (who, when, what) is the last block, whatever had to go to make room.
    blocks = [*blocks[: MAX_BLOCKS - 1], _context(message)]
    payload: dict[str, Any] = {
        "text": fit_escaped(message.fallback, MAX_FALLBACK, MRKDWN_ESCAPES, Unit.UTF16),
        "blocks": blocks,
    }
    if channel:
        payload["channel"] = channel
    if username:
        payload["username"] = username
    return payload


class SlackIntegration(ChatIntegration):
    integration_id = "switchboard.slack"
    name = "Slack"
    description = "Post events to a Slack channel through an incoming webhook."
    config_form_cls = SlackForm
    #: Slack: "no more than one message per second" per webhook.
    default_rate_limit: ClassVar[float | None] = 1.0
    icon_static_urls: ClassVar[Mapping[str, str]] = icon_static_urls("slack")

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        payload = slack_payload(
            message, channel=config.get("channel"), username=config.get("notify_username")
        )
        return DeliveryRequest.post_json(self.endpoint(config), payload)

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.ok:
            return None
        error = response.body[:100].decode(errors="replace").strip()
        if error in PERMANENT_ERRORS:
            return Verdict.PERMANENT
        return None  # 429 waits for Retry-After; 5xx (rollup_error) and the rest retry
