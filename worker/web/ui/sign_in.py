"""``/ui/sign-in`` and ``/ui/sign-out``: a token for a session cookie, and back.

Any admin-scope token signs in: the admin token (every tenant) or a tenant's admin token
(that tenant only, as in the API). The cookie is ``HttpOnly``, ``SameSite=Strict``,
``Path=/``, and ``Secure`` when the page was served over HTTPS (directly, or behind a
proxy saying ``X-Forwarded-Proto: https``). A wrong token is told so, and nothing else;
the token is never put in a page, a URL or a log.
"""

from __future__ import annotations

import logging

from aiohttp import web

from switchboard.config import Scope

from ..api.auth import principal_name, principal_of
from ..state import SETTINGS
from .guard import SESSIONS, safe_next
from .render import Notice, page, redirect
from .sessions import COOKIE

__all__ = ["routes"]

logger = logging.getLogger(__name__)


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/sign-in", _form)
    app.router.add_post("/ui/sign-in", _sign_in)
    app.router.add_post("/ui/sign-out", _sign_out)


async def _form(request: web.Request) -> web.Response:
    return page(request, "sign_in.html", _context(request, error=None))


async def _sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    token = str(form.get("token", "")).strip()
    principal = await principal_of(request.app, token) if token else None
    if principal is None or not principal.may(Scope.ADMIN):
        error = "This is not an admin token." if principal else "This token is not valid."
        return page(request, "sign_in.html", _context(request, error=error), status=401)
    cookie = await request.app[SESSIONS].open(principal, token)
    logger.info("signed in to the admin UI", extra={"principal": principal_name(principal)})
    answer = redirect(safe_next(str(form.get("next", ""))))
    answer.set_cookie(
        COOKIE,
        cookie,
        max_age=int(request.app[SETTINGS].ui_session_ttl),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_over_https(request),
    )
    raise answer


async def _sign_out(request: web.Request) -> web.Response:
    await request.app[SESSIONS].close(request.cookies.get(COOKIE))
    answer = redirect("/ui/sign-in", Notice.signed_out)
    answer.del_cookie(COOKIE, path="/")
    raise answer


def _context(request: web.Request, *, error: str | None) -> dict[str, object]:
    return {"error": error, "next": safe_next(request.query.get("next"))}


def _over_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
