"""The dispatcher: one event in, every matching handler run, concurrently, isolated.

The subscriptions that match an event's type come from the manager's index
(one dictionary lookup once an event type has been seen). Each handler runs
with ``Settings.handler_timeout``; an exception or a timeout in one is logged
with the integration id and the event id and touches no other handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from switchboard.config import REDIS_DOWN_ERRORS
from switchboard.integrations import Event, IntegrationManager, Subscription

from .logs import fields

__all__ = ["DispatchReport", "Dispatcher"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchReport:
    event_id: str
    handlers: int
    failed: int


class Dispatcher:
    def __init__(self, manager: IntegrationManager, *, handler_timeout: float) -> None:
        self._manager = manager
        self._timeout = handler_timeout

    async def dispatch(self, event: Event) -> DispatchReport:
        """Run every handler subscribed to ``event``'s type; never raises for a handler's fault."""
        started = time.perf_counter()
        subscriptions = self._manager.subscriptions.match(event.type)
        if len(subscriptions) == 1:
            failed = 0 if await self._run(subscriptions[0], event) else 1
        else:
            outcomes = await asyncio.gather(*(self._run(s, event) for s in subscriptions))
            failed = outcomes.count(False)
        # An event whose handlers all succeeded is told by its deliveries' lines: its own
        # line is DEBUG (at fan-out 1, two INFO lines an event were 13% of the worker's
        # CPU). One that no handler took, or that a handler failed, is worth a line.
        level = logging.INFO if failed or not subscriptions else logging.DEBUG
        if logger.isEnabledFor(level):
            self._log_dispatched(level, event, len(subscriptions), failed, started)
        return DispatchReport(event.id, len(subscriptions), failed)

    @staticmethod
    def _log_dispatched(
        level: int, event: Event, handlers: int, failed: int, started: float
    ) -> None:
        logger.log(
            level,
            "event dispatched",
            extra=fields(
                event_id=event.id,
                type=event.type,
                tenant=event.tenant,
                handlers=handlers,
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
