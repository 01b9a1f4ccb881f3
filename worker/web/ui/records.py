"""Configurations as the UI's pages find and name them: the one a path names, if the
signed-in operator may see it (otherwise 404, as for an unknown id, so that ids are not
disclosed across tenants: the API's rule), and its integration's name and icon.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from switchboard.config import ConfigNotFoundError, ConfigRecord
from switchboard.integrations import Integration, IntegrationManager

from ..api.services import SERVICES
from .guard import SESSION

__all__ = ["IntegrationBadge", "badge", "signs_deliveries", "visible_record"]


async def visible_record(request: web.Request) -> ConfigRecord:
    """The configuration of the path's ``config_id``; 404 unless it is there and the
    session's principal sees its tenant."""
    config_id = request.match_info["config_id"]
    try:
        record = await request.app[SERVICES].configs.get(config_id)
    except ConfigNotFoundError:
        record = None
    if record is None or not request[SESSION].principal.sees(record.tenant):
        raise web.HTTPNotFound(text="No such configuration: it may have been deleted.")
    return record


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
