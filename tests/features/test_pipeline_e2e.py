"""The whole pipeline: two worker processes, both producer clients, 1,000 events, a real sink.

Every event must reach every matching webhook configuration exactly once:
tenant and condition filtering hold, a disabled configuration gets nothing,
and an integration whose handler raises and one whose handler hangs (on
every event) stop nothing.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.faulty import HangingIntegration, RaisingIntegration
from support.workers import WorkerProcess

from switchboard.config import ConfigStore, Settings
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.worker.producer import EventClient, SyncEventClient

EVENTS = 1000
TENANTS = (None, "acme", "other")
HIGH = {"mode": "all", "conditions": [{"choice": "priority", "op": "is", "value": "high"}]}


def _event(number: int) -> dict[str, Any]:
    return {
        "type": "review.published" if number % 2 else "ci.build.failed",
        "tenant": TENANTS[number % 3],
        "data": {"number": number, "priority": "high" if number % 5 == 0 else "low"},
    }


def _expected(events: dict[str, dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(sink path, event id) for every delivery the configurations below call for."""
    expected: Counter[tuple[str, str]] = Counter()
    for event_id, event in events.items():
        if event["tenant"] is None:
            expected["/all", event_id] += 1
            if event["data"]["priority"] == "high":
                expected["/high", event_id] += 1
        if event["tenant"] == "acme" and event["type"].startswith("review."):
            expected["/acme-reviews", event_id] += 1
    return expected


@pytest.fixture
def workers(redis_url: str, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    env = {
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": "sbtest",
        "SWITCHBOARD_INTEGRATIONS": "support.faulty.RaisingIntegration,"
        "support.faulty.HangingIntegration",
        "SWITCHBOARD_HANDLER_TIMEOUT": "0.5",
        # Every event's hanging handler holds its job for the timeout: room for many at once.
        "SWITCHBOARD_WORKER_CONCURRENCY": "128",
    }
    processes = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in range(2)]
    yield processes
    for process in processes:
        process.kill()


async def _configure(settings: Settings, store: ConfigStore, sink: RecordingSink) -> None:
    manager = IntegrationManager()
    for integration_cls in (WebhookIntegration, RaisingIntegration, HangingIntegration):
        manager.register(integration_cls)
    admin = ConfigAdmin(manager, store)
    webhook = "switchboard.webhook"
    await admin.create(webhook, name="all", settings={"url": sink.url("/all")})
    await admin.create(
        webhook,
        name="acme reviews",
        tenant="acme",
        settings={"url": sink.url("/acme-reviews"), "event_types": ["review.*"]},
    )
    await admin.create(webhook, name="high", settings={"url": sink.url("/high")}, conditions=HIGH)
    await admin.create(webhook, name="off", settings={"url": sink.url("/off")}, enabled=False)
    for tenant in TENANTS:
        await admin.create("tests.raising", name=f"raising {tenant}", tenant=tenant)
        await admin.create("tests.hanging", name=f"hanging {tenant}", tenant=tenant)


@pytest.mark.slow
async def test_1000_events_two_workers_both_clients(
    settings: Settings, store: ConfigStore, workers: list[WorkerProcess]
) -> None:
    async with RecordingSink() as sink:
        await _configure(settings, store, sink)
        for worker in workers:
            await worker.wait_for_log("worker started", timeout=20)

        events: dict[str, dict[str, Any]] = {}
        specs = [_event(n) for n in range(EVENTS)]
        async_half, sync_half = specs[: EVENTS // 2], specs[EVENTS // 2 :]

        async with EventClient(settings) as client:
            singles, batch = async_half[:250], async_half[250:]
            ids = await asyncio.gather(
                *(client.emit(s["type"], s["data"], tenant=s["tenant"]) for s in singles)
            )
            ids += await client.emit_many(batch)
            events.update(zip(ids, async_half, strict=True))

        def emit_sync() -> list[str]:
            with SyncEventClient(settings) as sync_client:
                singles, batch = sync_half[:250], sync_half[250:]
                ids = [sync_client.emit(s["type"], s["data"], tenant=s["tenant"]) for s in singles]
                return ids + sync_client.emit_many(batch)

        sync_ids = await asyncio.to_thread(emit_sync)
        events.update(zip(sync_ids, sync_half, strict=True))
        assert len(events) == EVENTS

        expected = _expected(events)
        # A deadline to fail by, not a speed target (those are bench/'s): generous, as a
        # loaded 2-core machine runs the 2,000 hanging and raising handlers slowly.
        await sink.wait_for_count(sum(expected.values()), timeout=180)
        # Stop both workers (they drain) before counting, so a late duplicate would show.
        for worker in workers:
            worker.signal(signal.SIGTERM)
        for worker in workers:
            assert await worker.wait_exit(timeout=30) == 0

        got = Counter((r.path, r.json["id"]) for r in sink.received)
        assert got == expected
        assert not sink.at("/off")

    logs = [worker.log for worker in workers]
    for log in logs:
        # Both workers took a share of the events.
        assert "event dispatched" in log
    combined = "\n".join(logs)
    assert combined.count("handler failed integration=tests.raising") == EVENTS
    assert combined.count("handler timed out integration=tests.hanging") == EVENTS
