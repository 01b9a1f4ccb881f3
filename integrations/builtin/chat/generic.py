"""Any event as a chat message, from conventional data keys; or, without them, its type
and a compact view of its data.

The conventional keys (all optional), so that a CI system or a shop gets useful
messages without writing a renderer::

    {
      "title": "Build 1234 failed",           # the headline (else the event type)
      "url": "https://ci.example.com/1234",   # where the headline links (http/https)
      "text": "3 tests failed on main",       # the body
      "fields": [{"title": "Branch", "value": "main", "short": true}],
                                               # or {"Branch": "main", ...}
      "author": "alice",                      # or {"name", "url"}
      "color": "#d00000"                      # #rrggbb (also spelled "colour")
    }

An event with none of them renders as its type (the title) and, as the text, one line
per top-level key (``key: value``, each value compact JSON cut to 200 characters, at
most ``MAX_COMPACT_KEYS`` keys): never an empty message.
"""

from __future__ import annotations

from typing import Any, Final

from switchboard.integrations.events import Event

from .data import author_from, compact, string
from .message import ChatField, ChatMessage, safe_colour, safe_url
from .text import fit, one_line

__all__ = ["CONVENTIONAL_KEYS", "MAX_COMPACT_KEYS", "MAX_FIELDS", "render_generic"]

CONVENTIONAL_KEYS: Final = frozenset(
    {"title", "url", "text", "fields", "author", "color", "colour"}
)
#: How many of an event's keys the compact view lists (then "… and N more").
MAX_COMPACT_KEYS: Final = 20
#: How many fields an event's ``fields`` gives at most (each service shows fewer if it
#: must); bounds the work for an event with thousands.
MAX_FIELDS: Final = 50
#: A fallback line longer than this is cut: it is a one-line summary.
_FALLBACK_CHARS: Final = 300


def render_generic(event: Event) -> ChatMessage:
    data = event.data
    if CONVENTIONAL_KEYS.isdisjoint(data):
        return _compact_message(event)
    title = string(data.get("title"))
    title = one_line(title) if title is not None else event.type
    url = safe_url(data.get("url"))
    author = author_from(data.get("author"))
    summary = f"{event.type} from {author.name}" if author else event.type
    return ChatMessage(
        event_type=event.type,
        title=title,
        url=url,
        summary=summary,
        fallback=_fallback(title, url),
        text=string(data.get("text")),
        fields=_fields(data.get("fields")),
        colour=safe_colour(data.get("color", data.get("colour"))),
        author=author,
        timestamp=event.occurred_at,
    )


def _compact_message(event: Event) -> ChatMessage:
    lines = [
        f"{key}: {compact(value)}" for key, value in list(event.data.items())[:MAX_COMPACT_KEYS]
    ]
    if len(event.data) > MAX_COMPACT_KEYS:
        lines.append(f"… and {len(event.data) - MAX_COMPACT_KEYS} more")
    text = "\n".join(lines) or None
    summary = event.type if text else f"{event.type} (no data)"
    return ChatMessage(
        event_type=event.type,
        title=event.type,
        summary=summary,
        fallback=fit(f"{event.type}: {'; '.join(lines)}" if lines else summary, _FALLBACK_CHARS),
        text=text,
        timestamp=event.occurred_at,
    )


def _fields(value: Any) -> tuple[ChatField, ...]:
    if isinstance(value, dict):
        value = [{"title": k, "value": v} for k, v in value.items()]
    if not isinstance(value, list):
        return ()
    fields = []
    for item in value[:MAX_FIELDS]:
        if not isinstance(item, dict):
            continue
        title = string(item.get("title")) or string(item.get("name"))
        shown = item.get("value")
        text = string(shown) if shown is None or isinstance(shown, str) else compact(shown)
        if title is None or text is None:
            continue  # a field needs both: services refuse empty ones
        short = item.get("short")
        fields.append(
            ChatField(
                title=one_line(title),
                value=text,
                short=short if isinstance(short, bool) else False,
                url=safe_url(item.get("url")),
            )
        )
    return tuple(fields)


def _fallback(title: str, url: str | None) -> str:
    return fit(f"{title}: {url}" if url else title, _FALLBACK_CHARS)
