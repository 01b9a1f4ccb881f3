"""``/ui/fleet``: the workers alive (from their heartbeats, by the one measure of alive)
and the work waiting (``read_status``); a tenant's session sees the workers and the
queue, not the counts of every tenant's records."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp.test_utils import TestClient
from support.deliveries import tenant_session, write_delivery
from support.webhooks import add_webhook

from switchboard.config import ConfigStore, Redis, RedisKeys, Settings
from switchboard.worker import EventClient
from switchboard.worker.delivery import DeliveryStatus
from switchboard.worker.heartbeat import HeartbeatWriter, WorkerLoad
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog


def _fact(html: str, name: str) -> str:
    found = re.search(rf'<dd[^>]* id="{name}">(.*?)</dd>', html)
    assert found, (name, html)
    return re.sub(r"<[^>]+>", "", found[1])


async def _seed(settings: Settings, store: ConfigStore, redis: Redis, keys: RedisKeys) -> str:
    """Two queued jobs, a retry due and one later, a dead letter, a rejected event, two
    configurations (one on), a live worker and one whose last beat is long gone; the live
    one's id."""
    async with EventClient(settings.model_copy(update={"emit_linger": 0})) as client:
        await client.emit("a.b", {})
        await client.emit("a.c", {})
    await add_webhook(store, "on", "https://hooks.example.com/on")
    await add_webhook(store, "off", "https://hooks.example.com/off", enabled=False)
    now = time.time()
    for name, next_at in (("due", now - 5), ("later", now + 3600)):
        await write_delivery(
            redis, keys, event_id=name, status=DeliveryStatus.RETRYING, next_attempt_at=next_at
        )
    await write_delivery(redis, keys, event_id="dead", status=DeliveryStatus.DEAD)
    await RejectedEventLog(redis, keys).record([RejectedEvent(reason="not JSON")])
    gone = HeartbeatWriter(keys, interval=5, load=WorkerLoad, clock=lambda: now - 120)
    await gone.beat(redis)
    load = WorkerLoad(jobs_in_flight=3, retries_in_flight=1, events_done=7, deliveries_done=5)
    live = HeartbeatWriter(keys, interval=5, load=lambda: load, started_at=now - 3600)
    await live.beat(redis)
    return live.worker_id


async def test_the_fleet_shows_workers_alive_and_the_work_waiting(
    client: TestClient[Any, Any],
    csrf: str,
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    keys: RedisKeys,
) -> None:
    worker_id = await _seed(settings, store, redis_client, keys)
    answer = await client.get("/ui/fleet")
    assert answer.status == 200
    html = await answer.text()
    assert "Workers alive: 1" in html
    row = re.search(rf"<tr>\s*<td><code>{worker_id}</code></td>(.*?)</tr>", html, re.S)
    assert row, html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1])
    host, pid, version, started, beat, jobs, retries, events, deliveries, circuits = cells
    assert host
    assert pid.isdigit()
    assert version
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", started)
    assert re.fullmatch(r"\d\.\d s ago", beat)
    assert (jobs, retries, events, deliveries, circuits) == ("3", "1", "7", "5", "0")
    assert html.count("<tr>") == 2  # the header and the live worker: the gone one is not
    assert _fact(html, "queued-jobs") == "2"
    assert re.fullmatch(r"due \d+\.\d s ago", _fact(html, "oldest-job"))
    assert _fact(html, "retries") == "2, 1 due now"
    assert _fact(html, "dead-letters") == "1"
    assert _fact(html, "rejected") == "1"
    assert _fact(html, "configs") == "1 enabled of 2"


async def test_no_worker_and_nothing_queued_say_so(client: TestClient[Any, Any], csrf: str) -> None:
    html = await (await client.get("/ui/fleet")).text()
    assert "Workers alive: 0" in html
    assert "No worker is alive" in html
    assert _fact(html, "oldest-job") == "none queued"


async def test_a_tenants_session_sees_the_workers_and_the_queue_only(
    ui_settings: Settings, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    worker_id = await _seed(ui_settings, store, redis_client, keys)
    async with tenant_session(ui_settings, redis_client, "acme") as (client, _):
        html = await (await client.get("/ui/fleet")).text()
    assert f"<code>{worker_id}</code>" in html
    assert _fact(html, "queued-jobs") == "2"
    for every_tenants in ("retries", "dead-letters", "rejected", "configs"):
        assert f'id="{every_tenants}"' not in html
