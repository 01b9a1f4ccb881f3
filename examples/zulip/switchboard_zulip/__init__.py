"""``switchboard-zulip``: a Switchboard integration that posts events to Zulip.

Installed, it registers itself (the ``switchboard.integrations`` entry point ``zulip``);
``switchboard integrations list`` shows it. See this package's README.md.
"""

from __future__ import annotations

from .form import ZulipForm
from .integration import ICON_FILES, PERMANENT_STATUSES, ZulipIntegration, icon_file
from .message import MAX_CONTENT_BYTES, MAX_TOPIC_CHARS, build_request

__all__ = [
    "ICON_FILES",
    "MAX_CONTENT_BYTES",
    "MAX_TOPIC_CHARS",
    "PERMANENT_STATUSES",
    "ZulipForm",
    "ZulipIntegration",
    "build_request",
    "icon_file",
]
