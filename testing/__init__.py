"""Testing integrations: a pytest plugin (``plugin.py``, loaded when Switchboard is
installed) and the parts its fixtures give, usable on their own too.

* ``Harness``: an author's integrations in a real worker in the test's event loop.
* ``RecordingSink``: an HTTP endpoint on 127.0.0.1 that records and answers as scripted.
* ``HandlerRecorder``: handlers run on an event, requests recorded, no network.
* ``FakeClock``, ``wait_for``: time a test moves, and waiting on a condition.

Each name is imported when first asked for (``switchboard.config.lazy``): pytest
loads the plugin in every suite where Switchboard is installed, and a suite that
uses none of it must not pay for the worker. See ``docs/testing-integrations.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.config.lazy import lazy_exports

if TYPE_CHECKING:
    from .clock import FakeClock
    from .harness import Delivery, Harness
    from .recorder import HandlerRecorder, InMemoryConfigs, RecordingDeliverer, SentRequest
    from .sink import Answer, Received, RecordingSink, Validator
    from .waiting import wait_for, wait_for_async

__all__ = [
    "Answer",
    "Delivery",
    "FakeClock",
    "HandlerRecorder",
    "Harness",
    "InMemoryConfigs",
    "Received",
    "RecordingDeliverer",
    "RecordingSink",
    "SentRequest",
    "Validator",
    "wait_for",
    "wait_for_async",
]

_HOMES = {
    ".clock": ("FakeClock",),
    ".harness": ("Delivery", "Harness"),
    ".recorder": ("HandlerRecorder", "InMemoryConfigs", "RecordingDeliverer", "SentRequest"),
    ".sink": ("Answer", "Received", "RecordingSink", "Validator"),
    ".waiting": ("wait_for", "wait_for_async"),
}

if not TYPE_CHECKING:  # mypy sees the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
