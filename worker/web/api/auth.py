"""Who a request is: its ``Authorization: Bearer <token>`` resolved to a ``Principal``.

``SWITCHBOARD_ADMIN_TOKEN`` is an admin of every tenant, ``SWITCHBOARD_INGEST_TOKEN`` may
emit for any tenant (both compared in constant time); any other token is asked of the
app's ``TOKEN_RESOLVER`` (the store of tenant-scoped tokens), when it has one.

* no token, or one nobody knows: 401 with ``WWW-Authenticate: Bearer``;
* a token whose scope does not cover the route: 403;
* a tenant's token over its tenant's API quota (``quotas.py``): 429;
* the admin API with no admin token set and no resolver: 503, "the admin API is off"
  (so a deployment that never set a token serves no configuration to anyone); ingest
  likewise with neither token set.
"""

from __future__ import annotations

import hmac
import logging
from typing import Final

from aiohttp import web
from pydantic import SecretStr

from switchboard.config import Settings
from switchboard.config.tokens import Principal, Scope

from ...errors import ApiError
from ..state import SETTINGS, TOKEN_RESOLVER
from .quotas import Quota
from .services import SERVICES

__all__ = ["authorize", "principal_name", "principal_of", "require_tenant"]

logger = logging.getLogger(__name__)

_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="switchboard"'}


async def authorize(request: web.Request, scope: Scope) -> Principal:
    """The request's principal, if it may do what ``scope`` allows; else the problem."""
    settings = request.app[SETTINGS]
    resolver = request.app.get(TOKEN_RESOLVER)
    if resolver is None:
        _check_on(settings, scope)
    principal = await principal_of(request.app, _bearer(request))
    if principal is None:
        raise ApiError(401, "Unauthorized", "The bearer token is not valid.", headers=_CHALLENGE)
    if not principal.may(scope):
        raise ApiError(
            403, "Forbidden", f"This token's scope ({principal.scope}) does not allow {scope}."
        )
    if scope is Scope.ADMIN and principal.tenant is not None:
        await request.app[SERVICES].quotas.take(Quota.API, {principal.tenant: 1})
    return principal


async def principal_of(app: web.Application, token: str) -> Principal | None:
    """Who ``token`` is: an environment token, else one the app's resolver knows."""
    principal = _from_environment(app[SETTINGS], token)
    resolver = app.get(TOKEN_RESOLVER)
    if principal is None and resolver is not None:
        principal = await resolver(token)
    return principal


def require_tenant(principal: Principal, tenant: str | None) -> None:
    """403 unless ``principal`` may act for ``tenant`` (what a request asks to write)."""
    if not principal.sees(tenant):
        raise ApiError(
            403,
            "Forbidden",
            f'This token is held to tenant "{principal.tenant}".',
            errors={"tenant": f'must be "{principal.tenant}" (or left out) with this token'},
        )


def principal_name(principal: Principal) -> str:
    """How logs name a principal: its stored token's id, or the environment's token."""
    if principal.token_id is not None:
        return f"token {principal.token_id} (tenant {principal.tenant})"
    return f"the {principal.scope} token (SWITCHBOARD_{principal.scope.upper()}_TOKEN)"


def _check_on(settings: Settings, scope: Scope) -> None:
    if settings.admin_token is not None:
        return
    if scope is Scope.ADMIN:
        raise ApiError(
            503,
            "The admin API is off",
            "The admin API is off: set SWITCHBOARD_ADMIN_TOKEN to turn it on.",
        )
    if settings.ingest_token is None:
        raise ApiError(
            503,
            "Ingest is off",
            "Ingest over HTTP is off: set "
            "SWITCHBOARD_INGEST_TOKEN (or SWITCHBOARD_ADMIN_TOKEN) to turn it on.",
        )


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    kind, _, token = header.strip().partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Unauthorized",
            "Send the token as a header: Authorization: Bearer <token>.",
            headers=_CHALLENGE,
        )
    return token.strip()


def _from_environment(settings: Settings, token: str) -> Principal | None:
    if _same(settings.admin_token, token):
        return Principal(scope=Scope.ADMIN)
    if _same(settings.ingest_token, token):
        return Principal(scope=Scope.INGEST)
    return None


def _same(expected: SecretStr | None, token: str) -> bool:
    if expected is None or not expected.get_secret_value():
        return False
    return hmac.compare_digest(expected.get_secret_value().encode(), token.encode())
