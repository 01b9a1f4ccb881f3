"""Previews of the chat integrations' messages: each service's payload as an HTML page
imitating how that service shows it, for ``docs/integrations.md``'s screenshots.

A docs and test tool, not shipped. ``PREVIEWS`` maps a service's name (``slack``,
``mattermost``, ``discord``, ``msteams``, ``matrix``) to the function turning its
payload into a self-contained page (``page.document``: every string escaped, no script,
nothing loaded). ``samples`` renders the docs' sample event through the installed
integrations; ``examples`` holds hand-written payloads in each documented format; the
command (``__main__``, run as ``scripts/previews``) writes ``docs/integrations/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .discord import discord_preview
from .matrix import matrix_preview
from .mattermost import mattermost_preview
from .msteams import msteams_preview
from .slack import slack_preview

__all__ = ["PREVIEWS"]

PREVIEWS: Final[dict[str, Callable[[dict[str, Any]], str]]] = {
    "slack": slack_preview,
    "mattermost": mattermost_preview,
    "discord": discord_preview,
    "msteams": msteams_preview,
    "matrix": matrix_preview,
}
