"""``ChatIntegration``: what the chat services' integrations share.

A service's integration subclasses it and fills in two things:

* ``render(message, config) -> DeliveryRequest``: the neutral ``ChatMessage`` in the
  service's own format, escaped and cut to its limits;
* ``classify_response(config, response)``: the service's answers that trying again
  cannot mend (a revoked webhook), as for any integration.

and sets its metadata (``integration_id``, ``name``, ``description``,
``config_form_cls``, a subclass of ``ChatForm`` or ``WebhookChatForm``,
``icon_static_urls``, and ``default_rate_limit`` when the service has a documented one).

The base does the rest: it subscribes to every event, keeps the configurations whose
``event_types`` take it (``*`` is every event but Switchboard's own ``switchboard.*``,
which go only where a pattern names them, so a dead chat is not told of its own dead
letters), renders the event once (``message_for``: ``render_event`` unless overridden)
and sends to all of them concurrently, so one slow server holds up no other. A retry or
a replay goes to the webhook URL as the configuration has it then (``endpoint``), with
the message as first rendered: replacing a revoked URL fixes the messages still pending.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, ClassVar, Final

from switchboard.integrations.configs import IntegrationConfig
from switchboard.integrations.delivery import DeliveryRequest
from switchboard.integrations.events import Event
from switchboard.integrations.integration import Integration
from switchboard.integrations.subscriptions import compile_pattern

from .forms import ChatForm, WebhookChatForm
from .message import ChatMessage
from .render import render_event

if TYPE_CHECKING:
    from switchboard.integrations.manager import IntegrationManager

__all__ = ["ChatIntegration", "wants_event"]

#: ``*`` in ``event_types``: the app's events, not Switchboard's own.
_APP_EVENTS: Final = re.compile(r"(?!switchboard\.)[a-z0-9_]+(\.[a-z0-9_]+)*")


def wants_event(patterns: list[re.Pattern[str]], event_type: str) -> bool:
    return any(pattern.fullmatch(event_type) for pattern in patterns)


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    return [_APP_EVENTS if pattern == "*" else compile_pattern(pattern) for pattern in patterns]


class ChatIntegration(Integration):
    """The base of the chat services' integrations (not registered itself)."""

    config_form_cls: ClassVar[type[ChatForm]] = WebhookChatForm

    def __init__(self, manager: IntegrationManager) -> None:
        super().__init__(manager)
        # config id -> (the view they were compiled for, its event type patterns)
        self._patterns: dict[str, tuple[IntegrationConfig, list[re.Pattern[str]]]] = {}

    def initialize(self) -> None:
        # One subscription; each configuration's event_types pick its events.
        self.subscribe("*", self.on_event)

    def shutdown(self) -> None:
        self._patterns.clear()

    async def on_event(self, event: Event) -> None:
        configs = [
            c for c in await self.get_configs(event) if event.config_id or self.wants(c, event.type)
        ]
        if not configs:
            return
        message = self.message_for(event)
        # Every request is built before any is sent: a configuration whose settings
        # cannot render fails the handler before anything went out twice on a re-run.
        requests = [(config, self.render(message, config)) for config in configs]
        await asyncio.gather(*(self.send(config, event, request) for config, request in requests))

    def wants(self, config: IntegrationConfig, event_type: str) -> bool:
        """Whether ``config``'s ``event_types`` take events of ``event_type``."""
        cached = self._patterns.get(config.id)
        if cached is None or cached[0] is not config:
            patterns = _compile(list(config.get("event_types") or ["*"]))
            cached = self._patterns[config.id] = (config, patterns)
        return wants_event(cached[1], event_type)

    def message_for(self, event: Event) -> ChatMessage:
        """The neutral message for ``event``; override to word an app's events your way."""
        return render_event(event)

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        """``message`` as this service's request for ``config``: escaped, within limits."""
        raise NotImplementedError(f"{type(self).__qualname__} must define render()")

    def endpoint(self, config: IntegrationConfig) -> str:
        """Where ``config``'s messages go now (the webhook URL, for webhook services)."""
        return str(config.get("webhook_url"))

    def refresh_request(
        self, config: IntegrationConfig, request: DeliveryRequest
    ) -> DeliveryRequest:
        return DeliveryRequest(
            self.endpoint(config),
            request.body,
            method=request.method,
            headers=request.headers,
            key=request.key,
        )
