"""``/api/deliveries``, ``/api/dead-letters`` and ``/api/rejected``: adapters over
``DeliveryAdmin``, as the CLI's ``deliveries``, ``dead-letters`` and ``rejected`` are.

A tenant's token lists and replays only its tenant's deliveries (another tenant's id is
404, as an unknown one); the rejected events, which no tenant owns (a payload that could
not be read names none), are for the admin token only (403).
"""

from __future__ import annotations

from http import HTTPMethod

from aiohttp import web

from switchboard.config import shown_id
from switchboard.config.tokens import Principal, Scope
from switchboard.integrations import ConfigValidationError

from ...delivery import DeliveryRecord, DeliveryStatus
from ...errors import ApiError
from .auth import authorize, require_tenant
from .delivery_models import (
    DeadLetterList,
    DeliveryList,
    DeliveryOut,
    DeliveryPage,
    RejectedList,
    RejectedPage,
    ReplayFilter,
    ReplayReportOut,
)
from .endpoints import Endpoint, add, read_body, read_query, respond
from .services import SERVICES

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    for endpoint in (
        Endpoint(method=HTTPMethod.GET, path="/api/deliveries", handler=_list, tag="deliveries",
                 query=DeliveryList, response=DeliveryPage, problems=(422,),
                 summary="Deliveries, most recently updated first (retrying: next first)."),
        Endpoint(method=HTTPMethod.GET, path="/api/deliveries/{delivery_id}", handler=_show,
                 tag="deliveries", response=DeliveryOut, problems=(404,),
                 summary="One delivery with its attempts."),
        Endpoint(method=HTTPMethod.GET, path="/api/dead-letters", handler=_dead, tag="deliveries",
                 query=DeadLetterList, response=DeliveryPage, problems=(422,),
                 summary="Dead letters, newest first."),
        Endpoint(method=HTTPMethod.POST, path="/api/dead-letters/{delivery_id}/replay",
                 handler=_replay_one,
                 tag="deliveries", response=ReplayReportOut, problems=(404, 409),
                 summary="Send one dead letter again (one attempt, marked manual)."),
        Endpoint(method=HTTPMethod.POST, path="/api/dead-letters/replay",
                 handler=_replay, tag="deliveries",
                 body=ReplayFilter, response=ReplayReportOut, problems=(400, 422),
                 summary="Send dead letters again: by id, a configuration's, or all."),
        Endpoint(method=HTTPMethod.GET, path="/api/rejected", handler=_rejected, tag="deliveries",
                 query=RejectedList, response=RejectedPage, problems=(422,),
                 summary="Events workers received but could not accept, newest first."),
    ):  # fmt: skip
        add(app, endpoint)


async def _list(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    query = read_query(request, DeliveryList)
    tenant = _tenant(principal, query.tenant, "tenant" in query.model_fields_set)
    admin = request.app[SERVICES].deliveries
    page = await admin.find(
        status=query.status,
        config_id=query.config_id,
        integration_id=query.integration_id,
        tenant=tenant,
        since=query.since,
        until=query.until,
        limit=query.limit,
        cursor=query.cursor,
    )
    items = [admin.public(r) for r in page.records]
    return respond(DeliveryPage, {"items": items, "next_cursor": page.next_cursor})


async def _dead(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    query = read_query(request, DeadLetterList)
    admin = request.app[SERVICES].deliveries
    page = await admin.find(
        status=DeliveryStatus.DEAD,
        config_id=query.config_id,
        tenant=principal.tenant,
        limit=query.limit,
        cursor=query.cursor,
    )
    items = [admin.public(r) for r in page.records]
    return respond(DeliveryPage, {"items": items, "next_cursor": page.next_cursor})


async def _show(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    record = await _visible(request, principal)
    return respond(DeliveryOut, request.app[SERVICES].deliveries.public(record))


async def _replay_one(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    record = await _visible(request, principal)
    report = await request.app[SERVICES].deliveries.replay([record.id])
    if not report.replayed:
        raise ApiError(
            409,
            "Conflict",
            f'Delivery "{shown_id(record.id)}" is not a dead letter '
            f"(it is {record.status}); not replayed.",
        )
    return respond(ReplayReportOut, {"replayed": report.replayed, "not_dead": report.not_dead})


async def _replay(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    body = await read_body(request, ReplayFilter)
    if not (body.ids or body.config_id or body.all):
        raise ConfigValidationError(
            {"ids": "name delivery ids, a config_id, or all: true"}, subject="replay"
        )
    report = await request.app[SERVICES].deliveries.replay_held(
        ids=body.ids, config_id=body.config_id, every=body.all, tenant=principal.tenant
    )
    return respond(ReplayReportOut, {"replayed": report.replayed, "not_dead": report.not_dead})


async def _rejected(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    if principal.tenant is not None:
        raise ApiError(
            403,
            "Forbidden",
            "Rejected events belong to no tenant: they are for "
            "the admin token (SWITCHBOARD_ADMIN_TOKEN) only.",
        )
    query = read_query(request, RejectedList)
    page = await request.app[SERVICES].deliveries.rejected_page(
        limit=query.limit, cursor=query.cursor
    )
    return respond(
        RejectedPage, {"items": page.items, "total": page.total, "next_cursor": page.next_cursor}
    )


async def _visible(request: web.Request, principal: Principal) -> DeliveryRecord:
    delivery_id = request.match_info["delivery_id"]
    record = await request.app[SERVICES].deliveries.get(delivery_id)
    if record is None or not principal.sees(record.tenant):
        raise ApiError(
            404,
            "Not found",
            f'No delivery with id "{shown_id(delivery_id)}" (it may have expired).',
        )
    return record


def _tenant(principal: Principal, asked: str | None, given: bool) -> str | None:
    if given:
        require_tenant(principal, asked)
        return asked
    return principal.tenant
