"""Slack's incoming webhook, as its documentation says it judges a request.

``check`` returns the answer Slack gives to a request it refuses: a plain-text error
with its status (``400 invalid_payload``, ``400 invalid_blocks``,
``400 missing_text_or_fallback_or_attachments``, ``400 no_text``), and ``None`` for one
it takes (the sink then answers ``200 ok``, as Slack does). The rules, from
https://api.slack.com/reference/block-kit/blocks and the webhook error table
(docs/research: chat-formats.md, §1):

* POST, a JSON object (``application/json``), with ``text``, ``blocks`` or ``attachments``;
* at most 50 blocks, each of a known type; ``header``: ``plain_text`` of 1 to 150
  characters; ``section``: ``text`` (1 to 3,000) or ``fields`` (1 to 10, each 1 to
  2,000); ``context``: 1 to 10 elements, ``image``, ``plain_text`` or ``mrkdwn``;
* a text object is ``plain_text`` (``emoji`` allowed) or ``mrkdwn`` (``verbatim``
  allowed), with a non-empty string ``text`` and nothing else; ``block_id`` at most 255.

Errors Slack sends for webhooks it no longer has are ``answer(status, error)``.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from switchboard.testing import Answer, Received

__all__ = ["PATH", "answer", "check", "violations"]

#: Where the tests' webhook lives on the sink (the shape of Slack's own URLs).
PATH: Final = "/services/T000/B000/XXXXXXXX"

BLOCK_TYPES: Final = frozenset(
    {
        "section",
        "header",
        "context",
        "divider",
        "actions",
        "image",
        "rich_text",
        "markdown",
        "input",
        "file",
        "video",
    }
)
_TEXT_KEYS: Final = {
    "plain_text": {"type", "text", "emoji"},
    "mrkdwn": {"type", "text", "verbatim"},
}


def answer(status: int, error: str, headers: dict[str, str] | None = None) -> Answer:
    """One of Slack's plain-text error answers."""
    return Answer(
        status=status,
        body=error.encode(),
        headers={"Content-Type": "text/plain", **(headers or {})},
    )


def check(request: Received) -> Answer | None:
    problems = violations(request)
    if not problems:
        return None
    error, _ = problems[0]
    return answer(400, error)


def violations(request: Received) -> list[tuple[str, str]]:
    """Every rule the request breaks: (Slack's error, where and why)."""
    if request.method != "POST":
        return [("invalid_payload", f"method {request.method}")]
    if (request.header("Content-Type") or "").split(";")[0].strip() != "application/json":
        return [("invalid_payload", "not application/json")]
    try:
        payload = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return [("invalid_payload", "not JSON")]
    if not isinstance(payload, dict):
        return [("invalid_payload", "not a JSON object")]
    if not any(key in payload for key in ("text", "blocks", "attachments")):
        return [("missing_text_or_fallback_or_attachments", "no text, blocks or attachments")]
    text = payload.get("text")
    if "text" in payload and (not isinstance(text, str) or not text.strip()):
        if "blocks" not in payload:
            return [("no_text", "empty text")]
        return [("invalid_payload", "text is not a non-empty string")]
    problems: list[tuple[str, str]] = []
    for key in ("username", "channel", "icon_url", "icon_emoji"):
        if key in payload and not isinstance(payload[key], str):
            problems.append(("invalid_payload", f"{key} is not a string"))
    if "blocks" in payload:
        problems += _blocks(payload["blocks"])
    return problems


def _blocks(blocks: Any) -> list[tuple[str, str]]:
    if not isinstance(blocks, list) or not blocks:
        return [("invalid_blocks_format", "blocks is not a non-empty list")]
    if len(blocks) > 50:
        return [("invalid_blocks", f"{len(blocks)} blocks, more than 50")]
    problems = []
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            problems.append(("invalid_blocks", f"{where}: unknown block"))
            continue
        block_id = block.get("block_id")
        if block_id is not None and (not isinstance(block_id, str) or len(block_id) > 255):
            problems.append(("invalid_blocks", f"{where}/block_id"))
        kind = block["type"]
        if kind == "header":
            problems += _text(block.get("text"), f"{where}/text", 150, only="plain_text")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(("invalid_blocks", f"{where}: neither text nor fields"))
            if "text" in block:
                problems += _text(block["text"], f"{where}/text", 3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    problems.append(("invalid_blocks", f"{where}/fields: 1 to 10"))
                else:
                    for n, item in enumerate(fields):
                        problems += _text(item, f"{where}/fields/{n}", 2000)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                problems.append(("invalid_blocks", f"{where}/elements: 1 to 10"))
            else:
                for n, element in enumerate(elements):
                    if isinstance(element, dict) and element.get("type") == "image":
                        continue
                    problems += _text(element, f"{where}/elements/{n}", 3000)
    return problems


def _text(obj: Any, where: str, limit: int, *, only: str | None = None) -> list[tuple[str, str]]:
    if not isinstance(obj, dict) or obj.get("type") not in _TEXT_KEYS:
        return [("invalid_blocks", f"{where}: not a text object")]
    if only is not None and obj["type"] != only:
        return [("invalid_blocks", f"{where}: must be {only}")]
    extra = set(obj) - _TEXT_KEYS[obj["type"]]
    if extra:
        return [("invalid_blocks", f"{where}: {sorted(extra)} not allowed")]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [("invalid_blocks", f"{where}/text: must be more than 0 characters")]
    if len(text) > limit:
        return [("invalid_blocks", f"{where}/text: must be less than {limit + 1} characters")]
    return []
