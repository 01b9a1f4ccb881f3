"""The sample message of ``docs/integrations.md``, through each service's real integration.

``SAMPLE_EVENT`` is a ``review.published`` with Ship It! and two open issues, at a fixed
time and id, so the payloads are the same on every run (the committed JSON is compared
with them). ``find_integration`` looks the service up in the installed package by its
integration id, so a service that lands later is found without a change here, and
``render_payload`` renders the event the way a delivery does: ``message_for``, then
``render`` for a configuration validated by the service's own form.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from switchboard.integrations import ConfigValidationError, Event
from switchboard.integrations.builtin import chat
from switchboard.integrations.builtin.chat import ChatIntegration
from switchboard.testing import HandlerRecorder

__all__ = ["SAMPLE_EVENT", "SERVICES", "Service", "find_integration", "render_payload"]


@dataclass(frozen=True, slots=True)
class Service:
    name: str  # the file name in docs/integrations/ and the preview's
    integration_id: str
    #: A configuration's settings, as an operator would give them, for the sample.
    settings: dict[str, Any]


SERVICES: Final = (
    Service(
        "slack",
        "switchboard.slack",
        {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"},
    ),
    Service(
        "mattermost",
        "switchboard.mattermost",
        {"webhook_url": "https://chat.example.com/hooks/xxxxxxxxxxxxxxxxxxxxxxxxxx"},
    ),
    Service(
        "discord",
        "switchboard.discord",
        {"webhook_url": "https://discord.com/api/webhooks/123456789012345678/XXXXXXXX"},
    ),
    Service(
        "msteams",
        "switchboard.msteams",
        {
            "webhook_url": "https://prod-00.westeurope.logic.azure.com/workflows/0000"
            "/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XXXXXXXX"
        },
    ),
    Service(
        "matrix",
        "switchboard.matrix",
        {
            "server": "https://matrix.example.org",
            "room_id": "!reviews:example.org",
            "access_token": "syt_XXXXXXXX",
        },
    ),
)

SAMPLE_EVENT: Final = Event(
    id="evt_sample_review_published",
    type="review.published",
    occurred_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
    data={
        "review_request": {
            "id": 42,
            "summary": "Fix the parser",
            "url": "https://rb.example.com/r/42/",
            "repository": "backend",
            "branch": "main",
        },
        "user": {
            "username": "alice",
            "fullname": "Alice Liddell",
            "url": "https://rb.example.com/users/alice/",
        },
        "review": {
            "ship_it": True,
            "open_issues": 2,
            "url": "https://rb.example.com/r/42/#review7",
            "body_top": "Two nits, then it's good to go.",
        },
    },
)


def find_integration(integration_id: str) -> type[ChatIntegration] | None:
    """The chat integration class of ``integration_id`` in the installed package, if any."""
    for module_info in pkgutil.iter_modules(chat.__path__, chat.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ChatIntegration)
                and getattr(value, "integration_id", None) == integration_id
            ):
                return value
    return None


def render_payload(service: Service) -> dict[str, Any] | None:
    """``SAMPLE_EVENT`` as ``service``'s payload, or ``None`` when it is not installed."""
    integration_cls = find_integration(service.integration_id)
    if integration_cls is None:
        return None
    with HandlerRecorder(integration_cls) as recorder:
        try:
            config = recorder.add_config(integration_cls, settings=service.settings)
        except ConfigValidationError as error:
            # A service that landed with other settings than guessed here: say where to fix.
            raise RuntimeError(
                f"{service.integration_id} refuses the sample settings; update SERVICES in "
                f"tests/support/previews/samples.py: {error}"
            ) from error
        integration = recorder.manager.get_integration(service.integration_id)
        assert isinstance(integration, ChatIntegration)
        request = integration.render(integration.message_for(SAMPLE_EVENT), config)
    payload: dict[str, Any] = orjson.loads(request.body)
    return payload
