"""``/ui/deliveries`` (recent deliveries, filtered, a page at a time) and
``/ui/deliveries/{id}`` (one delivery: its facts and attempt log, "Replay" on a dead
letter): adapters over ``DeliveryAdmin``, as ``/api/deliveries`` is.

* The filters are read by the API's own ``DeliveryList`` (``listing.filters``): a time
  as the API reads it (ISO 8601, no zone: UTC, or epoch seconds), a status of
  ``DeliveryStatus``. A bad value, or a cursor no listing gave, is said on the page next
  to its field (422), above an empty table, never a 500.
* A tenant's session lists its own tenant's deliveries only, whatever ``tenant`` the URL
  names (the page has no such field for it, nor a tenant column: every row is its own),
  and another tenant's delivery is a 404, as an unknown one, so a tenant cannot learn
  which ids exist elsewhere.
* A delivery's request shows its method and host only (``DeliveryAdmin.public``): its
  URL and headers can hold secrets. A response shows the first ``EXCERPT`` characters of
  its body, as text in a ``<pre>`` (escaped, as everything from an event is).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from switchboard.config import shown_id
from switchboard.integrations import ConfigValidationError, IntegrationManager

from ...delivery import DeliveryPage, DeliveryRecord, DeliveryStatus
from ..api.delivery_models import DeliveryList
from ..api.endpoints import validated
from ..api.services import SERVICES
from .guard import SESSION
from .listing import config_names, delivery_path, filters, table_context
from .render import Notice, page, problem_page, redirect

__all__ = ["routes"]

#: How much of an attempt's response body the page shows (4 KiB of it is kept).
EXCERPT: Final = 1000


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/deliveries", _list)
    app.router.add_get("/ui/deliveries/{delivery_id}", _show)
    app.router.add_post("/ui/deliveries/{delivery_id}/replay", _replay)


async def _list(request: web.Request) -> web.Response:
    principal = request[SESSION].principal
    services = request.app[SERVICES]
    given = filters(request.query, DeliveryList)
    if principal.tenant is not None:  # held to its own tenant, as the API's token is
        given.pop("tenant", None)
    found: DeliveryPage | None = None
    errors: dict[str, str] = {}
    try:
        query = validated(DeliveryList, given, "query")
        found = await services.deliveries.find(
            status=query.status,
            config_id=query.config_id,
            integration_id=query.integration_id,
            tenant=query.tenant if principal.tenant is None else principal.tenant,
            since=query.since,
            until=query.until,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ConfigValidationError as exc:
        errors = {field: _reason(field, reason, given) for field, reason in exc.errors.items()}
    context = await table_context(
        "/ui/deliveries", services.configs, principal, found, given, errors
    )
    context["statuses"] = [status.value for status in DeliveryStatus]
    context["integrations"] = _integration_choices(
        services.manager, context["filters"].get("integration_id")
    )
    return page(request, "deliveries.html", context, status=422 if errors else 200)


async def _show(request: web.Request) -> web.Response:
    record = await _visible(request)
    if record is None:
        return _unknown(request)
    services = request.app[SERVICES]
    names = await config_names(services.configs, request[SESSION].principal, [record.config_id])
    context = {
        "d": record,
        "request_shown": services.deliveries.public(record)["request"],
        "config_name": names.get(record.config_id),
        "integration_name": _integration_name(services.manager, record.integration_id),
        "excerpt": EXCERPT,
    }
    return page(request, "delivery.html", context)


async def _replay(request: web.Request) -> web.Response:
    record = await _visible(request)
    if record is None:
        return _unknown(request)
    report = await request.app[SERVICES].deliveries.replay([record.id])
    raise redirect(
        delivery_path(record.id), Notice.replayed if report.replayed else Notice.nothing_replayed
    )


async def _visible(request: web.Request) -> DeliveryRecord | None:
    """The delivery of the path, if there is one and the session sees its tenant."""
    record = await request.app[SERVICES].deliveries.get(request.match_info["delivery_id"])
    if record is None or not request[SESSION].principal.sees(record.tenant):
        return None
    return record


def _unknown(request: web.Request) -> web.Response:
    delivery_id = request.match_info["delivery_id"]
    return problem_page(
        request,
        status=404,
        title="No such delivery",
        detail=f'No delivery with id "{shown_id(delivery_id)}" (it may have expired).',
    )


def _reason(field: str, reason: str, given: dict[str, str]) -> str:
    """A time's error in the CLI's words, which say what a time may be; others as read."""
    if field in ("since", "until") and field in given:
        return f"{given[field][:40]!r} is no ISO 8601 time or epoch seconds"
    return reason


def _integration_choices(manager: IntegrationManager, chosen: str | None) -> list[tuple[str, str]]:
    """(id, name) of each installed integration, and the one filtered on if it is not."""
    choices = [(i.integration_id, i.name or i.integration_id) for i in manager.get_integrations()]
    if chosen and all(chosen != the_id for the_id, _ in choices):
        choices.append((chosen, f"{chosen} (not installed)"))
    return choices


def _integration_name(manager: IntegrationManager, integration_id: str) -> str | None:
    if not manager.is_registered(integration_id):
        return None
    return manager.get_integration(integration_id).name or None
