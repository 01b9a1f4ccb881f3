"""/api/deliveries, /api/dead-letters and /api/rejected over DeliveryAdmin: listing with
filters and cursors, one delivery with its attempts, replay, and tenants kept apart."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from support.api import AS_ADMIN, problem, serving
from support.env import TEST_SECRET_KEY

from switchboard.config import Redis, RedisKeys, SecretBox, Settings
from switchboard.config.tokens import Principal, Scope
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import Attempt, DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.delivery.sealing import RequestSealer
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog

REQUEST = DeliveryRequest(
    url="https://hooks.example.com/secret-path", headers={"Authorization": "Bearer t"}, body=b"{}"
)


@pytest.fixture
async def seeded(redis_client: Redis, keys: RedisKeys) -> dict[str, str]:
    """Three deliveries: a dead one of tenant acme, a dead one and a delivered one of none."""
    log = DeliveryLog(redis_client, keys, retention=3600)
    sealed = RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(REQUEST)
    now = time.time()
    ids = {}
    for name, tenant, status in [("acme_dead", "acme", DeliveryStatus.DEAD),
                                 ("dead", None, DeliveryStatus.DEAD),
                                 ("delivered", None, DeliveryStatus.DELIVERED)]:  # fmt: skip
        attempt = Attempt(number=1, at=now, status=500 if status == "dead" else 200, ms=3.0)
        record = DeliveryRecord(
            id=delivery_id(f"evt_{name}", "cfg_a"), event_id=f"evt_{name}", event_type="a.b",
            tenant=tenant, config_id="cfg_a", integration_id="switchboard.webhook",
            request=sealed, status=status, attempts=(attempt,), created_at=now, updated_at=now,
            dead_reason="HTTP 500" if status == "dead" else None,
        )  # fmt: skip
        async with redis_client.pipeline(transaction=True) as pipe:
            log.write(pipe, record, attempt)
            await pipe.execute()
        ids[name] = record.id
    return ids


async def test_list_filter_page_and_show(
    client: TestClient[Any, Any], seeded: dict[str, str]
) -> None:
    everything = await (await client.get("/api/deliveries", headers=AS_ADMIN)).json()
    assert {i["id"] for i in everything["items"]} == set(seeded.values())
    assert "secret-path" not in str(everything)
    assert everything["items"][0]["request"] == {"method": "POST", "host": "hooks.example.com"}
    dead = await client.get("/api/deliveries", params={"status": "dead"}, headers=AS_ADMIN)
    assert {i["id"] for i in (await dead.json())["items"]} == {seeded["acme_dead"], seeded["dead"]}
    acme = await client.get("/api/deliveries", params={"tenant": "acme"}, headers=AS_ADMIN)
    assert [i["id"] for i in (await acme.json())["items"]] == [seeded["acme_dead"]]
    first = await (await client.get("/api/deliveries", params={"limit": "2"},
                                    headers=AS_ADMIN)).json()  # fmt: skip
    rest = await (await client.get("/api/deliveries", headers=AS_ADMIN,
                                   params={"cursor": first["next_cursor"]})).json()  # fmt: skip
    assert len(first["items"]) == 2
    assert rest["next_cursor"] is None
    assert {i["id"] for i in first["items"] + rest["items"]} == set(seeded.values())
    one = await (await client.get(f"/api/deliveries/{seeded['dead']}", headers=AS_ADMIN)).json()
    assert one["attempts"][0]["number"] == 1
    await problem(await client.get("/api/deliveries/dlv_nope", headers=AS_ADMIN), 404)
    bad = await client.get("/api/deliveries", params={"status": "lost"}, headers=AS_ADMIN)
    assert "status" in (await problem(bad, 422))["errors"]
    # Cursors that float() and int() would take but Redis would not: 422, never a 500.
    for path, status in (("/api/deliveries", None), ("/api/deliveries", "retrying"),
                         ("/api/dead-letters", None)):  # fmt: skip
        for cursor in ("x", "nan:0", "inf:0", "1:99999999999999999999999", "1e3:0", "1:²"):
            params = {"cursor": cursor, **({"status": status} if status else {})}
            answer = await client.get(path, params=params, headers=AS_ADMIN)
            assert "cursor" in (await problem(answer, 422))["errors"], (path, cursor)


async def test_replay_one_a_filter_or_all(
    client: TestClient[Any, Any], seeded: dict[str, str]
) -> None:
    listed = await (await client.get("/api/dead-letters", headers=AS_ADMIN)).json()
    assert len(listed["items"]) == 2
    response = await client.post(f"/api/dead-letters/{seeded['dead']}/replay", headers=AS_ADMIN)
    assert (await response.json())["replayed"] == [seeded["dead"]]
    again = await client.post(f"/api/dead-letters/{seeded['delivered']}/replay", headers=AS_ADMIN)
    await problem(again, 409)
    body = {"ids": [seeded["delivered"]], "all": True}
    report = await (await client.post("/api/dead-letters/replay", json=body,
                                      headers=AS_ADMIN)).json()  # fmt: skip
    assert report == {"replayed": [seeded["acme_dead"]], "not_dead": [seeded["delivered"]]}
    empty = await client.post("/api/dead-letters/replay", json={}, headers=AS_ADMIN)
    assert "ids" in (await problem(empty, 422))["errors"]
    many = {"ids": [f"dlv_{n}" for n in range(1001)]}  # the cap on one request's ids
    too_many = await client.post("/api/dead-letters/replay", json=many, headers=AS_ADMIN)
    assert "ids" in (await problem(too_many, 422))["errors"]


async def test_a_tenants_token_sees_its_deliveries_only(
    api_settings: Settings, seeded: dict[str, str]
) -> None:
    async def resolve(token: str) -> Principal | None:
        return Principal(scope=Scope.ADMIN, tenant="acme") if token == "acme" else None

    acme = {"Authorization": "Bearer acme"}
    async with serving(api_settings, resolve) as client:
        listed = await (await client.get("/api/deliveries", headers=acme)).json()
        assert [i["id"] for i in listed["items"]] == [seeded["acme_dead"]]
        dead = await (await client.get("/api/dead-letters", headers=acme)).json()
        assert [i["id"] for i in dead["items"]] == [seeded["acme_dead"]]
        await problem(await client.get(f"/api/deliveries/{seeded['dead']}", headers=acme), 404)
        other = await client.post(f"/api/dead-letters/{seeded['dead']}/replay", headers=acme)
        await problem(other, 404)
        body = {"ids": [seeded["dead"]], "all": True}
        report = await (await client.post("/api/dead-letters/replay", json=body,
                                          headers=acme)).json()  # fmt: skip
        assert report == {"replayed": [seeded["acme_dead"]], "not_dead": [seeded["dead"]]}
        await problem(await client.get("/api/rejected", headers=acme), 403)


async def test_rejected_events_page_by_page(
    client: TestClient[Any, Any], redis_client: Redis, keys: RedisKeys
) -> None:
    log = RejectedEventLog(redis_client, keys)
    await log.record([RejectedEvent(reason=f"bad {n}", event_id=f"e{n}") for n in range(3)])
    first = await (await client.get("/api/rejected", params={"limit": "2"},
                                    headers=AS_ADMIN)).json()  # fmt: skip
    assert [e["event_id"] for e in first["items"]] == ["e2", "e1"]
    assert first["total"] == 3
    rest = await (await client.get("/api/rejected", headers=AS_ADMIN,
                                   params={"cursor": first["next_cursor"]})).json()  # fmt: skip
    assert ([e["event_id"] for e in rest["items"]], rest["next_cursor"]) == (["e0"], None)
    for cursor in ("-1", "²", "1" * 10):
        await problem(await client.get("/api/rejected", params={"cursor": cursor},
                                       headers=AS_ADMIN), 422)  # fmt: skip


async def test_list_since_until_on_the_update_time(
    client: TestClient[Any, Any], redis_client: Redis, keys: RedisKeys
) -> None:
    """Three deliveries updated 300, 200 and 100 s ago: windows in ISO 8601 and epoch
    seconds keep those updated at or after ``since`` and before ``until``."""
    now = float(int(time.time()))
    clock = [now]
    log = DeliveryLog(redis_client, keys, retention=3600, clock=lambda: clock[0])
    sealed = RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(REQUEST)
    ids = {}
    for age in (300, 200, 100):
        clock[0] = now - age
        record = DeliveryRecord(
            id=delivery_id(f"evt_{age}", "cfg_t"), event_id=f"evt_{age}", event_type="a.b",
            config_id="cfg_t", integration_id="switchboard.webhook", request=sealed,
            status=DeliveryStatus.DELIVERED, created_at=now - age, updated_at=now - age,
        )  # fmt: skip
        async with redis_client.pipeline(transaction=True) as pipe:
            log.write(pipe, record, None)
            await pipe.execute()
        ids[age] = record.id

    async def listed(**params: str) -> list[str]:
        answer = await client.get("/api/deliveries", params=params, headers=AS_ADMIN)
        assert answer.status == 200, await answer.text()
        return [i["id"] for i in (await answer.json())["items"]]

    iso = datetime.fromtimestamp(now - 200, UTC).isoformat()
    assert await listed(since=iso) == [ids[100], ids[200]]
    assert await listed(until=iso) == [ids[300]]
    assert await listed(since=str(now - 250), until=str(now - 100)) == [ids[200]]
    assert await listed(since=str(now - 250), config_id="cfg_t") == [ids[100], ids[200]]
    bad = await client.get("/api/deliveries", params={"since": "soon"}, headers=AS_ADMIN)
    assert "since" in (await problem(bad, 422))["errors"]
