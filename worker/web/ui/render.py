"""Pages from templates (``templates/*.html``, Jinja2 through ``aiohttp_jinja2``), escaped.

``page`` renders one with what every page shows: who is signed in, the form token
its forms carry, the navigation (a tenant's without the admin-only pages), and a notice
(``Notice``: a fixed vocabulary chosen by a redirect's ``?notice=``, so no page ever
echoes a message from its URL). ``problem_page`` is a page that says why there is
nothing to show (a 403, a 404). Autoescape is on for every template: text from events
and configurations renders as text. Times and durations go through the ``utc`` and
``duration`` filters (``formats.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .formats import duration, prose, utc
from .guard import SESSION

__all__ = [
    "ADMIN_ONLY",
    "NAVIGATION",
    "Notice",
    "page",
    "problem_page",
    "redirect",
    "setup_templates",
]

#: The navigation bar: (path, label), in order.
NAVIGATION: Final = (
    ("/ui/", "Integrations"),
    ("/ui/configs", "Configurations"),
    ("/ui/deliveries", "Deliveries"),
    ("/ui/dead-letters", "Dead letters"),
    ("/ui/rejected", "Rejected events"),
    ("/ui/fleet", "Fleet"),
)
#: Pages for the admin token only (a tenant's session is answered 403 there): not in a
#: tenant's navigation.
ADMIN_ONLY: Final = frozenset({"/ui/rejected"})


class Notice(StrEnum):
    """What a page says after a redirect from a form (``?notice=<name>``)."""

    created = "Configuration created."
    saved = "Configuration saved."
    deleted = "Configuration deleted."
    enabled = "Configuration enabled."
    disabled = "Configuration disabled."
    test_sent = "Test event queued: its delivery shows below once a worker has taken it."
    replayed = "Dead letters replayed: they are being sent again."
    nothing_replayed = "Nothing to replay: no dead letter matched."
    signed_out = "Signed out."


def setup_templates(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("switchboard.worker.web.ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["utc"] = utc
    environment.filters["duration"] = duration
    environment.filters["prose"] = prose


def page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    session = request.get(SESSION)
    notice = request.query.get("notice", "")
    navigation: tuple[tuple[str, str], ...] = ()
    if session is not None:
        admin = session.principal.tenant is None
        navigation = tuple(n for n in NAVIGATION if admin or n[0] not in ADMIN_ONLY)
    shown = {
        "session": session,
        "principal": session.principal if session is not None else None,
        "csrf": session.csrf if session is not None else "",
        "navigation": navigation,
        "current": request.path,
        "notice": Notice[notice].value if notice in Notice.__members__ else None,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, shown, status=status)


def problem_page(request: web.Request, *, status: int, title: str, detail: str) -> web.Response:
    """A page saying why there is nothing to show here (``title``: a few words)."""
    return page(request, "problem.html", {"title": title, "detail": detail}, status=status)


def redirect(location: str, notice: Notice | None = None) -> web.HTTPSeeOther:
    """After a form: see ``location`` (with ``notice`` said there)."""
    if notice is not None:
        location += ("&" if "?" in location else "?") + f"notice={notice.name}"
    return web.HTTPSeeOther(location)
