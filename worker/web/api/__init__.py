"""The web API (``/api/...``): JSON adapters over the operator services, and ingest.

* ``auth.py``: bearer tokens to a ``Principal``; ``problems.py``: every failure as an
  RFC 9457 problem; ``endpoints.py``: the routes as data, with their models;
* ``configs.py`` (``config_models.py``): ``/api/integrations``, ``/api/configs``;
  ``config_test.py``: ``/api/configs/{id}/test``, a test event to one;
* ``deliveries.py`` (``delivery_models.py``): ``/api/deliveries``, ``/api/dead-letters``,
  ``/api/rejected``;
* ``ingest.py``: ``/api/events``, ``/api/events/batch``;
* ``openapi.py``: ``/api/openapi.json``; ``reference.py``: ``/api/docs``, rendering it;
* ``services.py``: the services each app holds.

``docs/api.md`` describes each endpoint.
"""

from __future__ import annotations

from aiohttp import web

from . import config_test, configs, deliveries, ingest, openapi, reference
from .problems import problems
from .services import open_services

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    """Add the API to ``app`` (after its Redis client: the services use it)."""
    app.middlewares.append(problems)
    app.cleanup_ctx.append(open_services)
    configs.routes(app)
    config_test.routes(app)
    deliveries.routes(app)
    ingest.routes(app)
    openapi.routes(app)
    reference.routes(app)
