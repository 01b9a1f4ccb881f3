"""Send ``COUNT`` messages through Apprise, in a process of its own: wall and CPU time.

    python -m bench.apprise_send MODE URL COUNT [--as-shipped]

``MODE`` is how the messages go, each the same title and body:

* ``notify``: ``Apprise.notify()`` in a loop, one message after another;
* ``async_notify``: ``await Apprise.async_notify()`` for each message in turn, as
  Apprise's documentation shows it;
* ``async_gather``: every message's ``async_notify()`` at once under
  ``asyncio.gather``. Apprise documents no way to send many messages to one service
  concurrently (its concurrency is across the services of one notification); this is
  what an asyncio user would write, and Apprise's own thread pool bounds it.

Apprise paces every request a plugin makes (``request_rate_per_sec``: 20 ms between two
for Mattermost, 500 ms for Matrix) by sleeping. That is Apprise's own pacing, not the
services' limit, and it would make this a measure of a sleep: unless ``--as-shipped``,
it is set to 0 on the loaded plugins, Apprise's best case. Everything else is as a user
runs it (one ``Apprise()``, its default retries, timeouts and thread pool).

Prints JSON: ``{"messages", "succeeded", "seconds", "cpu_seconds"}``; the clocks run
around the sending only (not the import or ``Apprise.add``), as on Switchboard's side.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import apprise
import orjson

TITLE = "Build 42 passed"
BODY = "All 1,204 tests passed on main in 3 min 12 s. " + "x" * 150


def _send(notifier: Any, mode: str, count: int) -> int:
    """Send ``count`` messages by ``mode``; how many Apprise reported sent."""
    if mode == "notify":
        return sum(bool(notifier.notify(body=BODY, title=TITLE)) for _ in range(count))

    async def awaited() -> int:
        sent = 0
        for _ in range(count):
            sent += bool(await notifier.async_notify(body=BODY, title=TITLE))
        return sent

    async def gathered() -> int:
        sends = (notifier.async_notify(body=BODY, title=TITLE) for _ in range(count))
        return sum(bool(result) for result in await asyncio.gather(*sends))

    modes: dict[str, Callable[[], Any]] = {"async_notify": awaited, "async_gather": gathered}
    return int(asyncio.run(modes[mode]()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.apprise_send")
    parser.add_argument("mode", choices=("notify", "async_notify", "async_gather"))
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("--as-shipped", action="store_true", help="keep Apprise's pacing")
    args = parser.parse_args()
    notifier = apprise.Apprise()
    if not notifier.add(args.url):
        raise SystemExit(f"Apprise did not take {args.url}")
    if not args.as_shipped:
        for plugin in notifier:
            plugin.request_rate_per_sec = 0
    wall, cpu = time.perf_counter(), time.process_time()  # every thread of this process
    succeeded = _send(notifier, args.mode, args.count)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"messages": args.count, "succeeded": succeeded, "seconds": wall, "cpu_seconds": cpu}
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
