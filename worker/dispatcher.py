"""The dispatcher: one event in, every matching handler run, concurrently, isolated.

The subscriptions that match an event's type come from the manager's index
(one dictionary lookup once an event type has been seen). Each handler runs
with ``Settings.handler_timeout``; an exception or a timeout in one is logged
with the integration id and the event id and touches no other handler.

While an event is dispatched, its ``DispatchContext`` (a context variable)
tells the delivery engine whether the job runs again (a worker died: deliveries
check their records first) and counts the deliveries the handlers ask for.
Each event's line (``event dispatched``) says how many handlers took it and
how many deliveries they asked for: INFO when none was asked for or a handler
failed, so that an event no configuration matched is visible; DEBUG otherwise,
as its deliveries' lines tell the rest.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from dataclasses import dataclass

from switchboard.config import REDIS_DOWN_ERRORS
from switchboard.integrations import Event, IntegrationManager, Subscription

from .logs import fields

__all__ = ["CURRENT_DISPATCH", "DispatchContext", "Dispatcher"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class DispatchContext:
    """What the engine learns of the event it delivers for. Mutable and shared by every
    handler of the event, each in a task of its own with a copy of the context."""

    #: The job runs a second time or more: a delivery already recorded is not sent again.
    rerun: bool = False
    #: When the event was queued (epoch seconds; its job's enqueue time): what the latency
    #: metric counts from, rather than the app's own ``occurred_at`` (a backfill's is old).
    enqueued_at: float | None = None
    deliveries_asked: int = 0


CURRENT_DISPATCH: contextvars.ContextVar[DispatchContext | None] = contextvars.ContextVar(
    "switchboard_dispatch", default=None
)


class Dispatcher:
    def __init__(self, manager: IntegrationManager, *, handler_timeout: float) -> None:
        self._manager = manager
        self._timeout = handler_timeout

    async def dispatch(
        self, event: Event, *, rerun: bool = False, enqueued_at: float | None = None
    ) -> None:
        """Run every handler subscribed to ``event``'s type; never raises for a handler's fault.

        ``rerun`` and ``enqueued_at``: of the job carrying it (see ``DispatchContext``)."""
        started = time.perf_counter()
        subscriptions = self._manager.subscriptions.match(event.type)
        context = DispatchContext(rerun=rerun, enqueued_at=enqueued_at)
        token = CURRENT_DISPATCH.set(context)
        try:
            if len(subscriptions) == 1:
                failed = 0 if await self._run(subscriptions[0], event) else 1
            else:
                outcomes = await asyncio.gather(*(self._run(s, event) for s in subscriptions))
                failed = outcomes.count(False)
        finally:
            CURRENT_DISPATCH.reset(token)
        deliveries = context.deliveries_asked
        # An event whose handlers all succeeded and sent something is told by its
        # deliveries' lines: its own line is DEBUG (at fan-out 1, two INFO lines an event
        # were 13% of the worker's CPU). One that reached no configuration, or that a
        # handler failed, is worth a line of its own.
        level = logging.INFO if failed or not deliveries else logging.DEBUG
        if logger.isEnabledFor(level):
            self._log_dispatched(level, event, len(subscriptions), failed, deliveries, started)

    @staticmethod
    def _log_dispatched(
        level: int, event: Event, handlers: int, failed: int, deliveries: int, started: float
    ) -> None:
        logger.log(
            level,
            "event dispatched",
            extra=fields(
                event_id=event.id,
                type=event.type,
                tenant=event.tenant,
                handlers=handlers,
                deliveries=deliveries,
                failed=failed,
                ms=round((time.perf_counter() - started) * 1000, 1),
            ),
        )

    async def _run(self, subscription: Subscription, event: Event) -> bool:
        deadline = asyncio.timeout(self._timeout)
        try:
            async with deadline:
                await subscription.handler(event)
        except TimeoutError:
            if not deadline.expired():  # the handler's own TimeoutError: a failure like any
                return self._failed(subscription, event)
            logger.error(
                "handler timed out",
                extra=fields(
                    integration=subscription.integration_id,
                    event_id=event.id,
                    timeout_s=self._timeout,
                ),
            )
            return False
        except REDIS_DOWN_ERRORS:
            # Not the handler's fault, and its deliveries may be unrecorded: the whole job
            # runs again (deliveries already recorded are not re-sent).
            raise
        except Exception:
            return self._failed(subscription, event)
        return True

    @staticmethod
    def _failed(subscription: Subscription, event: Event) -> bool:
        logger.exception(
            "handler failed",
            extra=fields(integration=subscription.integration_id, event_id=event.id),
        )
        return False
