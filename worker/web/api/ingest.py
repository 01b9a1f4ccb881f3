"""``POST /api/events`` and ``POST /api/events/batch``: emitting over HTTP, for apps in any
language, through the app's one ``EventClient`` (so the envelope's rules and messages are
the Python client's: ``InvalidEventError`` is a 422 problem).

``Idempotency-Key`` is the event's id (the batch's events without an id get
``<key>:<n>``, n from 0): sent again within ``SWITCHBOARD_EVENT_DEDUP_TTL``, an event is
queued again but dispatched once, as an ``emit`` with the same ``event_id`` is. The
ingest token may call only these; a tenant's token emits only its tenant's events (the
tenant set when left out, 403 when another is named). Events of a tenant count in its
events quota, whichever token sends them (``quotas.py``: 429 when over it, nothing queued).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from http import HTTPMethod
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from switchboard.config.tokens import Principal, Scope

from .auth import authorize, require_tenant
from .endpoints import Endpoint, add, read_body, respond
from .quotas import Quota
from .services import SERVICES

__all__ = ["EventBatch", "EventIn", "routes"]

_KEY: Final = "Idempotency-Key"


class EventIn(BaseModel):
    """One event's envelope, as ``EventClient.emit`` takes it."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Lowercase dot-separated segments: `review.published`.")
    data: dict[str, Any] | None = Field(default=None, description="Any JSON object.")
    id: str | None = Field(default=None, description="Its id; default: a new `evt_...`.")
    tenant: str | None = Field(default=None, description="The tenant it belongs to.")
    occurred_at: datetime | None = Field(default=None, description="Default: now.")


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(description="Queued all or none.")


class Queued(BaseModel):
    id: str


class QueuedBatch(BaseModel):
    ids: list[str]


def routes(app: web.Application) -> None:
    headers = {_KEY: "The event's id (a batch's: `<key>:<n>`), so a retry is dispatched once."}
    for endpoint in (
        Endpoint(method=HTTPMethod.POST, path="/api/events", handler=_emit, tag="ingest",
                 scope=Scope.INGEST, body=EventIn, response=Queued, status=202,
                 headers=headers, problems=(400, 413, 422),
                 summary="Queue one event; 202 with its id once it is in Redis."),
        Endpoint(method=HTTPMethod.POST, path="/api/events/batch",
                 handler=_emit_batch, tag="ingest",
                 scope=Scope.INGEST, body=EventBatch, response=QueuedBatch, status=202,
                 headers=headers, problems=(400, 413, 422),
                 summary="Queue many events in one write; nothing is queued if one is invalid."),
    ):  # fmt: skip
        add(app, endpoint)


async def _emit(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.INGEST)
    event = await read_body(request, EventIn)
    fields = _fields(principal, event, request.headers.get(_KEY))
    services = request.app[SERVICES]
    await services.quotas.take(Quota.EVENTS, _per_tenant([fields]))
    the_id = await services.events.emit(
        fields["type"],
        fields["data"],
        tenant=fields.get("tenant"),
        event_id=fields.get("id"),
        occurred_at=fields.get("occurred_at"),
    )
    return respond(Queued, {"id": the_id}, status=202)


async def _emit_batch(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.INGEST)
    batch = await read_body(request, EventBatch)
    key = request.headers.get(_KEY)
    events = [
        _fields(principal, event, None if key is None else f"{key}:{n}")
        for n, event in enumerate(batch.events)
    ]
    services = request.app[SERVICES]
    await services.quotas.take(Quota.EVENTS, _per_tenant(events))
    ids = await services.events.emit_many(events)
    return respond(QueuedBatch, {"ids": ids}, status=202)


def _per_tenant(events: list[dict[str, Any]]) -> Counter[str]:
    """How many of ``events`` each tenant sends (events with no tenant are the operator's)."""
    return Counter(e["tenant"] for e in events if e.get("tenant") is not None)


def _fields(principal: Principal, event: EventIn, key: str | None) -> dict[str, Any]:
    """The envelope as the client takes it: the token's tenant, the key as a default id."""
    fields = event.model_dump(exclude_none=True)
    fields.setdefault("data", None)
    if "tenant" in event.model_fields_set:
        require_tenant(principal, event.tenant)
    elif principal.tenant is not None:
        fields["tenant"] = principal.tenant
    if event.id is None and key is not None:
        fields["id"] = key
    return fields
