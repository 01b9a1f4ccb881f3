"""POST /api/events and /api/events/batch: 202 with ids, the client's rules and messages,
Idempotency-Key through the dedup window (a real worker), tokens and tenants."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from support.api import AS_ADMIN, AS_INGEST, problem, queued_events, serving
from support.sample import SampleIntegration
from support.workers import running_worker

from switchboard.config import ConfigStore, Settings
from switchboard.config.tokens import Principal, Scope
from switchboard.testing.waiting import wait_for
from switchboard.worker.queue import EventEncoder


async def test_one_event_is_queued_with_its_envelope(
    client: TestClient[Any, Any], api_settings: Settings, redis_client: Any
) -> None:
    body = {"type": "review.published", "data": {"n": 1}, "tenant": "acme",
            "occurred_at": "2026-01-02T03:04:05+00:00"}  # fmt: skip
    response = await client.post("/api/events", json=body, headers=AS_INGEST)
    assert response.status == 202
    the_id = (await response.json())["id"]
    [event] = await queued_events(api_settings, redis_client)
    assert (event["id"], event["type"], event["tenant"], event["data"]) == (
        the_id, "review.published", "acme", {"n": 1},
    )  # fmt: skip
    assert event["occurred_at"].startswith("2026-01-02T03:04:05")


async def test_a_batch_is_queued_whole_or_not_at_all(
    client: TestClient[Any, Any], api_settings: Settings, redis_client: Any
) -> None:
    events = [{"type": "a.b", "id": "e1"}, {"type": "a.c", "data": {"x": 1}}]
    response = await client.post("/api/events/batch", json={"events": events}, headers=AS_ADMIN)
    assert response.status == 202
    ids = (await response.json())["ids"]
    assert ids[0] == "e1"
    assert len(ids) == 2
    bad = [{"type": "a.b"}, {"type": "Not A Type"}]
    detail = (await problem(await client.post("/api/events/batch", json={"events": bad},
                                              headers=AS_INGEST), 422))["detail"]  # fmt: skip
    assert "(event 2 of the batch)" in detail
    assert len(await queued_events(api_settings, redis_client)) == 2


async def test_the_clients_rules_and_words_apply(
    client: TestClient[Any, Any], api_settings: Settings
) -> None:
    encoder = EventEncoder(api_settings)
    response = await client.post("/api/events", json={"type": "Bad Type"}, headers=AS_INGEST)
    body = await problem(response, 422)
    with pytest.raises(Exception) as raised:  # noqa: PT011  # the client's own error
        encoder.encode("Bad Type", None)
    assert body["detail"] == str(raised.value)
    big = {"type": "a.b", "data": {"blob": "x" * api_settings.max_event_bytes}}
    body = await problem(await client.post("/api/events", json=big, headers=AS_INGEST), 422)
    assert "SWITCHBOARD_MAX_EVENT_BYTES" in body["detail"]
    no_type = await client.post("/api/events", json={"data": {}}, headers=AS_INGEST)
    assert "type" in (await problem(no_type, 422))["errors"]
    await problem(await client.post("/api/events", data=b"{nope", headers=AS_INGEST), 400)


async def test_a_limit_above_a_mebibyte_still_gets_the_clients_words(
    api_settings: Settings,
) -> None:
    """With SWITCHBOARD_MAX_EVENT_BYTES at 2 MiB, a 1.5 MiB event is queued and a 2.5 MiB
    one is the client's 422 saying how large, never aiohttp's bare 413 at 1 MiB."""
    roomy = api_settings.model_copy(update={"max_event_bytes": 2 << 20})
    async with serving(roomy) as client:

        def event(size: int) -> io.BytesIO:  # aiohttp streams a file, not bytes this large
            return io.BytesIO(orjson.dumps({"type": "a.b", "data": {"blob": "x" * size}}))

        fits = await client.post("/api/events", data=event(3 << 19), headers=AS_INGEST)
        assert fits.status == 202, await fits.text()
        over = await client.post("/api/events", data=event(5 << 19), headers=AS_INGEST)
        body = await problem(over, 422)
        assert "SWITCHBOARD_MAX_EVENT_BYTES" in body["detail"]


async def test_the_same_idempotency_key_twice_is_dispatched_once(
    api_settings: Settings, store: ConfigStore
) -> None:
    await store.create(integration_id="tests.sample", name="enables it")
    one_at_a_time = api_settings.model_copy(update={"worker_concurrency": 1})
    headers = {**AS_INGEST, "Idempotency-Key": "order-42-paid"}
    async with (
        running_worker(one_at_a_time, [SampleIntegration]) as manager,
        serving(one_at_a_time) as client,
    ):
        sample = manager.get_integration("tests.sample")
        assert isinstance(sample, SampleIntegration)
        for _ in range(2):
            response = await client.post("/api/events", json={"type": "review.published"},
                                         headers=headers)  # fmt: skip
            assert await response.json() == {"id": "order-42-paid"}
        marker = await client.post("/api/events", json={"type": "review.published"},
                                   headers=AS_INGEST)  # fmt: skip
        marker_id = (await marker.json())["id"]
        await wait_for(lambda: marker_id in [e.id for e in sample.received], what="the marker")
    # Two subscriptions match review.published: each gets the event once, not twice.
    assert [e.id for e in sample.received].count("order-42-paid") == 2


async def test_a_tenants_ingest_token_emits_only_its_tenant(
    api_settings: Settings, redis_client: Any
) -> None:
    async def resolve(token: str) -> Principal | None:
        return Principal(scope=Scope.INGEST, tenant="acme") if token == "acme" else None

    acme = {"Authorization": "Bearer acme"}
    async with serving(api_settings, resolve) as client:
        assert (await client.post("/api/events", json={"type": "a.b"}, headers=acme)).status == 202
        other = {"type": "a.b", "tenant": "other"}
        await problem(await client.post("/api/events", json=other, headers=acme), 403)
        batch = {"events": [{"type": "a.b"}, other]}
        await problem(await client.post("/api/events/batch", json=batch, headers=acme), 403)
    [event] = await queued_events(api_settings, redis_client)
    assert event["tenant"] == "acme"


async def test_ingest_needs_a_token(client: TestClient[Any, Any]) -> None:
    await problem(await client.post("/api/events", json={"type": "a.b"}), 401)
