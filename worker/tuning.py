"""The queue side's tuning: how a worker takes, times and re-runs jobs, and rides out
Redis, as one value object built from ``Settings`` (the delivery path's is
``delivery/tuning.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.config import EVENT_DEDUP_TTL, LEASE, Settings

__all__ = ["WorkerTuning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerTuning:
    #: Queue jobs one worker runs at once (each holds one or more events).
    concurrency: int = 16
    #: Seconds between an idle worker's looks at the queue.
    poll_interval: float = 0.01
    #: Seconds one integration's handler may take for one event.
    handler_timeout: float = 30.0
    #: A job's time limit beyond the handler timeout: decoding, recording, arq's own writes.
    job_timeout_margin: float = 10.0
    #: How long arq's in-progress mark of a running job lasts unless renewed (the worker
    #: renews it every quarter of it): a job whose worker died runs again once it expires.
    lease: float = float(LEASE)
    #: Seconds a stopping worker gives what is in flight.
    shutdown_grace: float = 25.0
    #: Seconds before a job interrupted by Redis (or out of time) runs again.
    rerun_delay: float = 2.0
    #: Seconds before reconnecting to a Redis that went away: the first wait, doubled up to
    #: the last.
    reconnect_first: float = 0.5
    reconnect_max: float = 5.0
    #: Seconds an event id is remembered: emitted again within it, it is dispatched once.
    event_dedup_ttl: int = EVENT_DEDUP_TTL

    @property
    def job_timeout(self) -> float:
        """arq's time limit for one job."""
        return self.handler_timeout + self.job_timeout_margin

    @property
    def job_budget(self) -> float:
        """How long a dispatch job may take before it hands itself back to run again: within
        arq's limit, which would fail the job (and drop its events)."""
        return self.handler_timeout + self.job_timeout_margin / 2

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerTuning:
        return cls(
            concurrency=settings.worker_concurrency,
            poll_interval=settings.queue_poll_interval,
            handler_timeout=settings.handler_timeout,
            job_timeout_margin=settings.job_timeout_margin,
            lease=settings.lease,
            shutdown_grace=settings.shutdown_grace,
            event_dedup_ttl=settings.event_dedup_ttl,
        )
