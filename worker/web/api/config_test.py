"""``POST /api/configs/{config_id}/test``: send a test event to one configuration, an
adapter over ``worker/probe.py``'s ``send_test_event`` (the CLI's ``configs test``).

Tenant-scoped as the other configuration routes (another tenant's id: 404). 202 once the
event is queued, with its id and the id of the delivery a worker will make of it, to
follow with ``GET /api/deliveries/{delivery_id}``; 409 when the configuration is disabled
or its integration is not installed.
"""

from __future__ import annotations

import logging
from http import HTTPMethod

from aiohttp import web
from pydantic import BaseModel, Field

from switchboard.config import ConfigNotFoundError
from switchboard.config.tokens import Scope

from ...probe import TEST_EVENT, send_test_event
from .auth import authorize, principal_name
from .endpoints import Endpoint, add, respond
from .services import SERVICES

__all__ = ["TestQueued", "routes"]

logger = logging.getLogger(__name__)


class TestQueued(BaseModel):
    __test__ = False  # not a pytest class, for all its name

    event_id: str = Field(description=f"The `{TEST_EVENT}` event queued.")
    delivery_id: str = Field(
        description="The delivery a worker makes of it: `GET /api/deliveries/{delivery_id}` "
        "(404 until a worker has taken the event)."
    )
    config_id: str


def routes(app: web.Application) -> None:
    add(
        app,
        Endpoint(
            method=HTTPMethod.POST,
            path="/api/configs/{config_id}/test",
            handler=_test,
            tag="configurations",
            response=TestQueued,
            status=202,
            problems=(404, 409),
            summary=f"Send a `{TEST_EVENT}` event to this configuration only, through the "
            "queue and a worker; 202 with the event's and the delivery's ids.",
        ),
    )


async def _test(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    config_id = request.match_info["config_id"]
    services = request.app[SERVICES]
    record = await services.configs.get(config_id)
    if not principal.sees(record.tenant):
        raise ConfigNotFoundError(config_id)
    sent = await send_test_event(services.configs, services.events, record, sent_by="the web API")
    logger.info(
        "Test event %s sent to configuration %s by %s",
        sent.event_id,
        record.id,
        principal_name(principal),
    )
    return respond(
        TestQueued,
        {"event_id": sent.event_id, "delivery_id": sent.delivery_id, "config_id": sent.config_id},
        status=202,
    )
