"""The chat layer the built-in chat integrations share (Slack, Mattermost, Discord,
Microsoft Teams, Matrix).

An event becomes one neutral ``ChatMessage`` (``render_event``: Review Board's events as
rbintegrations words them, any other from its conventional keys or as its type and data),
then each service renders that message in its own format (``ChatIntegration.render``),
escaped for its markup and cut to its limits with ``fit``/``fit_escaped``. Modules:

* ``message.py``: ``ChatMessage``, ``ChatField``, ``ChatAuthor``, colours, ``safe_url``;
* ``render.py``: ``render_event``; ``reviewboard.py`` and ``generic.py`` behind it;
* ``text.py``: cutting by characters, UTF-16 units or UTF-8 bytes, escaping while cutting;
* ``forms.py``: ``ChatForm`` (``event_types``), ``WebhookChatForm`` (``webhook_url``,
  ``channel``, ``notify_username``);
* ``integration.py``: ``ChatIntegration``, the base class;
* ``icons.py``: each service's icons, shipped in ``static/icons/``.
"""

from .data import author_from, compact
from .forms import ChatForm, WebhookChatForm
from .generic import render_generic
from .icons import icon_file, icon_static_urls
from .integration import ChatIntegration
from .message import (
    DEFAULT_COLOUR,
    GOOD_COLOUR,
    WARNING_COLOUR,
    ChatAuthor,
    ChatField,
    ChatMessage,
    safe_colour,
    safe_url,
)
from .render import render_event
from .reviewboard import REVIEW_BOARD_EVENTS, render_review_board
from .text import ELLIPSIS, Unit, fit, fit_escaped, measure

__all__ = [
    "DEFAULT_COLOUR",
    "ELLIPSIS",
    "GOOD_COLOUR",
    "REVIEW_BOARD_EVENTS",
    "WARNING_COLOUR",
    "ChatAuthor",
    "ChatField",
    "ChatForm",
    "ChatIntegration",
    "ChatMessage",
    "Unit",
    "WebhookChatForm",
    "author_from",
    "compact",
    "fit",
    "fit_escaped",
    "icon_file",
    "icon_static_urls",
    "measure",
    "render_event",
    "render_generic",
    "render_review_board",
    "safe_colour",
    "safe_url",
]
