"""``/ui/rejected``: what workers received but could not accept (a payload that is not
a job, a malformed or oversized event), newest first, a page at a time (the offset
cursor of ``DeliveryAdmin.rejected_page``, as ``/api/rejected`` pages).

For the admin session only: a rejected payload names no tenant it could be shown to (it
could not be read), so a tenant's session is answered 403, as a tenant's token is by the
API, and its navigation has no link here (``render.ADMIN_ONLY``). A payload's preview is
text in a ``<pre>``, escaped as everything from an event is.
"""

from __future__ import annotations

from aiohttp import web

from switchboard.integrations import ConfigValidationError

from ...delivery import RejectedEventPage
from ..api.delivery_models import RejectedList
from ..api.endpoints import validated
from ..api.services import SERVICES
from .guard import SESSION
from .listing import filters, page_link
from .render import page, problem_page

__all__ = ["routes"]

_PATH = "/ui/rejected"


def routes(app: web.Application) -> None:
    app.router.add_get(_PATH, _list)


async def _list(request: web.Request) -> web.Response:
    if request[SESSION].principal.tenant is not None:
        return problem_page(
            request,
            status=403,
            title="For the admin token only",
            detail="Rejected events belong to no tenant (a payload that could not be read "
            "names none): they are shown to a session of the admin token "
            "(SWITCHBOARD_ADMIN_TOKEN) only.",
        )
    given = filters(request.query, RejectedList)
    found = RejectedEventPage(items=[], total=0, next_cursor=None)
    errors: dict[str, str] = {}
    try:
        query = validated(RejectedList, given, "query")
        found = await request.app[SERVICES].deliveries.rejected_page(
            limit=query.limit, cursor=query.cursor
        )
    except ConfigValidationError as exc:
        errors = exc.errors
    shown = {name: value for name, value in given.items() if name != "cursor"}
    context = {
        "found": found,
        "errors": errors,
        "older": None if found.next_cursor is None else page_link(_PATH, shown, found.next_cursor),
        "newest": page_link(_PATH, shown) if "cursor" in given else None,
    }
    return page(request, "rejected.html", context, status=422 if errors else 200)
