"""``/api/configs`` and ``/api/integrations``: adapters over ``ConfigAdmin``, as the CLI's
``configs`` and ``integrations`` commands are, answering what their ``--json`` prints
(secrets masked: ``worker/display.py``).

A tenant's token sees and changes only its tenant's configurations: another tenant's id
answers 404, as an unknown one does, so ids are not disclosed across tenants; it creates
in its own tenant (``tenant`` left out) or gets 403. ``/api/integrations`` counts only
its tenant's configurations, and answers with Redis down (the counts ``null``).
"""

from __future__ import annotations

import logging
from http import HTTPMethod
from typing import Any

from aiohttp import web

from switchboard.config import REDIS_DOWN_ERRORS, UNSET, ConfigNotFoundError, ConfigRecord, shown_id
from switchboard.config.tokens import Principal, Scope

from ...display import integration_rows, record_json
from ...errors import ApiError
from ..config_paging import config_page
from .auth import authorize, principal_name, require_tenant
from .config_models import (
    ConfigCreate,
    ConfigList,
    ConfigOut,
    ConfigPage,
    ConfigPatch,
    IntegrationsOut,
    SigningSecrets,
)
from .endpoints import Endpoint, add, read_body, read_query, respond
from .services import SERVICES

__all__ = ["routes"]

logger = logging.getLogger(__name__)

_ONE = "/api/configs/{config_id}"


def routes(app: web.Application) -> None:
    tag = "configurations"
    for endpoint in (
        Endpoint(method=HTTPMethod.GET, path="/api/integrations", handler=_integrations,
                 summary="The installed integrations, with their configurations counted.",
                 tag=tag, response=IntegrationsOut),
        Endpoint(method=HTTPMethod.GET, path="/api/configs",
                 handler=_list, tag=tag, query=ConfigList,
                 response=ConfigPage, problems=(422,),
                 summary="Configurations, oldest first, a page at a time."),
        Endpoint(method=HTTPMethod.POST, path="/api/configs",
                 handler=_create, tag=tag, body=ConfigCreate,
                 response=ConfigOut, status=201, problems=(400, 422),
                 summary="Create a configuration, validated by its integration's form."),
        Endpoint(method=HTTPMethod.GET, path=_ONE, handler=_show, tag=tag, response=ConfigOut,
                 problems=(404,), summary="One configuration."),
        Endpoint(method=HTTPMethod.PATCH, path=_ONE, handler=_edit, tag=tag, body=ConfigPatch,
                 response=ConfigOut, problems=(400, 404, 409, 422),
                 summary="Change a configuration; what is left out keeps its value."),
        Endpoint(method=HTTPMethod.DELETE, path=_ONE, handler=_delete, tag=tag, status=204,
                 problems=(404,), summary="Delete a configuration."),
        Endpoint(method=HTTPMethod.POST, path=f"{_ONE}/reveal-secret", handler=_reveal, tag=tag,
                 response=SigningSecrets, problems=(404, 409),
                 summary="The secrets that sign its deliveries: the one call that shows a "
                 "secret (logged, without it)."),
    ):  # fmt: skip
        add(app, endpoint)


async def _integrations(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    services = request.app[SERVICES]
    tenant: Any = UNSET if principal.tenant is None else principal.tenant
    records: list[ConfigRecord] | None
    try:  # what is installed is known without Redis, as the CLI's list shows it
        records, _ = await services.configs.store.list(tenant=tenant)
    except REDIS_DOWN_ERRORS:
        records = None
    manager = services.manager
    return respond(
        IntegrationsOut,
        {
            "integrations": integration_rows(manager, records),
            "load_errors": [str(e) for e in manager.load_errors],
        },
    )


async def _list(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    query = read_query(request, ConfigList)
    tenant: Any = UNSET
    if "tenant" in query.model_fields_set:
        require_tenant(principal, query.tenant)
        tenant = query.tenant
    elif principal.tenant is not None:
        tenant = principal.tenant
    admin = request.app[SERVICES].configs
    records, _ = await admin.store.list(
        integration_id=query.integration_id, tenant=tenant, enabled=query.enabled
    )
    page, next_cursor = config_page(records, cursor=query.cursor, limit=query.limit)
    return respond(
        ConfigPage,
        {
            "items": [record_json(r, admin) for r in page],
            "next_cursor": next_cursor,
        },
    )


async def _create(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    body = await read_body(request, ConfigCreate)
    tenant = body.tenant
    if "tenant" in body.model_fields_set:
        require_tenant(principal, tenant)
    elif principal.tenant is not None:
        tenant = principal.tenant
    admin = request.app[SERVICES].configs
    record = await admin.create(
        body.integration_id,
        name=body.name,
        settings=body.settings,
        tenant=tenant,
        enabled=body.enabled,
        conditions=body.conditions,
        rate_limit=body.rate_limit,
    )
    return respond(ConfigOut, record_json(record, admin), status=201)


async def _show(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    admin = request.app[SERVICES].configs
    return respond(ConfigOut, record_json(await _visible(request, principal), admin))


async def _edit(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    body = await read_body(request, ConfigPatch)
    record = await _visible(request, principal)
    given = body.model_fields_set
    if "tenant" in given:
        require_tenant(principal, body.tenant)
    admin = request.app[SERVICES].configs
    updated = await admin.update(
        record.id,
        name=body.name,
        enabled=body.enabled,
        settings=body.settings,
        unset=body.unset,
        tenant=body.tenant if "tenant" in given else UNSET,
        conditions=body.conditions if "conditions" in given else UNSET,
        rate_limit=body.rate_limit if "rate_limit" in given else UNSET,
    )
    return respond(ConfigOut, record_json(updated, admin))


async def _delete(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    record = await _visible(request, principal)
    await request.app[SERVICES].configs.delete(record.id)
    return web.Response(status=204)


async def _reveal(request: web.Request) -> web.Response:
    principal = await authorize(request, Scope.ADMIN)
    record = await _visible(request, principal)
    secrets = await request.app[SERVICES].configs.reveal_signing_secrets(record.id)
    if not secrets:
        raise ApiError(
            409, "Conflict", f'Configuration "{shown_id(record.id)}" does not sign its deliveries.'
        )
    logger.warning(
        "Signing secrets of configuration %s revealed to %s", record.id, principal_name(principal)
    )
    return respond(SigningSecrets, {"config_id": record.id, "signing_secrets": list(secrets)})


async def _visible(request: web.Request, principal: Principal) -> ConfigRecord:
    """The path's configuration, if it is the principal's to see (404 either way)."""
    config_id = request.match_info["config_id"]
    record = await request.app[SERVICES].configs.get(config_id)
    if not principal.sees(record.tenant):
        raise ConfigNotFoundError(config_id)
    return record
