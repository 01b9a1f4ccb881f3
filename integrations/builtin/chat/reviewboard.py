"""Review Board's events as chat messages, worded as rbintegrations posts them.

The event types and the data each reads (anything missing is left out; an event without
a usable ``review_request`` renders as any other event, ``generic.py``)::

    every event:  "review_request": {"id": 42, "summary": "...", "url": "https://...",
                                     "description": "...", "repository": "...",
                                     "branch": "...", "diff": {"revision": 3, "url": "..."}}
                  "user": "alice" or {"username", "fullname", "url"}   # who did it
    review_request.published   "change_description": "..."   # present: an update
    review_request.closed      "close_type": "submitted" | "discarded",
                               "close_description": "..."
    review_request.reopened    (the description is the body)
    review.published           "review": {"url", "ship_it": bool, "open_issues": int,
                                          "body_top", "body_bottom", "first_comment"}
    reply.published            "reply": {"url", "body_top", "body_bottom", "first_comment"}

As rbintegrations: the title is ``#<id>: <summary>``, linking to the review request (to
the review or reply for those); the summary line says what happened and by whom (``New
review request from Alice``); the fallback is ``#<id>: <summary>: <url>``; a review with
Ship It! is green with a ``Ship it!`` field, one with open issues is amber with ``Open
Issues`` (``Fix it, then Ship it!`` when both). The marks are Unicode emoji (``✅``,
``⚠️``), which every service shows, where rbintegrations writes Slack's shortcodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from switchboard.integrations.events import Event

from .data import author_from, number, string
from .message import (
    DEFAULT_COLOUR,
    GOOD_COLOUR,
    WARNING_COLOUR,
    ChatAuthor,
    ChatField,
    ChatMessage,
    safe_url,
)
from .text import one_line

__all__ = ["ISSUES_MARK", "REVIEW_BOARD_EVENTS", "SHIP_IT_MARK", "render_review_board"]

SHIP_IT_MARK: Final = "✅"
ISSUES_MARK: Final = "⚠️"


def render_review_board(event: Event) -> ChatMessage | None:
    """The message for a Review Board event; ``None`` for any other event, or one whose
    data has no usable ``review_request``."""
    render = _RENDERERS.get(event.type)
    request = event.data.get("review_request")
    if render is None or not isinstance(request, dict):
        return None
    return render(event, request, author_from(event.data.get("user")))


def _message(
    event: Event,
    request: dict[str, Any],
    summary: str,
    *,
    url: str | None = None,
    text: str | None = None,
    fields: tuple[ChatField, ...] = (),
    colour: str = DEFAULT_COLOUR,
    author: ChatAuthor | None,
    fallback_suffix: str = "",
) -> ChatMessage:
    display_id = number(request.get("id"))
    title = one_line(string(request.get("summary")) or "(no summary)")
    if display_id is not None:
        title = f"#{display_id}: {title}"
    url = url or safe_url(request.get("url"))
    fallback = f"#{display_id}: {summary}{fallback_suffix}" if display_id else summary
    return ChatMessage(
        event_type=event.type,
        title=title,
        url=url,
        summary=summary + fallback_suffix,
        fallback=f"{fallback}: {url}" if url else fallback,
        text=text,
        fields=fields,
        colour=colour,
        author=author,
        timestamp=event.occurred_at,
    )


def _by(words: str, author: ChatAuthor | None) -> str:
    """``New review from Alice``; without a user, ``New review`` (the "from" dropped)."""
    return f"{words} {author.name}" if author else words.rsplit(" ", 1)[0]


def _published(event: Event, request: dict[str, Any], author: ChatAuthor | None) -> ChatMessage:
    update = "change_description" in event.data
    fields: list[ChatField] = []
    description = string(request.get("description"))
    if not update and description:
        fields.append(ChatField(title="Description", value=description))
    diff = request.get("diff")
    if isinstance(diff, dict) and (revision := number(diff.get("revision"))) is not None:
        fields.append(
            ChatField(
                title="Diff",
                value=f"Revision {revision}",
                short=True,
                url=safe_url(diff.get("url")),
            )
        )
    for key in ("repository", "branch"):
        if value := string(request.get(key)):
            fields.append(ChatField(title=key.capitalize(), value=value, short=True))
    words = "New update from" if update else "New review request from"
    return _message(
        event,
        request,
        _by(words, author),
        text=string(event.data.get("change_description")) if update else None,
        fields=tuple(fields),
        author=author,
    )


def _closed(event: Event, request: dict[str, Any], author: ChatAuthor | None) -> ChatMessage:
    discarded = event.data.get("close_type") == "discarded"
    words = "Discarded by" if discarded else "Closed as completed by"
    text = string(event.data.get("close_description"))
    return _message(event, request, _by(words, author), text=text, author=author)


def _reopened(event: Event, request: dict[str, Any], author: ChatAuthor | None) -> ChatMessage:
    text = string(request.get("description"))
    return _message(event, request, _by("Reopened by", author), text=text, author=author)


def _body(review: dict[str, Any], *, ship_it: bool) -> str | None:
    top = string(review.get("body_top"))
    if top and not (ship_it and top.strip() == "Ship It!"):
        return top
    return string(review.get("first_comment")) or string(review.get("body_bottom"))


def _issues(count: int) -> str:
    return f"{count} issue" + ("" if count == 1 else "s")


def _review(event: Event, request: dict[str, Any], author: ChatAuthor | None) -> ChatMessage:
    review = event.data.get("review")
    review = review if isinstance(review, dict) else {}
    ship_it = review.get("ship_it") is True
    issues = max(number(review.get("open_issues")) or 0, 0)
    fields: tuple[ChatField, ...] = ()
    colour, suffix = DEFAULT_COLOUR, ""
    if ship_it and issues:
        colour, suffix = WARNING_COLOUR, " (Fix it, then Ship it!)"
        fields = (
            ChatField(
                title="Fix it, then Ship it!", value=f"{ISSUES_MARK} {_issues(issues)}", short=True
            ),
        )
    elif ship_it:
        colour, suffix = GOOD_COLOUR, " (Ship it!)"
        fields = (ChatField(title="Ship it!", value=SHIP_IT_MARK, short=True),)
    elif issues:
        colour, suffix = WARNING_COLOUR, f" ({_issues(issues)})"
        fields = (
            ChatField(title="Open Issues", value=f"{ISSUES_MARK} {_issues(issues)}", short=True),
        )
    return _message(
        event,
        request,
        _by("New review from", author),
        url=safe_url(review.get("url")),
        text=_body(review, ship_it=ship_it),
        fields=fields,
        colour=colour,
        author=author,
        fallback_suffix=suffix,
    )


def _reply(event: Event, request: dict[str, Any], author: ChatAuthor | None) -> ChatMessage:
    reply = event.data.get("reply")
    reply = reply if isinstance(reply, dict) else {}
    return _message(
        event,
        request,
        _by("New reply from", author),
        url=safe_url(reply.get("url")),
        text=_body(reply, ship_it=False),
        author=author,
    )


_Renderer = Callable[[Event, dict[str, Any], ChatAuthor | None], ChatMessage]
_RENDERERS: Final[dict[str, _Renderer]] = {
    "review_request.published": _published,
    "review_request.closed": _closed,
    "review_request.reopened": _reopened,
    "review.published": _review,
    "reply.published": _reply,
}
#: The Review Board event types this module renders.
REVIEW_BOARD_EVENTS: Final = tuple(_RENDERERS)
