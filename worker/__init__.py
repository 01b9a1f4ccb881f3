"""The worker layer: producers, the queue, the dispatcher, the delivery path, the web app
and the CLI. It builds on ``switchboard.integrations``, which never imports from here.

What apps, operators' scripts and embedders use is below; each name is imported
when first asked for, so an app that only emits loads the producer and not the
worker (arq, aiohttp)::

    from switchboard.worker import EventClient, SyncEventClient
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

#: Where each name lives: imported on first use (PEP 562).
_HOMES = {
    "Attempt": ".delivery",
    "DeliveryAdmin": ".delivery",
    "DeliveryPage": ".delivery",
    "DeliveryRecord": ".delivery",
    "DeliveryStatus": ".delivery",
    "ReplayReport": ".delivery",
    "EventClient": ".producer",
    "InvalidEventError": ".errors",
    "SyncEventClient": ".producer",
    "WorkerRunner": ".runner",
    "StatusReport": ".status",
    "read_status": ".status",
    "WorkerTuning": ".tuning",
    "create_app": ".web",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
