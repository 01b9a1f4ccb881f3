"""``/ui/configs``: the configurations, and what is done to one from the list or its page:
enable or disable it, delete it (after a confirm page), send it a test event, reveal its
signing secrets.

Adapters over the services the API uses (``ConfigAdmin``, ``DeliveryAdmin``,
``send_test_event``), with its tenant rules: a tenant's session lists its own tenant
only, whatever the filter asks, and another tenant's configuration is 404. The list
pages as ``GET /api/configs`` does (``config_paging.py``), filtered by integration,
tenant and state; each row's last outcome and chart come from the recent attempts of
the whole page, read in one round trip. The signing secrets are shown only on the
page a POST to reveal them answers (never cached: the guard's ``no-store``), and the
reveal is logged as the API logs it, without them.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from aiohttp import web

from switchboard.config import UNSET, ConfigRecord, Principal, shown_id
from switchboard.integrations import ConfigValidationError, IntegrationNotRegisteredError

from ...errors import UntestableConfigError
from ...probe import send_test_event
from ..api.auth import principal_name
from ..api.services import SERVICES
from ..config_paging import config_page
from .activity import CHART_HEIGHT, CHART_WIDTH, Activity, activity
from .config_form import edit_page
from .guard import SESSION
from .records import IntegrationBadge, badge, deletable_id, visible_record
from .render import Notice, page, redirect

__all__ = ["PAGE_SIZE", "ConfigRow", "ConfigState", "ListFilters", "routes"]

logger = logging.getLogger(__name__)

#: Configurations a page lists.
PAGE_SIZE: Final = 50


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/configs", _list)
    app.router.add_post("/ui/configs/{config_id}/enabled", _set_enabled)
    app.router.add_get("/ui/configs/{config_id}/delete", _confirm_delete)
    app.router.add_post("/ui/configs/{config_id}/delete", _delete)
    app.router.add_post("/ui/configs/{config_id}/test", _test)
    app.router.add_post("/ui/configs/{config_id}/reveal-secret", _reveal)


class ConfigState(enum.StrEnum):
    """The states the list filters by."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilters:
    """What the list is filtered by (blank: anything), and where its page starts."""

    integration_id: str = ""
    tenant: str = ""
    state: ConfigState | None = None
    cursor: str | None = None

    @classmethod
    def of(cls, request: web.Request, principal: Principal) -> ListFilters:
        query = request.query
        state = query.get("state", "")
        return cls(
            integration_id=query.get("integration_id", "").strip(),
            # A tenant's session is held to its tenant, whatever is asked.
            tenant=principal.tenant or query.get("tenant", "").strip(),
            state=ConfigState(state) if state in tuple(ConfigState) else None,
            cursor=query.get("cursor") or None,
        )

    def url(self, *, cursor: str | None = None) -> str:
        """The list with these filters (from ``cursor``)."""
        query = {
            "integration_id": self.integration_id,
            "tenant": self.tenant,
            "state": self.state or "",
            "cursor": cursor or "",
        }
        shown = urlencode({k: v for k, v in query.items() if v})
        return f"/ui/configs?{shown}" if shown else "/ui/configs"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigRow:
    """One configuration as the list shows it."""

    record: ConfigRecord
    integration: IntegrationBadge
    orphaned: bool
    activity: Activity


