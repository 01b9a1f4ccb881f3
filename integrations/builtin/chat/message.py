"""``ChatMessage``: one event as a neutral chat message, before any service's format.

The chat layer renders every event once into this record (``render.render_event``);
each service's integration turns it into its own payload (Slack's Block Kit, Discord's
embeds, ...), escaping and truncating for that service. So everything here is *plain
text*: nothing is escaped yet, nothing is cut to a service's limits, and an event's
text is never trusted as markup.

URLs are the exception that is checked here, once for every service: ``safe_url`` keeps
only absolute ``http``/``https`` URLs and percent-encodes the characters that would end
a link in some markup (``<``, ``>``, ``|``, quotes, spaces), so a link from an event
can neither run script (``javascript:``) nor break out of ``<url|text>`` or ``[text](url)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import quote, urlsplit

__all__ = [
    "DEFAULT_COLOUR",
    "GOOD_COLOUR",
    "MAX_URL_CHARS",
    "WARNING_COLOUR",
    "ChatAuthor",
    "ChatField",
    "ChatMessage",
    "safe_colour",
    "safe_url",
]

#: rbintegrations' default attachment colour (Review Board's).
DEFAULT_COLOUR: Final = "#efcc96"
#: Slack's ``good`` and ``warning`` colours, which rbintegrations names for Ship It! and
#: open issues; spelled out here so that services without named colours show the same.
GOOD_COLOUR: Final = "#2eb886"
WARNING_COLOUR: Final = "#daa038"
#: Longer URLs are dropped rather than cut (a cut URL leads somewhere else).
MAX_URL_CHARS: Final = 2000

#: What stays as it is in a URL; everything else (``<>|"`` and spaces among them) is
#: percent-encoded. ``%`` stays so that an encoded URL is not encoded twice.
_URL_SAFE: Final = ":/?#[]@!$&'()*+,;=%~-._"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatAuthor:
    """Who did it: a display name, and a link to them when the event has one."""

    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatField:
    """A titled value (``Repository: backend``); ``short`` ones may sit side by side.

    ``url`` makes the value a link (rbintegrations' ``Diff: Revision 3``).
    """

    title: str
    value: str
    short: bool = False
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    """One message, in plain text, for any chat service.

    * ``title``: the headline, never empty (``#42: Fix the parser``, or the event type);
      ``url`` is where it links.
    * ``summary``: one line saying what happened (``New review from Alice (Ship it!)``,
      rbintegrations' pre-text); ``fallback`` the whole message in one line, for
      notifications and clients that show no rich content
      (``#42: New review from Alice (Ship it!): https://...``).
    * ``text``: the body, possibly many lines; ``fields`` titled values, in order.
    * ``colour``: ``#rrggbb``; ``author``, ``timestamp`` (when it happened) and
      ``event_type`` for services that show them.
    """

    event_type: str
    title: str
    summary: str
    fallback: str
    timestamp: datetime
    url: str | None = None
    text: str | None = None
    fields: tuple[ChatField, ...] = ()
    colour: str = DEFAULT_COLOUR
    author: ChatAuthor | None = None

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a chat message's title cannot be empty")


def safe_url(value: object) -> str | None:
    """``value`` as a link every service can carry, or ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > MAX_URL_CHARS or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced [ in the host, say
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    encoded = quote(value, safe=_URL_SAFE)
    return encoded if len(encoded) <= MAX_URL_CHARS else None


def safe_colour(value: object, default: str = DEFAULT_COLOUR) -> str:
    """``#rrggbb`` (lowercase) from ``value``, or ``default`` when it is not a colour."""
    if isinstance(value, str):
        text = value.strip().lower().removeprefix("#")
        if len(text) == 6 and all(c in "0123456789abcdef" for c in text):
            return "#" + text
    return default
