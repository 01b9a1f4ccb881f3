"""``render_event``: the one way an event becomes a ``ChatMessage``.

Review Board's five event types are worded as rbintegrations words them
(``reviewboard.py``); every other event, and a Review Board one whose data has no usable
``review_request``, renders from its conventional keys or as its type and a compact view
of its data (``generic.py``). Pure and total: any event gives a message with a title.
"""

from __future__ import annotations

from switchboard.integrations.events import Event

from .generic import render_generic
from .message import ChatMessage
from .reviewboard import render_review_board

__all__ = ["render_event"]


def render_event(event: Event) -> ChatMessage:
    return render_review_board(event) or render_generic(event)
