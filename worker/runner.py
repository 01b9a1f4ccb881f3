"""One worker process's life: connect, run arq, drain on stop, ride out Redis outages.

::

    WorkerRunner.run(stop)
      └─ until stopped: connect (Redis, config cache, HTTP session, arq pool)
           ├─ arq polls the queue and runs jobs (worker.jobs) with JSON, never pickle
           ├─ the retry lane runs due retries beside them (delivery.RetryLane)
           ├─ a heartbeat every Settings.heartbeat_interval (worker.heartbeat), removed on stop
           ├─ stop set (SIGTERM, SIGINT): take no more jobs, let what is in flight
           │   finish within WorkerTuning.shutdown_grace, hand the rest back, return
           └─ Redis lost: log it, tear down, retry with backoff (0.5 s doubling to 5 s)

Jobs handed back (grace over, or Redis lost) stay in the queue: arq runs
them again once their in-progress mark, renewed while they run
(delivery.Leases), expires, so an accepted event is never dropped, at the
cost of running some deliveries twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from arq.connections import ArqRedis
from arq.worker import func

from switchboard.config import (
    REDIS_DOWN_ERRORS,
    ConfigCache,
    ConfigStore,
    Redis,
    RedisKeys,
    RedisUnavailableError,
    Settings,
    describe_redis_error,
    lost_redis,
    open_redis,
    redact_url,
)
from switchboard.config.checkout import client_for
from switchboard.config.pipelines import SafePipeline, safe_pipeline
from switchboard.integrations import IntegrationManager

from .arq_worker import QueueWorker
from .delivery import (
    AddressPolicy,
    Attempter,
    DeliveryEngine,
    DeliveryLog,
    DeliveryTuning,
    RetryLane,
)
from .dispatcher import Dispatcher
from .heartbeat import HeartbeatWriter, WorkerLoad
from .jobs import (
    SERVICES,
    EventDeduplicator,
    JobServices,
    dispatch_job,
    drain_jobs,
    reject_job,
    running_jobs,
)
from .logs import fields
from .queue import DISPATCH_JOB, REJECT_JOB, JobDecoder, serialize_job
from .rejected import RejectedEventLog
from .tuning import WorkerTuning

__all__ = ["ArqPool", "WorkerRunner"]

logger = logging.getLogger(__name__)


class ArqPool(ArqRedis):
    """arq's client, with pipelines that survive a stop mid-reset (``config/pipelines.py``):
    a worker stopped while arq's ``start_jobs`` undoes a ``WATCH`` keeps no connection."""

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> SafePipeline:
        return safe_pipeline(self, transaction, shard_hint)


