"""The worker layer: producers, the queue, the dispatcher, the delivery path, the web app
and the CLI. It builds on ``switchboard.integrations``, which never imports from here.

What apps, operators' scripts and embedders use is below; each name is imported
when first asked for, so an app that only emits loads the producer and not the
worker (arq, aiohttp)::

    from switchboard.worker import EventClient, SyncEventClient
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.config.lazy import lazy_exports

if TYPE_CHECKING:
    from .delivery import (
        Attempt,
        DeliveryAdmin,
        DeliveryPage,
        DeliveryRecord,
        DeliveryStatus,
        ReplayReport,
    )
    from .errors import InvalidEventError
    from .producer import EventClient, SyncEventClient
    from .runner import WorkerRunner
    from .status import StatusReport, read_status
    from .tuning import WorkerTuning
    from .web import create_app

__all__ = [
    "Attempt",
    "DeliveryAdmin",
    "DeliveryPage",
    "DeliveryRecord",
    "DeliveryStatus",
    "EventClient",
    "InvalidEventError",
    "ReplayReport",
    "StatusReport",
    "SyncEventClient",
    "WorkerRunner",
    "WorkerTuning",
    "create_app",
    "read_status",
]

#: Where each name lives, imported on first use (``switchboard.config.lazy``).
_HOMES = {
    ".delivery": (
        "Attempt",
        "DeliveryAdmin",
        "DeliveryPage",
        "DeliveryRecord",
        "DeliveryStatus",
        "ReplayReport",
    ),
    ".errors": ("InvalidEventError",),
    ".producer": ("EventClient", "SyncEventClient"),
    ".runner": ("WorkerRunner",),
    ".status": ("StatusReport", "read_status"),
    ".tuning": ("WorkerTuning",),
    ".web": ("create_app",),
}

if not TYPE_CHECKING:  # mypy and IDEs read the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
