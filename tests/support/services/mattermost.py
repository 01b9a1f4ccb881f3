"""Mattermost's incoming webhook, as its documentation and server code say it judges a request.

``check`` returns Mattermost's answer to a request it refuses: a JSON ``AppError``
(``{"id": ..., "message": ..., "detailed_error": "", "request_id": ..., "status_code": ...}``)
with its status, and ``None`` for one it takes (the sink then answers ``200 ok``, as
Mattermost does). The rules, from https://developers.mattermost.com/integrate/webhooks/incoming/,
the message attachments reference and ``server/channels/app/webhook.go``
(docs/research: chat-formats.md, §2):

* POST; the body JSON (``application/json``, or no Content-Type) or a form's ``payload``;
  a JSON object, else ``400 web.incoming_webhook.parse.app_error``;
* ``text`` or ``attachments``, else ``400 web.incoming_webhook.text.app_error``;
  ``channel``, ``username``, ``icon_url``, ``icon_emoji`` strings; ``type`` empty or
  ``custom_...``;
* each attachment an object whose texts are strings, ``fields`` a list of objects with a
  string ``title``, a ``value`` and a boolean ``short``;
* ``props`` (besides attachments) over ``PostPropsMaxUserRunes`` (400,000 runes as JSON)
  are ``400 web.incoming_webhook.split_props_length.app_error``.

Mattermost does not refuse long text or attachments: it splits the post
(``SplitWebhookPost``). ``posts(payload)`` says into how many, so a test can insist on one.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs

import orjson

from switchboard.testing import Answer, Received

__all__ = ["MAX_POST_RUNES", "PATH", "answer", "check", "posts", "violations"]

#: Where the tests' webhook lives on the sink (the shape of Mattermost's own URLs).
PATH: Final = "/hooks/xyz123abc456def789ghi0jk"
MAX_POST_RUNES: Final = 16383
PROPS_MAX_USER_RUNES: Final = 400_000

_STATUS: Final = {
    "web.incoming_webhook.parse.app_error": 400,
    "web.incoming_webhook.text.app_error": 400,
    "web.incoming_webhook.split_props_length.app_error": 400,
    "web.incoming_webhook.invalid.app_error": 400,
    "web.incoming_webhook.channel.app_error": 404,
    "web.incoming_webhook.channel_locked.app_error": 403,
    "web.incoming_webhook.disabled.app_error": 501,
    "api.context.invalid_param.app_error": 400,
}
_MESSAGES: Final = {
    "web.incoming_webhook.parse.app_error": "Unable to parse incoming data.",
    "web.incoming_webhook.text.app_error": "No text specified.",
    "web.incoming_webhook.invalid.app_error": "Invalid webhook.",
    "web.incoming_webhook.channel.app_error": "Couldn't find the channel.",
    "web.incoming_webhook.channel_locked.app_error": "This webhook is not permitted to post "
    "to the requested channel.",
}
_ATTACHMENT_TEXTS: Final = (
    "fallback",
    "color",
    "pretext",
    "author_name",
    "author_link",
    "author_icon",
    "title",
    "title_link",
    "text",
    "image_url",
    "thumb_url",
    "footer",
    "footer_icon",
)


def answer(error_id: str, headers: dict[str, str] | None = None) -> Answer:
    """Mattermost's JSON ``AppError`` for ``error_id``, with the status it comes with."""
    status = _STATUS.get(error_id, 400)
    body = {
        "id": error_id,
        "message": _MESSAGES.get(error_id, error_id),
        "detailed_error": "",
        "request_id": "c9oa4ccs7tgk9ns3dr8g1qdx3a",
        "status_code": status,
    }
    return Answer(
        status=status,
        body=orjson.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def check(request: Received) -> Answer | None:
    problems = violations(request)
    if not problems:
        return None
    error, _ = problems[0]
    return answer(error)


def payload_of(request: Received) -> Any:
    """The payload as Mattermost reads it; ``ValueError`` if it cannot."""
    content_type = (request.header("Content-Type") or "").split(";")[0].strip()
    body = request.body
    if content_type == "application/x-www-form-urlencoded":
        body = parse_qs(body.decode()).get("payload", [""])[0].encode()
    elif content_type not in {"", "application/json"}:
        raise ValueError(f"media type {content_type}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError("not JSON") from error


def violations(request: Received) -> list[tuple[str, str]]:
    """Every rule the request breaks: (Mattermost's error id, where and why)."""
    parse = "web.incoming_webhook.parse.app_error"
    if request.method != "POST":
        return [(parse, f"method {request.method}")]
    try:
        payload = payload_of(request)
    except ValueError as error:
        return [(parse, str(error))]
    if not isinstance(payload, dict):
        return [(parse, "not a JSON object")]
    text = payload.get("text")
    if not text and not payload.get("attachments"):
        return [("web.incoming_webhook.text.app_error", "neither text nor attachments")]
    problems: list[tuple[str, str]] = []
    for key in ("text", "channel", "username", "icon_url", "icon_emoji", "type"):
        if key in payload and not isinstance(payload[key], str):
            problems.append((parse, f"{key} is not a string"))
    kind = payload.get("type")
    if isinstance(kind, str) and kind and not kind.startswith("custom_"):
        problems.append(("api.context.invalid_param.app_error", f"type {kind!r}"))
    attachments = payload.get("attachments", [])
    if not isinstance(attachments, list):
        return [*problems, (parse, "attachments is not a list")]
    for index, attachment in enumerate(attachments):
        problems += _attachment(attachment, f"/attachments/{index}")
    props = payload.get("props", {})
    if not isinstance(props, dict):
        problems.append((parse, "props is not an object"))
    elif len(orjson.dumps(props).decode()) > PROPS_MAX_USER_RUNES:
        # Only attachments are moved to further posts; other props must fit in one.
        problems.append(("web.incoming_webhook.split_props_length.app_error", "props too long"))
    return problems


def _attachment(attachment: Any, where: str) -> list[tuple[str, str]]:
    parse = "web.incoming_webhook.parse.app_error"
    if not isinstance(attachment, dict):
        return [(parse, f"{where}: not an object")]
    problems = [
        (parse, f"{where}/{key}: not a string")
        for key in _ATTACHMENT_TEXTS
        if key in attachment and not isinstance(attachment[key], str)
    ]
    fields = attachment.get("fields", [])
    if not isinstance(fields, list):
        return [*problems, (parse, f"{where}/fields: not a list")]
    for n, field in enumerate(fields):
        if (
            not isinstance(field, dict)
            or not isinstance(field.get("title", ""), str)
            or "value" not in field
            or not isinstance(field.get("short", False), bool)
        ):
            problems.append((parse, f"{where}/fields/{n}: title, value, short"))
    return problems


def posts(payload: dict[str, Any]) -> int:
    """How many posts Mattermost makes of ``payload`` (``SplitWebhookPost``): ``text`` in
    pieces of a post's size, and attachments beyond ``PostPropsMaxUserRunes`` moved to
    further posts."""
    text = payload.get("text") or ""
    by_text = max(1, -(-len(text) // MAX_POST_RUNES))
    props = len(orjson.dumps(payload.get("attachments", [])).decode())
    return by_text + (props - 1) // PROPS_MAX_USER_RUNES