class WorkerRunner:
    """Runs the arq worker for ``settings`` with ``manager``'s integrations until stopped.

    ``tuning`` and ``delivery``: built from ``settings`` unless given. ``clock`` (epoch
    seconds) and ``rng`` (jitter) are the delivery path's: ``switchboard.testing`` moves
    the one and fixes the other, so a retry's due time comes when a test says.
    """

    def __init__(
        self,
        settings: Settings,
        manager: IntegrationManager,
        *,
        tuning: WorkerTuning | None = None,
        delivery: DeliveryTuning | None = None,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._manager = manager
        self._tuning = tuning or WorkerTuning.from_settings(settings)
        self._delivery = delivery or DeliveryTuning.from_settings(settings)
        self._clock = clock
        self._rng = rng
        self._url = redact_url(settings.effective_redis_url)
        # One id for the process's life, whatever the reconnections (load set by _work).
        self._load: Callable[[], WorkerLoad] = WorkerLoad
        self.heartbeats = HeartbeatWriter(
            RedisKeys(settings.key_prefix),
            interval=settings.heartbeat_interval,
            load=lambda: self._load(),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; Redis being away is waited out, never fatal."""
        delay = self._tuning.reconnect_first
        while not stop.is_set():
            try:
                await self._run_connected(stop)
                return
            except RedisUnavailableError as exc:
                reason = exc.reason
            except Exception as exc:
                if (down := lost_redis(exc)) is None:
                    raise
                reason = describe_redis_error(down)
            logger.error(
                "Redis is unreachable at %s (%s); retrying in %g s. Queued events wait in "
                "Redis until then.",
                self._url,
                reason,
                delay,
                extra=fields(redis=self._url, reason=reason, retry_in_s=delay),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, self._tuning.reconnect_max)

    async def _run_connected(self, stop: asyncio.Event) -> None:
        settings, tuning, delivery = self._settings, self._tuning, self._delivery
        keys = RedisKeys(settings.key_prefix)
        attempter = Attempter(delivery, AddressPolicy(settings.allow_cidrs))
        async with open_redis(settings) as redis:
            store = ConfigStore.for_settings(redis, settings)
            cache = ConfigCache(store, redis, poll_interval=settings.config_poll_interval)
            async with cache, attempter, self._arq_pool() as pool:
                log = DeliveryLog(redis, keys, retention=delivery.retention, clock=self._clock)
                engine = DeliveryEngine(
                    settings,
                    attempter=attempter,
                    log=log,
                    manager=self._manager,
                    store=store,
                    redis=redis,
                    tuning=delivery,
                    clock=self._clock,
                    rng=self._rng,
                )
                lane = RetryLane(engine, log, delivery.retries)
                with self._manager.running(cache, deliverer=engine):
                    try:
                        services = JobServices(
                            dispatcher=Dispatcher(
                                self._manager, handler_timeout=tuning.handler_timeout
                            ),
                            rejected=RejectedEventLog(redis, keys),
                            dedup=EventDeduplicator(redis, keys, ttl=tuning.event_dedup_ttl),
                            max_event_bytes=settings.max_event_bytes,
                            job_budget=tuning.job_budget,
                            rerun_delay=tuning.rerun_delay,
                        )
                        await self._work(pool, services, lane, engine, log, redis, stop)
                    finally:
                        await engine.drain(0)  # Redis lost: what is left cannot be recorded

    @contextlib.asynccontextmanager
    async def _arq_pool(self) -> AsyncIterator[ArqRedis]:
        settings = self._settings
        pool = client_for(ArqPool, settings)
        pool.job_serializer = serialize_job
        pool.job_deserializer = JobDecoder(settings)
        pool.default_queue_name = settings.effective_queue_name
        try:
            yield pool
        finally:
            await pool.aclose()

    async def _work(
        self,
        pool: ArqRedis,
        services: JobServices,
        lane: RetryLane,
        engine: DeliveryEngine,
        log: DeliveryLog,
        redis: Redis,
        stop: asyncio.Event,
    ) -> None:
        settings, tuning = self._settings, self._tuning
        worker = QueueWorker(
            functions=[func(dispatch_job, name=DISPATCH_JOB), func(reject_job, name=REJECT_JOB)],
            redis_pool=pool,
            queue_name=settings.effective_queue_name,
            max_jobs=tuning.concurrency,
            job_timeout=tuning.job_timeout,
            keep_result=0,
            poll_delay=tuning.poll_interval,
            handle_signals=False,
            ctx={SERVICES: services},
            job_serializer=serialize_job,
            job_deserializer=pool.job_deserializer,
        )
        # arq fixes its in-progress mark at the job timeout + 10 s; ours is the lease, renewed
        # while the job runs (``Leases``): a dead worker's jobs run again within one.
        worker.in_progress_timeout_s = tuning.lease
        self._load = lambda: WorkerLoad(
            jobs_in_flight=len(running_jobs(worker)),
            retries_in_flight=lane.in_flight,
            attempts_in_background=engine.in_background,
            events_done=services.tally.events,
            deliveries_done=log.concluded,
            circuits_open=engine.circuits_open,
        )
        logger.info(
            "worker started",
            extra=fields(
                redis=self._url,
                worker_id=self.heartbeats.worker_id,
                queue=settings.effective_queue_name,
                concurrency=tuning.concurrency,
                integrations=",".join(i.integration_id for i in self._manager.get_integrations()),
            ),
        )
        arq_main = asyncio.ensure_future(worker.async_run())
        retries = asyncio.ensure_future(lane.run(stop))
        beats = asyncio.ensure_future(self.heartbeats.run(redis, stop))
        # Renewed until cancelled, after the drain: what is in flight stays this worker's.
        leases = asyncio.ensure_future(
            engine.leases.run(asyncio.Event(), jobs=lambda: running_jobs(worker))
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {arq_main, retries, beats, leases, stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            for part in (arq_main, retries, beats, leases):
                if part.done():
                    part.result()  # the error that ended it (Redis lost), raised for run()
            if not stop.is_set():
                return
            # One grace period for all three: jobs, retries and attempts in the background.
            worker.allow_pick_jobs = False
            grace = tuning.shutdown_grace
            logger.info(
                "stopping: finishing the jobs in flight",
                extra=fields(
                    in_flight=len(worker.tasks),
                    retries_in_flight=lane.in_flight,
                    attempts_in_background=engine.in_background,
                    grace_s=grace,
                ),
            )
            _, retried, background = await asyncio.gather(
                drain_jobs(worker, grace), lane.drain(grace), engine.drain(grace)
            )
            waited, cut_short = retried[0] + background[0], retried[1] + background[1]
        finally:
            stopping.cancel()
            await _cancel_and_wait([*worker.tasks.values(), arq_main, retries, beats, leases])
            await lane.drain(0)
        with contextlib.suppress(*REDIS_DOWN_ERRORS):
            await pool.delete(worker.health_check_key)
        await self.heartbeats.remove(redis)
        # Last: after every attempt this worker started has ended (or was cut short).
        logger.info(
            "worker stopped",
            extra=fields(
                jobs_complete=worker.jobs_complete,
                attempts_waited_for=waited,
                attempts_cut_short=cut_short,
            ),
        )


async def _cancel_and_wait(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