async def _list(request: web.Request) -> web.Response:
    principal = request[SESSION].principal
    services = request.app[SERVICES]
    admin = services.configs
    filters = ListFilters.of(request, principal)
    tenant: Any = filters.tenant or UNSET
    enabled: bool | None = None
    if filters.state in (ConfigState.ENABLED, ConfigState.DISABLED):
        enabled = filters.state is ConfigState.ENABLED
    records, broken = await admin.store.list(
        integration_id=filters.integration_id or None, tenant=tenant, enabled=enabled
    )
    if filters.state is ConfigState.ORPHANED:
        records = [r for r in records if admin.is_orphaned(r)]
    try:
        shown, next_cursor = config_page(records, cursor=filters.cursor, limit=PAGE_SIZE)
    except ConfigValidationError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    attempts = await services.deliveries.recent_attempts([r.id for r in shown])
    now = time.time()
    rows = [
        ConfigRow(
            record=record,
            integration=badge(services.manager, record.integration_id),
            orphaned=admin.is_orphaned(record),
            activity=activity(attempts.get(record.id, []), now),
        )
        for record in shown
    ]
    integrations = [
        badge(services.manager, i.integration_id) for i in services.manager.get_integrations()
    ]
    context = {
        "rows": rows,
        "filters": filters,
        "states": tuple(ConfigState),
        "integrations": integrations,
        "here": filters.url(cursor=filters.cursor),
        "first_page": filters.url() if filters.cursor else None,
        "next_page": filters.url(cursor=next_cursor) if next_cursor else None,
        # Records that cannot be read (a secret key missing or changed, a newer schema):
        # the admin's to see and delete; whose they are cannot be told.
        "unreadable": sorted(broken.items()) if principal.tenant is None else [],
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
    }
    return page(request, "configs.html", context)


async def _set_enabled(request: web.Request) -> web.Response:
    record = await visible_record(request)
    form = await request.post()
    if form.get("enabled") not in ("true", "false"):
        raise web.HTTPBadRequest(text="Say which: enabled=true or enabled=false.")
    enabled = form.get("enabled") == "true"
    await request.app[SERVICES].configs.set_enabled(record.id, enabled)
    back = str(form.get("back", ""))
    raise redirect(
        back if _is_list(back) else "/ui/configs", Notice.enabled if enabled else Notice.disabled
    )


def _is_list(path: str) -> bool:
    """A list page's URL (with filters), the only place a toggle goes back to."""
    return path == "/ui/configs" or (path.startswith("/ui/configs?") and "//" not in path)


async def _confirm_delete(request: web.Request) -> web.Response:
    record = await visible_record(request)
    return page(request, "config_delete.html", {"record": record})


async def _delete(request: web.Request) -> web.Response:
    await request.app[SERVICES].configs.delete(await deletable_id(request))
    raise redirect("/ui/configs", Notice.deleted)


async def _test(request: web.Request) -> web.Response:
    record = await visible_record(request)
    services = request.app[SERVICES]
    try:
        sent = await send_test_event(
            services.configs, services.events, record, sent_by="the admin UI"
        )
    except UntestableConfigError as exc:  # as the API's 409 says it
        return await edit_page(request, record, problem=str(exc), status=409)
    logger.info(
        "Test event %s sent to configuration %s by %s",
        sent.event_id,
        record.id,
        principal_name(request[SESSION].principal),
    )
    query = urlencode({"config_id": record.id})
    raise redirect(f"/ui/deliveries?{query}", Notice.test_sent)


async def _reveal(request: web.Request) -> web.Response:
    record = await visible_record(request)
    principal = request[SESSION].principal
    try:
        secrets = await request.app[SERVICES].configs.reveal_signing_secrets(record.id)
    except IntegrationNotRegisteredError as exc:
        problem = f"{exc} Its signing secrets cannot be read without it."
        return page(request, "config_secret.html", _secret(record, (), problem), status=409)
    if not secrets:
        problem = f'Configuration "{shown_id(record.id)}" does not sign its deliveries.'
        return page(request, "config_secret.html", _secret(record, (), problem), status=409)
    logger.warning(
        "Signing secrets of configuration %s revealed to %s", record.id, principal_name(principal)
    )
    return page(request, "config_secret.html", _secret(record, secrets, None))


def _secret(record: ConfigRecord, secrets: tuple[str, ...], problem: str | None) -> dict[str, Any]:
    return {"record": record, "secrets": secrets, "problem": problem}
