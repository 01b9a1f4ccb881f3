"""``switchboard.mattermost``: post events to a Mattermost channel through an incoming webhook.

The payload is Mattermost's Slack-compatible message attachment
(https://developers.mattermost.com/integrate/reference/message-attachments/)::

    {"attachments": [{"fallback": "<fallback>", "color": "#efcc96",
                      "pretext": "<summary>", "author_name": "<author>", "author_link": "...",
                      "title": "<title>", "title_link": "<url>", "text": "<body>",
                      "fields": [{"title": "<title>", "value": "<value>", "short": true}],
                      "footer": "<event type> · <date> UTC"}],
     "username": "<notify_username>", "channel": "<channel>"}

Mattermost splits an over-long post into several rather than refusing it; a message here
stays one post: all its text together is at most ``MAX_POST_RUNES`` (16,383 code points,
Mattermost's post size since 5.0), cut with an ellipsis, the body first and then fields
while they fit. ``pretext``, ``text`` and field values are Markdown (and Mattermost turns
Slack's ``<url|text>`` and ``<!channel>`` in them into links and mentions): event text
there is escaped (backslashes before Markdown's punctuation, ``&lt;``/``&gt;``/``&amp;``
for ``<>&``), and every ``@`` is followed by a zero-width space, so ``@channel``,
``@all`` or ``@alice`` in an event notify no one. The other texts are plain and only
get the ``@`` treatment.

Mattermost answers errors as JSON with an ``id`` (``web.incoming_webhook.invalid.app_error``
for a deleted webhook, with 400): ``PERMANENT_ERRORS`` go to the dead letters at once with
the answer in the attempt log; 429 waits for ``Retry-After``; the rest is retried.
``channel`` and ``notify_username`` are honoured only where the server allows
(``EnablePostUsernameOverride``; a webhook locked to its channel refuses another, 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from types import MappingProxyType
from typing import Any, ClassVar, Final

import orjson
from pydantic import Field, HttpUrl, field_validator

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import DeliveryRequest, DeliveryResponse, Verdict
from switchboard.integrations.forms import Fieldset, secret_field

from .forms import MESSAGES_FIELDSET, WebhookChatForm
from .icons import icon_static_urls
from .integration import ChatIntegration
from .message import ChatMessage
from .text import Unit, fit_escaped, measure, one_line

__all__ = [
    "MARKDOWN_ESCAPES",
    "MAX_POST_RUNES",
    "PERMANENT_ERRORS",
    "PLAIN_ESCAPES",
    "MattermostForm",
    "MattermostIntegration",
    "mattermost_payload",
]

#: What stops ``@channel`` from being a mention: a zero-width space after every ``@``.
_AT: Final = "@\u200b"
#: Plain texts (title, author, field titles, footer, fallback): only mentions to defuse.
PLAIN_ESCAPES: Final = MappingProxyType({"@": _AT})
#: Markdown texts: CommonMark's backslash escapes for what would be markup, entities for
#: ``<>&`` (so Mattermost's Slack translation finds no ``<url|text>``), and ``@``.
MARKDOWN_ESCAPES: Final = MappingProxyType(
    {
        **{c: "\\" + c for c in "\\`*_~[]()#+-|!="},
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "@": _AT,
    }
)

#: A post's size (``model.PostMessageMaxRunesV2``), in code points: all of a message's text.
MAX_POST_RUNES: Final = 16383
MAX_FALLBACK: Final = 1000
MAX_LINE: Final = 500  # the summary (pretext), the title
MAX_AUTHOR: Final = 200
#: Mattermost cuts a longer footer itself.
MAX_FOOTER: Final = 300
MAX_TEXT: Final = 8000
MAX_FIELD_TITLE: Final = 200
MAX_FIELD_VALUE: Final = 2000
#: A field whose value would get less room than this is left out (with those after it).
_MIN_FIELD_VALUE: Final = 20

#: Mattermost's error ids that trying again cannot mend: the webhook was deleted, its
#: channel is gone, locked or forbidden, or the payload is one it will never take
#: (server/channels/app/webhook.go, HandleIncomingWebhook).
PERMANENT_ERRORS: Final = frozenset(
    {
        "web.incoming_webhook.invalid.app_error",
        "web.incoming_webhook.disabled.app_error",
        "web.incoming_webhook.channel.app_error",
        "web.incoming_webhook.channel_locked.app_error",
        "web.incoming_webhook.permissions.app_error",
        "web.incoming_webhook.user.app_error",
        "web.incoming_webhook.parse.app_error",
        "web.incoming_webhook.text.app_error",
        "web.incoming_webhook.split_props_length.app_error",
        "app.channel.get.existing.app_error",
        "api.webhook.incoming.error",
    }
)


class MattermostForm(WebhookChatForm):
    # Mattermost is self-hosted: any host (over https, or this machine).
    webhook_url: HttpUrl = secret_field(
        title="Webhook URL",
        description="The incoming webhook's URL (https://chat.example.com/hooks/...), from "
        "Integrations > Incoming Webhooks; stored encrypted, never shown.",
    )
    channel: str | None = Field(
        default=None,
        max_length=80,
        title="Channel",
        description="A channel's name (town-square) or @username to post to instead of the "
        "webhook's own; refused by a webhook locked to its channel.",
    )
    notify_username: str | None = Field(
        default=None,
        max_length=64,
        title="Post as",
        description="The name messages appear under; only if the server lets integrations "
        "override usernames (otherwise the webhook's own).",
    )

    fieldsets = (
        Fieldset(
            fields=("webhook_url", "channel", "notify_username"),
            title="Mattermost",
            description="Create an incoming webhook in Mattermost and paste its URL.",
        ),
        MESSAGES_FIELDSET,
    )

    @field_validator("webhook_url")
    @classmethod
    def _a_hooks_url(cls, url: HttpUrl) -> HttpUrl:
        # /hooks/{id}, below wherever the server is (a subpath install has a prefix).
        *_, hooks, hook_id = ("/" + (url.path or "").strip("/")).split("/")
        if hooks != "hooks" or not hook_id.isalnum():
            raise ValueError("must be an incoming webhook's URL: https://<server>/hooks/<id>")
        return url


def _markdown(text: str, limit: int) -> str:
    return fit_escaped(text, limit, MARKDOWN_ESCAPES, Unit.CHARS)


def _plain(text: str, limit: int) -> str:
    return fit_escaped(one_line(text), limit, PLAIN_ESCAPES, Unit.CHARS)


def mattermost_payload(
    message: ChatMessage, *, channel: str | None, username: str | None
) -> dict[str, Any]:
    """``message`` as an incoming webhook's JSON: one post, whatever the event's length."""
    when = message.timestamp.astimezone(UTC)
    attachment: dict[str, Any] = {
        "fallback": fit_escaped(message.fallback, MAX_FALLBACK, PLAIN_ESCAPES, Unit.CHARS),
        "color": message.colour,
        "pretext": _markdown(one_line(message.summary), MAX_LINE),
        "title": _plain(message.title, MAX_LINE),
    }
    if message.url:
        attachment["title_link"] = message.url
    if message.author is not None:
        attachment["author_name"] = _plain(message.author.name, MAX_AUTHOR)
        if message.author.url:
            attachment["author_link"] = message.author.url
    footer = f"{one_line(message.event_type)} · {when:%Y-%m-%d %H:%M} UTC"
    attachment["footer"] = fit_escaped(footer, MAX_FOOTER, PLAIN_ESCAPES, Unit.CHARS)
    room = MAX_POST_RUNES - sum(measure(v, Unit.CHARS) for v in _texts(attachment))
    if message.text:
        attachment["text"] = _markdown(message.text, min(MAX_TEXT, room))
        room -= measure(attachment["text"], Unit.CHARS)
    fields = []
    for field in message.fields:
        title = _plain(field.title, MAX_FIELD_TITLE)
        value_room = min(MAX_FIELD_VALUE, room - measure(title, Unit.CHARS))
        if value_room < _MIN_FIELD_VALUE:
            break  # no room left in the post: the rest would split it
        value = _markdown(field.value, value_room)
        if field.url:
            # A ) in the URL would end the link early: encoded, it cannot.
            url = field.url.replace("(", "%28").replace(")", "%29")
            linked = f"[{value}]({url})"
            value = linked if measure(linked, Unit.CHARS) <= value_room else value
        fields.append({"title": title, "value": value, "short": field.short})
        room -= measure(title, Unit.CHARS) + measure(value, Unit.CHARS)
    if fields:
        attachment["fields"] = fields
    payload: dict[str, Any] = {"attachments": [attachment]}
    if channel:
        payload["channel"] = channel
    if username:
        payload["username"] = username
    return payload


def _texts(attachment: Mapping[str, Any]) -> list[str]:
    """The attachment's texts that count towards the post's size."""
    keys = ("fallback", "pretext", "title", "author_name", "footer")
    return [attachment[key] for key in keys if key in attachment]


class MattermostIntegration(ChatIntegration):
    integration_id = "switchboard.mattermost"
    name = "Mattermost"
    description = "Post events to a Mattermost channel through an incoming webhook."
    config_form_cls = MattermostForm
    icon_static_urls: ClassVar[Mapping[str, str]] = icon_static_urls("mattermost")

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        payload = mattermost_payload(
            message, channel=config.get("channel"), username=config.get("notify_username")
        )
        return DeliveryRequest.post_json(self.endpoint(config), payload)

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.ok:
            return None
        try:
            error = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            return None  # a proxy's page, not Mattermost's answer: the default rules
        if isinstance(error, dict) and error.get("id") in PERMANENT_ERRORS:
            return Verdict.PERMANENT
        return None
