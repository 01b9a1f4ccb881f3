"""The admin UI (``/ui/``): server-rendered pages over the operator services the API and
the CLI use, with no script at all (every form works as plain HTML).

* ``guard.py``: security headers, sign-in, the form token (CSRF) of every POST;
  ``sessions.py``: sign-ins in Redis; ``sign_in.py``: ``/ui/sign-in``, ``/ui/sign-out``;
* ``render.py``: pages from ``templates/`` (Jinja2, autoescaped); ``assets.py``: the
  stylesheet and integrations' icons;
* ``integrations_page.py``: ``/ui/``; ``configs_page.py``: ``/ui/configs`` (list, toggle,
  delete, test, reveal; ``activity.py``: a row's last outcome and chart);
  ``config_form.py``: the form generated from an integration's ``ConfigForm``
  (``form_fields.py``: a field's widget; ``config_draft.py``: what the form holds and
  asks to change; ``form_view.py``: the fields and errors as rendered;
  ``conditions_form.py``: its conditions editor); ``records.py``: the configuration a
  path names, if the session may see it;
* ``deliveries_page.py``: ``/ui/deliveries`` and one delivery (its replay);
  ``dead_letters_page.py``: ``/ui/dead-letters`` with replay; ``rejected_page.py``:
  ``/ui/rejected``; ``listing.py``: what those share; ``fleet_page.py``: ``/ui/fleet``;
* ``formats.py``: how pages write times (UTC) and durations.

``docs/ui.md`` shows each page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ..state import REDIS, SETTINGS
from . import (
    assets,
    config_form,
    configs_page,
    dead_letters_page,
    deliveries_page,
    fleet_page,
    integrations_page,
    rejected_page,
    sign_in,
)
from .guard import SESSIONS, guard
from .render import setup_templates
from .sessions import SessionStore

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    """Add the UI to ``app`` (after the API: it uses the API's services)."""
    setup_templates(app)
    app.middlewares.append(guard)
    app.cleanup_ctx.append(_sessions)
    for part in (
        assets,
        sign_in,
        integrations_page,
        config_form,
        configs_page,
        deliveries_page,
        dead_letters_page,
        rejected_page,
        fleet_page,
    ):
        part.routes(app)


async def _sessions(app: web.Application) -> AsyncIterator[None]:
    app[SESSIONS] = SessionStore(app[REDIS], app[SETTINGS])
    yield
