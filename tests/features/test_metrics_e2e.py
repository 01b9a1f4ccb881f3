"""The issue's "done when": a scrape of ``/metrics`` after an end-to-end run shows exactly the
counts the run produced, across two worker processes.

Two ``switchboard worker`` processes, 20 events to three webhooks on a local sink (one
answers 200, one 503 once and then 200, one always 500, with one retry allowed) and one
malformed event; then a real web app is scraped and the exposition text parsed with
``prometheus_client``'s parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from support.webhooks import add_webhook
from support.workers import WorkerProcess

from switchboard.config import ConfigStore, Redis, Settings
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for_async
from switchboard.worker.producer import EventClient
from switchboard.worker.queue import EventEncoder, QueuedJob
from switchboard.worker.web import create_app

EVENTS = 20
BACKFILLED = datetime(2020, 1, 1, tzinfo=UTC)
WEBHOOK = "switchboard.webhook"


@pytest.fixture
def workers(redis_url: str, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    env = {
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": "sbtest",
        "SWITCHBOARD_RETRY_SCHEDULE": "0",  # one retry, at once; then a dead letter
        "SWITCHBOARD_CIRCUIT_BREAKER_FAILURES": "0",
        "SWITCHBOARD_HEARTBEAT_INTERVAL": "0.5",
    }
    processes = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in range(2)]
    yield processes
    for process in processes:
        process.kill()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_a_scrape_counts_exactly_what_two_workers_did(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    workers: list[WorkerProcess],
) -> None:
    async with (
        RecordingSink() as sink,
        TestClient(TestServer(create_app(settings), host="127.0.0.1")) as web,
    ):
        sink.script("/flaky", 503, 200)
        sink.on("/bad", status=500)
        for name in ("ok", "flaky", "bad"):
            await add_webhook(store, name, sink.url(f"/{name}"))
        for worker in workers:
            await worker.wait_for_log("worker started")
        # One event a job: the two workers share them.
        async with EventClient(settings.model_copy(update={"events_per_job": 1})) as client:
            # An old occurred_at (a backfill's): latency counts from the emit, not from it.
            await client.emit_many(
                [
                    {"type": "review.published", "data": {"n": n}, "occurred_at": BACKFILLED}
                    for n in range(EVENTS)
                ]
            )
        encoder = EventEncoder(settings)
        async with redis_client.pipeline(transaction=True) as pipe:
            encoder.queue(pipe, [QueuedJob(['{"type": 5}'])])  # a malformed event
            await pipe.execute()

        async def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            response = await web.get("/metrics")
            assert response.status == 200
            samples = _samples(await response.text())
            attempts = sum(
                v for (n, _), v in samples.items() if n == "switchboard_delivery_attempts_total"
            )
            done = (
                attempts == 3 * EVENTS + 1 + EVENTS
                and samples[("switchboard_workers_alive", ())] == 2
            )
            done = done and samples[("switchboard_events_dispatched_total", ())] == 2 * EVENTS
            return samples if done and samples[("switchboard_queue_depth", ())] == 0 else None

        samples = await wait_for_async(scraped, what="every attempt counted")

    def attempts(outcome: str) -> float:
        key = (("integration", WEBHOOK), ("outcome", outcome))
        return samples[("switchboard_delivery_attempts_total", key)]

    # The app's events, the malformed one, and a switchboard.delivery.exhausted per dead
    # letter (Switchboard's own events travel the same queue; "*" delivers none of them).
    assert samples[("switchboard_events_received_total", ())] == 2 * EVENTS + 1
    assert samples[("switchboard_events_dispatched_total", ())] == 2 * EVENTS
    assert samples[("switchboard_events_rejected_total", ())] == 1
    assert attempts("delivered") == 2 * EVENTS  # /ok, and /flaky's
    assert attempts("retrying") == EVENTS + 1  # /bad's first attempts, /flaky's first 503
    assert attempts("dead") == EVENTS  # /bad's retries
    assert samples[("switchboard_delivery_latency_seconds_count", ())] == 3 * EVENTS
    assert samples[("switchboard_delivery_latency_seconds_bucket", (("le", "+Inf"),))] == 3 * EVENTS
    # Every first attempt answered well within a minute of its emit (a loaded machine too).
    assert samples[("switchboard_delivery_latency_seconds_bucket", (("le", "60"),))] == 3 * EVENTS
    assert samples[("switchboard_dead_letters", ())] == EVENTS
    assert samples[("switchboard_retries_scheduled", ())] == 0
    assert samples[("switchboard_circuits_open", ())] == 0
    assert len(sink.at("/ok")) == EVENTS
    assert len(sink.at("/flaky")) == EVENTS + 1
    assert len(sink.at("/bad")) == 2 * EVENTS
