"""Configurations as the UI's pages find and name them: the one a path names, if the
signed-in operator may see it (otherwise 404, as for an unknown id, so that ids are not
disclosed across tenants: the API's rule), and its integration's name and icon.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from switchboard.config import ConfigNotFoundError, ConfigRecord, RecordFormatError
from switchboard.integrations import Integration, IntegrationManager

from ..api.services import SERVICES
from .guard import SESSION

__all__ = ["IntegrationBadge", "badge", "deletable_id", "signs_deliveries", "visible_record"]

_GONE = "No such configuration: it may have been deleted."


async def visible_record(request: web.Request) -> ConfigRecord:
    """The configuration of the path's ``config_id``; 404 unless it is there and the
    session's principal sees its tenant; 409, saying why, when it cannot be read (a
    tenant's session cannot tell whose it is: 404)."""
    config_id = request.match_info["config_id"]
    principal = request[SESSION].principal
    try:
        record = await request.app[SERVICES].configs.get(config_id)
    except ConfigNotFoundError:
        raise web.HTTPNotFound(text=_GONE) from None
    except RecordFormatError as exc:
        if principal.tenant is not None:
            raise web.HTTPNotFound(text=_GONE) from None
        raise web.HTTPConflict(text=f"{exc} It can only be deleted.") from None
    if not principal.sees(record.tenant):
        raise web.HTTPNotFound(text=_GONE)
    return record


async def deletable_id(request: web.Request) -> str:
    """The path's ``config_id``, to delete: one ``visible_record`` gives, or, for the
    admin, one that cannot be read (the store deletes what it cannot read)."""
    try:
        return (await visible_record(request)).id
    except web.HTTPConflict:
        return request.match_info["config_id"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrationBadge:
    """An integration as a row or a heading names it: its name and small icon."""

    id: str
    name: str
    #: The 1x icon's URL; ``None``: it has none (a placeholder is shown).
    icon: str | None
    installed: bool


def badge(manager: IntegrationManager, integration_id: str) -> IntegrationBadge:
    if not manager.is_registered(integration_id):
        return IntegrationBadge(id=integration_id, name=integration_id, icon=None, installed=False)
    integration = manager.get_integration(integration_id)
    return IntegrationBadge(
        id=integration_id,
        name=integration.name or integration_id,
        icon=(integration.icon_static_urls or {}).get("1x"),
        installed=True,
    )


def signs_deliveries(integration: Integration) -> bool:
    """Whether its deliveries carry a signature (so there is a signing secret to reveal)."""
    return type(integration).signing_secrets is not Integration.signing_secrets
