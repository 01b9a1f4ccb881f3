"""The web app (``switchboard web``): one aiohttp application, each part of it a module.

* ``app.py``: ``create_app``, which puts the parts together;
* ``state.py``: what the parts share (the settings, one Redis client);
* ``health.py``: ``GET /`` and ``GET /healthz`` (the process is alive);
* ``readiness.py``: ``GET /readyz`` (Redis answers, a worker's heartbeat is recent);
* ``config_paging.py``: keyset pages of configurations, for the API and the admin UI.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
