"""``/ui/dead-letters``: the dead letters the session sees (a configuration's, or all),
newest first, a page at a time, with "Replay" on each, "Replay these" (every dead letter
of the configuration filtered on, not only this page's) and "Replay all".

The three post one form to ``/ui/dead-letters/replay`` (``ids``, ``config_id`` or
``all=1``), read by the API's own ``ReplayFilter`` and done by
``DeliveryAdmin.replay_held``, as ``/api/dead-letters/replay`` does: held to a tenant
session's tenant, another tenant's ids as unknown ones (not replayed). The page it comes
back to says whether anything was replayed (``Notice``), and keeps the configuration the
list was filtered on (``shown_config_id``), whichever button was pressed.
"""

from __future__ import annotations

from aiohttp import web

from switchboard.integrations import ConfigValidationError

from ...delivery import DeliveryPage, DeliveryStatus
from ..api.delivery_models import DeadLetterList, ReplayFilter
from ..api.endpoints import validated
from ..api.services import SERVICES
from .guard import SESSION
from .listing import filters, page_link, table_context
from .render import Notice, page, problem_page, redirect

__all__ = ["routes"]

_PATH = "/ui/dead-letters"


def routes(app: web.Application) -> None:
    app.router.add_get(_PATH, _list)
    app.router.add_post(f"{_PATH}/replay", _replay)


async def _list(request: web.Request) -> web.Response:
    principal = request[SESSION].principal
    services = request.app[SERVICES]
    given = filters(request.query, DeadLetterList)
    found: DeliveryPage | None = None
    errors: dict[str, str] = {}
    try:
        query = validated(DeadLetterList, given, "query")
        found = await services.deliveries.find(
            status=DeliveryStatus.DEAD,
            config_id=query.config_id,
            tenant=principal.tenant,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ConfigValidationError as exc:
        errors = exc.errors
    context = await table_context(_PATH, services.configs, principal, found, given, errors)
    return page(request, "dead_letters.html", context, status=422 if errors else 200)


async def _replay(request: web.Request) -> web.Response:
    form = await request.post()
    chosen = {
        "ids": [value.strip() for value in form.getall("ids", []) if isinstance(value, str)],
        "config_id": _text(form.get("config_id")) or None,
        "all": form.get("all") == "1",
    }
    try:
        replay = validated(ReplayFilter, chosen, "form")
    except ConfigValidationError as exc:
        reasons = "; ".join(f"{field}: {reason}" for field, reason in sorted(exc.errors.items()))
        return problem_page(request, status=422, title="Nothing replayed", detail=reasons)
    shown_config = _text(form.get("shown_config_id"))
    back = page_link(_PATH, {"config_id": shown_config} if shown_config else {})
    if not (replay.ids or replay.config_id or replay.all):
        raise redirect(back, Notice.nothing_replayed)
    report = await request.app[SERVICES].deliveries.replay_held(
        ids=replay.ids,
        config_id=replay.config_id,
        every=replay.all,
        tenant=request[SESSION].principal.tenant,
    )
    raise redirect(back, Notice.replayed if report.replayed else Notice.nothing_replayed)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
