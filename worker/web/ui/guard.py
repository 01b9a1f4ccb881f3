"""What every admin UI answer passes through: the security headers, the sign-in, and the
form token (CSRF) of every POST.

* Headers, on every page and file under ``/ui/`` and ``/static/``: a strict Content
  Security Policy (no script at all, styles and images from this origin only, forms
  posting here only, no framing), ``X-Content-Type-Options: nosniff``, no referrer,
  and ``Cache-Control: no-store`` on pages (they name tenants and configurations).
* Sign-in: a page asks for the session cookie's session (``sessions.py``); without one
  it redirects to ``/ui/sign-in`` (``next`` kept, a path of the UI only).
* Quota: a tenant's pages count in its API quota (``api/quotas.py``), as its token's
  requests do: 429 when over it.
* CSRF: a POST must carry its session's form token (``csrf``) and, when the browser
  says where it comes from (``Origin``), come from this origin. The cookie is also
  ``SameSite=Strict``: either defence alone would do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from ...errors import ApiError
from ..api.quotas import Quota
from ..api.services import SERVICES
from .sessions import COOKIE, Session, SessionStore

__all__ = ["SESSION", "SESSIONS", "guard", "safe_next"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSIONS: Final = web.AppKey("ui_sessions", SessionStore)
#: The signed-in session of a request to a page (set by ``guard``).
SESSION: Final = web.RequestKey("switchboard_ui_session", Session)

_CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Pages without a session: signing in, and signing out (a session that has ended must
#: still be able to drop its cookie; the origin check still applies).
_OPEN: Final = frozenset({"/ui/sign-in", "/ui/sign-out"})


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if not (path.startswith(("/ui/", "/static/")) or path == "/ui"):
        return await handler(request)
    page = not path.startswith(("/ui/assets/", "/static/"))
    try:
        if request.method == "POST":
            _check_origin(request)  # the sign-in's too: no signing a victim in elsewhere
        if page and path not in _OPEN:
            response = await _signed_in(request, handler)
        else:
            response = await handler(request)
    except web.HTTPException as answer:  # a redirect, a 403, a 404: headers as any page's
        _secure(answer, page=page)
        raise
    _secure(response, page=page)
    return response


async def _signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    session = await request.app[SESSIONS].get(request.cookies.get(COOKIE))
    if session is None:
        if request.method != "GET":
            raise web.HTTPForbidden(text="Signed out: sign in again, then repeat this.")
        raise web.HTTPSeeOther("/ui/sign-in?" + urlencode({"next": request.path_qs}))
    if request.method == "POST":
        await _check_form_token(request, session)
    if session.principal.tenant is not None:  # a tenant's pages count as its API requests
        await _within_quota(request, session.principal.tenant)
    request[SESSION] = session
    return await handler(request)


async def _within_quota(request: web.Request, tenant: str) -> None:
    try:
        await request.app[SERVICES].quotas.take(Quota.API, {tenant: 1})
    except ApiError as refused:
        raise web.HTTPTooManyRequests(text=refused.detail, headers=refused.headers) from None


def _check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="This form was sent from another site.")


async def _check_form_token(request: web.Request, session: Session) -> None:
    form = await request.post()
    given = form.get("csrf")
    if not session.form_token_matches(given if isinstance(given, str) else None):
        raise web.HTTPForbidden(text="This form is out of date: reload the page and try again.")


def _secure(response: web.StreamResponse, *, page: bool) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = _CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer a browser sends a form's Origin as
    # "null", which the origin check must refuse (a page elsewhere can send that too).
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if page:
        headers["Cache-Control"] = "no-store"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of the UI, never another site (``//evil``)."""
    if not target or not target.startswith("/ui/") or target.startswith("//"):
        return "/ui/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/ui/"
    return target
