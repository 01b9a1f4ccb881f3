"""Discord's Execute Webhook, as its documentation says it judges a request.

``check`` returns Discord's answer to a request it refuses: JSON
``{"code": 50035, "message": "Invalid Form Body", "errors": {<path>: {"_errors": [...]}}}``
(or ``50006 Cannot send an empty message``) with 400, and ``None`` for one it takes (the
sink then answers as scripted: ``MESSAGE``, the saved message, as ``?wait=true`` gets).
The rules, from docs/resources/webhook.mdx (Execute Webhook), docs/resources/message.mdx
(embed limits, allowed mentions) and docs/resources/user.mdx (names)
(docs/research: chat-formats.md, §3):

* POST, ``application/json``, a JSON object;
* one of ``content``, ``embeds``, ``components``, ``file``, ``poll`` (else 50006);
* ``content`` at most 2,000; ``username`` 1 to 80, without "discord" or "clyde";
* at most 10 embeds; each: ``title`` 256, ``description`` 4,096, ``fields`` 25 (``name``
  256 and ``value`` 1,024, both required and not blank), ``footer.text`` 2,048,
  ``author.name`` 256; ``color`` an integer of 24 bits, ``timestamp`` ISO 8601, ``url``
  http(s); and all those texts of all embeds together at most 6,000. Lengths are
  measured with leading and trailing whitespace trimmed, here in UTF-16 units (Discord's
  clients count so; the strict reading of its "characters");
* ``allowed_mentions.parse`` a subset of ``roles``, ``users``, ``everyone``.

``answer(status, code, message)`` is any other of Discord's errors (``404 10015 Unknown
Webhook``); ``rate_limited(seconds)`` its 429.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

import orjson

from switchboard.testing import Answer, Received

__all__ = ["MESSAGE", "PATH", "answer", "check", "rate_limited", "violations"]

#: Where the tests' webhook lives on the sink (the shape of Discord's own URLs).
PATH: Final = "/api/webhooks/1234567890123456789/tok_EN-abc123"
#: The saved message Discord answers ``?wait=true`` with (a part of it).
MESSAGE: Final = Answer(
    status=200,
    headers={"Content-Type": "application/json"},
    body=orjson.dumps(
        {"id": "1290000000000000001", "channel_id": "1280000000000000001", "type": 0}
    ),
)

#: Where each limit applies, in an embed: (path, limit).
_EMBED_TEXTS: Final = (
    (("title",), 256),
    (("description",), 4096),
    (("footer", "text"), 2048),
    (("author", "name"), 256),
)
_MENTION_TYPES: Final = frozenset({"roles", "users", "everyone"})


def answer(
    status: int,
    code: int,
    message: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One of Discord's JSON errors."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Answer(
        status=status,
        body=orjson.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def rate_limited(seconds: float, *, header: bool = True) -> Answer:
    """Discord's 429: ``retry_after`` in the body, ``Retry-After`` (whole seconds, rounded
    up) and ``X-RateLimit-Reset-After`` in the headers (``header=False``: the body only)."""
    headers = {"X-RateLimit-Scope": "user", "X-RateLimit-Limit": "5"}
    if header:
        headers["Retry-After"] = str(math.ceil(seconds))
        headers["X-RateLimit-Reset-After"] = f"{seconds:.3f}"
    return Answer(
        status=429,
        headers={"Content-Type": "application/json", **headers},
        body=orjson.dumps(
            {"message": "You are being rate limited.", "retry_after": seconds, "global": False}
        ),
    )


def check(request: Received) -> Answer | None:
    problems = violations(request)
    if not problems:
        return None
    if problems[0][0] == "EMPTY":
        return answer(400, 50006, "Cannot send an empty message")
    # Nested by path, as Discord does: {"embeds": {"0": {"title": {"_errors": [...]}}}}.
    errors: dict[str, Any] = {}
    for code, where in problems:
        path, _, message = where.partition(": ")
        node = errors
        for key in path.split("."):
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return answer(400, 50035, "Invalid Form Body", errors=errors)


def _length(text: str) -> int:
    text = text.strip()
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def violations(request: Received) -> list[tuple[str, str]]:
    """Every rule the request breaks: (Discord's error code, ``path: message``)."""
    if request.method != "POST":
        return [("METHOD_NOT_ALLOWED", f"_: method {request.method}")]
    if (request.header("Content-Type") or "").split(";")[0].strip() != "application/json":
        return [("CONTENT_TYPE_INVALID", "_: Expected application/json")]
    try:
        payload = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return [("JSON_INVALID", "_: The request body contains invalid JSON.")]
    if not isinstance(payload, dict):
        return [("DICT_TYPE_CONVERT", "_: Only dictionaries may be used in a DictType")]
    if not any(payload.get(k) for k in ("content", "embeds", "components", "file", "poll")):
        return [("EMPTY", "_: Cannot send an empty message")]
    problems: list[tuple[str, str]] = []
    content = payload.get("content")
    if content is not None and (not isinstance(content, str) or _length(content) > 2000):
        problems.append(("BASE_TYPE_MAX_LENGTH", "content: Must be 2000 or fewer in length."))
    if "username" in payload:
        problems += _username(payload["username"])
    problems += _mentions(payload.get("allowed_mentions"))
    embeds = payload.get("embeds", [])
    if not isinstance(embeds, list):
        return [*problems, ("LIST_TYPE_CONVERT", "embeds: Only iterables may be used")]
    if len(embeds) > 10:
        problems.append(("BASE_TYPE_MAX_LENGTH", "embeds: Must be 10 or fewer in length."))
    total = 0
    for index, embed in enumerate(embeds):
        found, size = _embed(embed, f"embeds.{index}")
        problems += found
        total += size
    if total > 6000:
        problems.append(("MAX_EMBED_SIZE_EXCEEDED", "embeds: Embed size exceeds maximum size"))
    return problems


def _username(name: Any) -> list[tuple[str, str]]:
    if not isinstance(name, str) or not 1 <= _length(name) <= 80:
        return [("BASE_TYPE_BAD_LENGTH", "username: Must be between 1 and 80 in length.")]
    for word in ("discord", "clyde"):
        if word in name.lower():
            return [("USERNAME_INVALID_CONTAINS", f'username: Username cannot contain "{word}"')]
    return []


def _mentions(allowed: Any) -> list[tuple[str, str]]:
    if allowed is None:
        return []
    parse = allowed.get("parse", []) if isinstance(allowed, dict) else None
    if not isinstance(parse, list) or not set(parse) <= _MENTION_TYPES:
        return [("ENUM_TYPE_COERCE", "allowed_mentions.parse: not a valid mention type")]
    return []


def _text_at(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _embed(embed: Any, where: str) -> tuple[list[tuple[str, str]], int]:
    if not isinstance(embed, dict):
        return [("DICT_TYPE_CONVERT", f"{where}: not an object")], 0
    problems: list[tuple[str, str]] = []
    size = 0
    for path, limit in _EMBED_TEXTS:
        text = _text_at(embed, path)
        if text is None:
            continue
        at = where + "." + ".".join(path)
        if not isinstance(text, str):
            problems.append(("STRING_TYPE_CONVERT", f"{at}: Could not interpret as string."))
        elif _length(text) > limit:
            problems.append(("BASE_TYPE_MAX_LENGTH", f"{at}: Must be {limit} or fewer in length."))
        else:
            size += _length(text)
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        problems.append(("NUMBER_TYPE_MAX", f"{where}.color: int value should be <= 16777215."))
    stamp = embed.get("timestamp")
    if stamp is not None:
        try:
            datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            problems.append(("DATE_TIME_TYPE_PARSE", f"{where}.timestamp: Should be ISO8601."))
    for key in ("url",):
        url = embed.get(key)
        if url is not None and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            problems.append(("URL_TYPE_INVALID_SCHEME", f"{where}.{key}: Scheme must be http(s)."))
    fields = embed.get("fields", [])
    if not isinstance(fields, list) or len(fields) > 25:
        problems.append(("BASE_TYPE_MAX_LENGTH", f"{where}.fields: Must be 25 or fewer in length."))
        return problems, size
    for n, field in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            at = f"{where}.fields.{n}.{key}"
            text = field.get(key) if isinstance(field, dict) else None
            if not isinstance(text, str) or not text.strip():
                problems.append(("BASE_TYPE_REQUIRED", f"{at}: This field is required"))
            elif _length(text) > limit:
                problems.append(
                    ("BASE_TYPE_MAX_LENGTH", f"{at}: Must be {limit} or fewer in length.")
                )
            else:
                size += _length(text)
    return problems, size
