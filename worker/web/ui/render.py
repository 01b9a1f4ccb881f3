"""Pages from templates (``templates/*.html``, Jinja2 through ``aiohttp_jinja2``), escaped.

``page`` renders one with what every page shows: who is signed in, the form token
its forms carry, the navigation, and a notice (``Notice``: a fixed vocabulary chosen by
a redirect's ``?notice=``, so no page ever echoes a message from its URL). Autoescape
is on for every template: text from events and configurations renders as text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .guard import SESSION

__all__ = ["NAVIGATION", "Notice", "page", "redirect", "setup_templates"]

#: The navigation bar: (path, label), in order.
NAVIGATION: Final = (
    ("/ui/", "Integrations"),
    ("/ui/configs", "Configurations"),
    ("/ui/deliveries", "Deliveries"),
    ("/ui/dead-letters", "Dead letters"),
    ("/ui/rejected", "Rejected events"),
    ("/ui/fleet", "Fleet"),
)


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
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("switchboard.worker.web.ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    session = request.get(SESSION)
    notice = request.query.get("notice", "")
    shown = {
        "session": session,
        "principal": session.principal if session is not None else None,
        "csrf": session.csrf if session is not None else "",
        "navigation": NAVIGATION if session is not None else (),
        "current": request.path,
        "notice": Notice[notice].value if notice in Notice.__members__ else None,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, shown, status=status)


def redirect(location: str, notice: Notice | None = None) -> web.HTTPSeeOther:
    """After a form: see ``location`` (with ``notice`` said there)."""
    if notice is not None:
        location += ("&" if "?" in location else "?") + f"notice={notice.name}"
    return web.HTTPSeeOther(location)
