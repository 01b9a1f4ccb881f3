"""``zulip``: post each event as a message to a Zulip channel and topic.

Each configuration names a Zulip site, a bot (email and API key) and where to post;
its ``event_types`` say which events. Zulip's answers are judged here
(``classify_response``): bad credentials, a deactivated bot or organization, a channel
that does not exist or that the bot may not post to cannot get better by trying again,
so they go to the dead letters at once; a rate limit (429, with ``Retry-After``) and
server errors are retried on the worker's schedule.
"""

from __future__ import annotations

import asyncio
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from switchboard.integrations import (
    DeliveryRequest,
    DeliveryResponse,
    Event,
    Integration,
    IntegrationConfig,
    Verdict,
    compile_pattern,
)

from .form import ZulipForm
from .message import build_request, messages_url, request_headers

if TYPE_CHECKING:
    from switchboard.integrations import IntegrationManager

__all__ = ["ICON_FILES", "PERMANENT_STATUSES", "ZulipIntegration", "icon_file"]

#: The icons' files in this package, by resolution. A web app serves them at the
#: ``icon_static_urls`` below: ``/static/switchboard_zulip/`` is this package's ``static/``.
ICON_FILES: Final = MappingProxyType({"1x": "icons/zulip.png", "2x": "icons/zulip@2x.png"})

#: Zulip's answers that trying again cannot mend (https://zulip.com/api/rest-error-handling):
#: 400 a bad request (the channel does not exist, the bot may not post there), 401 an
#: invalid API key or a deactivated bot or organization (403 before Zulip 5.0), 404 a
#: site URL that is not a Zulip server's.
PERMANENT_STATUSES: Final = frozenset({400, 401, 403, 404})


def icon_file(resolution: str) -> Traversable:
    """The PNG of the icon at ``resolution`` (``"1x"``, ``"2x"``), inside the package."""
    return files(__package__) / "static" / ICON_FILES[resolution]


class ZulipIntegration(Integration):
    integration_id = "zulip"
    name = "Zulip"
    description = "Post events as messages to a Zulip channel and topic."
    config_form_cls = ZulipForm
    default_settings = MappingProxyType(
        {"topic": "{type}", "event_types": ["review.*", "review_request.*"]}
    )
    icon_static_urls = MappingProxyType(
        {size: f"/static/switchboard_zulip/{path}" for size, path in ICON_FILES.items()}
    )

    def __init__(self, manager: IntegrationManager) -> None:
        super().__init__(manager)
        # config id -> (the view they were compiled for, its event type patterns)
        self._patterns: dict[str, tuple[IntegrationConfig, list[re.Pattern[str]]]] = {}

    def initialize(self) -> None:
        # One subscription for every event; each configuration's event_types pick its own.
        self.subscribe("*", self.on_event)

    def shutdown(self) -> None:
        self._patterns.clear()

    async def on_event(self, event: Event) -> None:
        configs = [
            c
            for c in await self.get_configs(event)
            if event.config_id or self._wants(c, event.type)
        ]
        # Every configuration at once: one slow Zulip server holds up no other.
        await asyncio.gather(
            *(self.send(config, event, build_request(config, event)) for config in configs)
        )

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.status in PERMANENT_STATUSES:
            return Verdict.PERMANENT
        return None  # 2xx delivered; 429 and 5xx retried, Retry-After obeyed

    def refresh_request(
        self, config: IntegrationConfig, request: DeliveryRequest
    ) -> DeliveryRequest:
        # A retry or a replay goes where the configuration says now, with its credentials:
        # fixing a revoked API key fixes the messages still pending. The message stays as
        # first written.
        return DeliveryRequest(
            messages_url(config.get("site")),
            request.body,
            headers=request_headers(config),
            key=request.key,
        )

    def _wants(self, config: IntegrationConfig, event_type: str) -> bool:
        cached = self._patterns.get(config.id)
        if cached is None or cached[0] is not config:
            patterns = [compile_pattern(p) for p in config.get("event_types")]
            cached = self._patterns[config.id] = (config, patterns)
        if event_type.startswith("switchboard.") and not _names_own_events(config):
            # Switchboard's own events (a dead letter, say) go only where a pattern names
            # them: a dead Zulip's failures are not posted back to it under "*".
            return False
        return any(pattern.fullmatch(event_type) for pattern in cached[1])


def _names_own_events(config: IntegrationConfig) -> bool:
    patterns: list[str] = config.get("event_types")
    return any(pattern.startswith("switchboard.") for pattern in patterns)
