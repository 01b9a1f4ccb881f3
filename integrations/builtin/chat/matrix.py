"""``switchboard.matrix``: post events to a Matrix room through the client-server API.

Each message is one ``m.room.message`` event
(https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid)::

    PUT {server}/_matrix/client/v3/rooms/{room id, percent-encoded}/send/m.room.message/{txnId}
    Authorization: Bearer <access token>

    {"msgtype": "m.notice", "body": "<plain text>",
     "format": "org.matrix.custom.html", "formatted_body": "<HTML>", "m.mentions": {}}

The transaction id is the delivery id, the same on every attempt and replay of one
delivery, so a homeserver that took a request whose answer was lost (a timeout, a 500
after the event was stored) answers the retry with the first event instead of posting it
twice. ``render`` builds the room's send URL; ``send`` adds the delivery's id to it, and
``refresh_request`` keeps it while following the configuration's current server, room
and token. The token goes in the ``Authorization`` header only (never ``?access_token=``:
URLs end up in logs).

``formatted_body`` uses the spec's suggested tags only (``p``, ``strong``, ``a``,
``blockquote``, ``br``, ``ul``, ``li``, ``em``); every event text is HTML-escaped, and
``m.mentions`` is empty, so neither the HTML nor ``@room`` in the plain ``body`` can
mention anyone. The event must stay under 65,536 bytes: the content is kept under
``MAX_CONTENT_BYTES`` by halving the body's share and then the fields. ``m.notice``
(the default) is what bots send, which clients do not answer or notify loudly.

Errors are ``{"errcode": ..., "error": ...}``: ``M_UNKNOWN_TOKEN``, ``M_MISSING_TOKEN``
(a revoked token), ``M_FORBIDDEN`` (not in the room, no power to post), ``M_NOT_FOUND``,
``M_BAD_JSON``/``M_NOT_JSON``/``M_TOO_LARGE`` are permanent; 429 ``M_LIMIT_EXCEEDED``
waits as its ``retry_after_ms`` or ``Retry-After`` says (``retry_after``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from html import escape
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal
from urllib.parse import quote

import orjson
from pydantic import Field, HttpUrl, SecretStr, field_validator

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import (
    DeliveryRequest,
    DeliveryResponse,
    DeliveryResult,
    Verdict,
    delivery_id,
)
from switchboard.integrations.forms import Fieldset

from .forms import MESSAGES_FIELDSET, ChatForm, is_loopback
from .icons import icon_static_urls
from .integration import ChatIntegration
from .message import ChatMessage
from .text import Unit, fit, fit_escaped, one_line

if TYPE_CHECKING:
    from switchboard.integrations.events import Event

__all__ = [
    "HTML_ESCAPES",
    "MAX_CONTENT_BYTES",
    "PERMANENT_ERRORS",
    "MatrixForm",
    "MatrixIntegration",
    "matrix_content",
]

#: The event's 65,536 bytes, less room for what the homeserver adds (ids, signatures).
MAX_CONTENT_BYTES: Final = 60_000
MAX_TITLE: Final = 500
MAX_SUMMARY: Final = 1000
#: The body's first share (in UTF-8 bytes, each of body and formatted_body); halved while
#: the content is too big.
MAX_TEXT: Final = 24_000
_MIN_TEXT: Final = 500
MAX_FIELDS: Final = 50
MAX_FIELD: Final = 2000

#: HTML's five, and line breaks as <br>.
HTML_ESCAPES: Final = MappingProxyType(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "\n": "<br>"}
)
_ROOM_ID: Final = re.compile(r"![^:\s]+:[^\s]+")

#: Answers that trying again cannot mend: the token is revoked or missing, the user may
#: not post in the room, the room is unknown, or the event is one it will never take.
PERMANENT_ERRORS: Final = frozenset(
    {
        "M_UNKNOWN_TOKEN",
        "M_MISSING_TOKEN",
        "M_FORBIDDEN",
        "M_NOT_FOUND",
        "M_BAD_JSON",
        "M_NOT_JSON",
        "M_TOO_LARGE",
        "M_INVALID_PARAM",
    }
)


class MatrixForm(ChatForm):
    server: HttpUrl = Field(
        title="Homeserver",
        description="The homeserver's client-server API URL (https://matrix.example.org).",
    )
    room_id: str = Field(
        title="Room ID",
        max_length=255,
        description="The room's internal ID, !opaque:server (the room's settings, Advanced); "
        "the bot's user must have joined it.",
    )
    access_token: SecretStr = Field(
        title="Access token",
        description="The bot user's access token; stored encrypted, never shown, sent only in "
        "the Authorization header.",
    )
    msgtype: Literal["m.notice", "m.text"] = Field(
        default="m.notice",
        title="Message type",
        description="m.notice, as bots post (clients notify less), or m.text.",
    )

    fieldsets = (
        Fieldset(
            fields=("server", "room_id", "access_token", "msgtype"),
            title="Matrix",
            description="Messages are posted as the user whose access token this is.",
        ),
        MESSAGES_FIELDSET,
    )

    @field_validator("server")
    @classmethod
    def _valid_server(cls, url: HttpUrl) -> HttpUrl:
        if url.scheme != "https" and not is_loopback(url.host or ""):
            raise ValueError("must be https:// (the access token goes with every request)")
        if url.query or url.fragment:
            raise ValueError("must be the server's URL, without a query or fragment")
        return url

    @field_validator("room_id")
    @classmethod
    def _valid_room_id(cls, room_id: str) -> str:
        if room_id.startswith("#"):
            raise ValueError(
                f"{room_id} is a room alias: give the room's ID (!opaque:server), which its "
                "settings show under Advanced"
            )
        if not _ROOM_ID.fullmatch(room_id) or len(room_id.encode()) > 255:
            raise ValueError("must be a room ID: !opaque:server")
        return room_id


def _html(text: str, limit: int) -> str:
    return fit_escaped(text, limit, HTML_ESCAPES, Unit.UTF8)


def _link(url: str | None, html: str) -> str:
    # safe_url percent-encoded quotes and < >: the URL cannot leave the attribute.
    return f'<a href="{escape(url)}">{html}</a>' if url is not None else html


def matrix_content(message: ChatMessage, msgtype: str = "m.notice") -> dict[str, Any]:
    """``message`` as an ``m.room.message`` event's content, under the event size limit."""
    text_limit, fields = MAX_TEXT, min(len(message.fields), MAX_FIELDS)
    while True:
        content = _content(message, msgtype, text_limit, fields)
        if len(orjson.dumps(content)) <= MAX_CONTENT_BYTES:
            return content
        if text_limit > _MIN_TEXT and message.text:
            text_limit = max(_MIN_TEXT, text_limit // 2)
        elif fields:
            fields //= 2  # the first fields are the ones that matter most
        else:  # pragma: no cover - title, summary and context are capped far below it
            raise AssertionError("a Matrix message without body or fields cannot be too large")


def _content(message: ChatMessage, msgtype: str, text_limit: int, fields: int) -> dict[str, Any]:
    title, summary = one_line(message.title), one_line(message.summary)
    when = f"{message.timestamp.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    context = [message.author.name] if message.author is not None else []
    context += [when, message.event_type]

    plain = [fit(title, MAX_TITLE, Unit.UTF8), fit(message.fallback, MAX_SUMMARY, Unit.UTF8)]
    html = [
        "<p><strong>" + _link(message.url, _html(title, MAX_TITLE)) + "</strong></p>",
        "<p>" + _link(message.url, _html(summary, MAX_SUMMARY)) + "</p>",
    ]
    if message.text:
        plain.append(fit(message.text, text_limit, Unit.UTF8))
        html.append("<blockquote>" + _html(message.text, text_limit) + "</blockquote>")
    if message.fields[:fields]:
        items = []
        for field in message.fields[:fields]:
            name = one_line(field.title)
            plain.append(fit(f"{name}: {field.value}", MAX_FIELD, Unit.UTF8))
            value = _link(field.url, _html(field.value, MAX_FIELD))
            items.append(f"<li><strong>{_html(name, 200)}</strong>: {value}</li>")
        html.append("<ul>" + "".join(items) + "</ul>")
    plain.append(fit(" · ".join(one_line(c) for c in context), 500, Unit.UTF8))
    author = message.author
    context_html = [_link(author.url, _html(one_line(author.name), 200))] if author else []
    context_html += [_html(when, 100), _html(message.event_type, 300)]
    html.append("<p><em>" + " · ".join(context_html) + "</em></p>")
    return {
        "msgtype": msgtype,
        "body": "\n\n".join(plain),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(html),
        "m.mentions": {},  # mention no one, whatever the text says (@room)
    }


class MatrixIntegration(ChatIntegration):
    integration_id = "switchboard.matrix"
    name = "Matrix"
    description = "Post events to a Matrix room through the client-server API."
    config_form_cls = MatrixForm
    icon_static_urls: ClassVar[Mapping[str, str]] = icon_static_urls("matrix")

    def endpoint(self, config: IntegrationConfig) -> str:
        """The room's send URL, to which each delivery adds its transaction id."""
        server = str(config.get("server")).rstrip("/")
        room = quote(str(config.get("room_id")), safe="")
        return f"{server}/_matrix/client/v3/rooms/{room}/send/m.room.message"

    def _headers(self, config: IntegrationConfig) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {config.get('access_token')}",
        }

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        content = matrix_content(message, str(config.get("msgtype") or "m.notice"))
        return DeliveryRequest(
            self.endpoint(config),
            orjson.dumps(content),
            method="PUT",
            headers=self._headers(config),
        )

    async def send(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        # The delivery id is known once the event is: it becomes the transaction id.
        txn_id = delivery_id(event.id, config.id, request.key)
        return await super().send(config, event, replace(request, url=f"{request.url}/{txn_id}"))

    def refresh_request(
        self, config: IntegrationConfig, request: DeliveryRequest
    ) -> DeliveryRequest:
        txn_id = request.url.rsplit("/", 1)[1]  # the same transaction, wherever it goes now
        return DeliveryRequest(
            f"{self.endpoint(config)}/{txn_id}",
            request.body,
            method="PUT",
            headers=self._headers(config),
            key=request.key,
        )

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.ok:
            return None
        if _error(response).get("errcode") in PERMANENT_ERRORS:
            return Verdict.PERMANENT
        return None  # M_LIMIT_EXCEEDED waits (retry_after); 5xx and the rest retry

    def retry_after(self, config: IntegrationConfig, response: DeliveryResponse) -> float | None:
        if response.status != 429:
            return None
        wait = _error(response).get("retry_after_ms")
        if type(wait) is int and wait >= 0:
            return wait / 1000
        return None  # Retry-After alone, if the server sent it


def _error(response: DeliveryResponse) -> dict[str, Any]:
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
