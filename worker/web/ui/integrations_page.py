"""``/ui/``: every installed integration, with its icon, what it does, how many
configurations it has (enabled of all, the signed-in tenant's only) and "Add
configuration", as Djblets' integrations page lists them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from switchboard.config import UNSET

from ...display import integration_rows
from ..api.services import SERVICES
from .guard import SESSION
from .render import page

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/", _integrations)
    app.router.add_get("/ui", _to_slash)


async def _to_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")


async def _integrations(request: web.Request) -> web.Response:
    principal = request[SESSION].principal
    services = request.app[SERVICES]
    tenant: Any = UNSET if principal.tenant is None else principal.tenant
    records, _ = await services.configs.store.list(tenant=tenant)
    rows = integration_rows(services.manager, records)
    # What failed to load names the server's paths: the operator's to read, not a tenant's.
    errors = [str(e) for e in services.manager.load_errors] if principal.tenant is None else []
    return page(request, "integrations.html", {"integrations": rows, "load_errors": errors})
