"""Tenants' quotas through the API (``worker/web/api/quotas.py``): events through ingest,
counted per event tenant whatever the token, and admin requests by a tenant's stored
tokens; a refusal is a 429 with ``Retry-After``, nothing queued, counted in
``/metrics``. The app as shipped (stored tokens resolved) on a real Redis.

The rates are one an hour with a burst of 2: the third at once is refused, whatever
time the test takes, and told to come back in about an hour. ``QuotaGate`` itself takes
its time from a clock it is given (the script is told the time), so how a quota refills
is tested on a clock the test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from support.api import AS_ADMIN, AS_INGEST, problem, queued_events

from switchboard.config import ConfigStore, Redis, RedisKeys, Scope, Settings, TokenStore
from switchboard.worker.errors import ApiError
from switchboard.worker.web import create_app
from switchboard.worker.web.api.quotas import Quota, QuotaGate, QuotaRate, TenantQuotas

BURST = 2
AN_HOUR = 3600


@pytest.fixture
def quota_settings(api_settings: Settings) -> Settings:
    return api_settings.model_copy(
        update={
            "tenant_event_rate": 1 / AN_HOUR,
            "tenant_event_burst": BURST,
            "tenant_api_rate": 1 / AN_HOUR,
            "tenant_api_burst": BURST,
        }
    )


@pytest.fixture
async def client(quota_settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(quota_settings), host="127.0.0.1")) as client:
        yield client


@pytest.fixture
def tokens(redis_client: Redis, quota_settings: Settings) -> TokenStore:
    return TokenStore.for_settings(redis_client, quota_settings)


async def _bearer(tokens: TokenStore, scope: Scope, tenant: str) -> dict[str, str]:
    _, token = await tokens.create(scope, tenant)
    return {"Authorization": f"Bearer {token}"}


def _event(tenant: str | None = None, n: int = 0) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "review.published", "data": {"n": n}}
    if tenant is not None:
        event["tenant"] = tenant
    return event


async def _emit(client: TestClient[Any, Any], event: dict[str, Any], headers: Any) -> Any:
    return await client.post("/api/events", json=event, headers=headers)


async def _batch(client: TestClient[Any, Any], events: list[dict[str, Any]], headers: Any) -> Any:
    return await client.post("/api/events/batch", json={"events": events}, headers=headers)


async def _over_quota(response: Any) -> dict[str, Any]:
    """A 429 problem's body, after checking its Retry-After: about an hour, never 0."""
    body = await problem(response, 429)
    assert body["title"] == "Too many requests"
    assert body["errors"] == {}
    retry_after = int(response.headers["Retry-After"])
    assert AN_HOUR - 60 <= retry_after <= AN_HOUR
    assert f"try again in {retry_after} s" in body["detail"]
    return body


def _tenants(events: list[dict[str, Any]]) -> list[str | None]:
    return sorted((e.get("tenant") for e in events), key=str)


# -- events ------------------------------------------------------------------------------


async def test_a_tenants_events_past_its_burst_are_refused_and_not_queued(
    client: TestClient[Any, Any],
    quota_settings: Settings,
    redis_client: Redis,
    tokens: TokenStore,
) -> None:
    for n in range(BURST):
        assert (await _emit(client, _event("acme", n), AS_INGEST)).status == 202
    body = await _over_quota(await _emit(client, _event("acme", BURST), AS_INGEST))
    assert 'Tenant "acme" is over the events quota' in body["detail"]
    assert "at once" in body["detail"]  # the quota, in words
    # The tenant's, whatever the token: its own ingest token is refused as well.
    acme = await _bearer(tokens, Scope.INGEST, "acme")
    await _over_quota(await _emit(client, {"type": "review.published"}, acme))
    # Another tenant has its own.
    assert (await _emit(client, _event("globex"), AS_INGEST)).status == 202
    queued = await queued_events(quota_settings, redis_client)
    assert _tenants(queued) == ["acme", "acme", "globex"]
    assert sorted(e["data"]["n"] for e in queued if e["tenant"] == "acme") == [0, 1]


async def test_a_batch_of_more_than_the_burst_is_422_and_takes_none_of_the_quota(
    client: TestClient[Any, Any], quota_settings: Settings, redis_client: Redis
) -> None:
    too_many = [_event("acme", n) for n in range(BURST + 1)]
    body = await problem(await _batch(client, too_many, AS_INGEST), 422)
    assert body["errors"] == {"events": f"at most {BURST} at once for this tenant"}
    assert f'more than tenant "acme" may send at once ({BURST})' in body["detail"]
    assert "split the request" in body["detail"]
    assert await queued_events(quota_settings, redis_client) == []
    # A whole burst still fits: the refused batch took nothing.
    whole = [_event("acme", n) for n in range(BURST)]
    assert (await _batch(client, whole, AS_INGEST)).status == 202
    await _over_quota(await _emit(client, _event("acme"), AS_INGEST))
    assert len(await queued_events(quota_settings, redis_client)) == BURST


async def test_a_batch_refused_for_one_tenant_is_counted_for_none(
    client: TestClient[Any, Any], quota_settings: Settings, redis_client: Redis
) -> None:
    full = [_event("globex", n) for n in range(BURST)]
    assert (await _batch(client, full, AS_INGEST)).status == 202
    mixed = [_event("acme", 0), _event("globex", 9), _event("acme", 1)]
    body = await _over_quota(await _batch(client, mixed, AS_INGEST))
    assert "These tenants are over the events quota" in body["detail"]
    # Nothing of it queued, and acme's quota untouched: a whole burst still fits.
    assert _tenants(await queued_events(quota_settings, redis_client)) == ["globex", "globex"]
    acme = [_event("acme", n) for n in range(BURST)]
    assert (await _batch(client, acme, AS_INGEST)).status == 202
    assert _tenants(await queued_events(quota_settings, redis_client)) == (
        ["acme"] * BURST + ["globex"] * BURST
    )


async def test_an_accepted_batch_counts_for_each_of_its_tenants(
    client: TestClient[Any, Any], quota_settings: Settings, redis_client: Redis
) -> None:
    assert (await _batch(client, [_event("acme"), _event("globex")], AS_ADMIN)).status == 202
    for tenant in ("acme", "globex"):
        assert (await _emit(client, _event(tenant), AS_INGEST)).status == 202  # one left
        await _over_quota(await _emit(client, _event(tenant), AS_INGEST))
    assert len(await queued_events(quota_settings, redis_client)) == 2 + 2


@pytest.mark.parametrize("headers", [AS_INGEST, AS_ADMIN], ids=["ingest", "admin"])
async def test_events_with_no_tenant_are_never_limited(
    client: TestClient[Any, Any],
    quota_settings: Settings,
    redis_client: Redis,
    headers: dict[str, str],
) -> None:
    big = [_event(None, n) for n in range(BURST * 3)]  # more than any tenant's burst
    assert (await _batch(client, big, headers)).status == 202
    for n in range(BURST + 1):
        assert (await _emit(client, _event(None, n), headers)).status == 202
    # Beside them in a batch, a tenant's events are counted, the operator's are not.
    assert (await _batch(client, [*big, *[_event("acme")] * BURST], headers)).status == 202
    assert len(await queued_events(quota_settings, redis_client)) == (
        len(big) + BURST + 1 + len(big) + BURST
    )


async def test_a_rate_of_0_is_no_limit(quota_settings: Settings, redis_client: Redis) -> None:
    unlimited = quota_settings.model_copy(update={"tenant_event_rate": 0})
    async with TestClient(TestServer(create_app(unlimited), host="127.0.0.1")) as client:
        big = [_event("acme", n) for n in range(BURST * 3)]  # not even the burst holds
        assert (await _batch(client, big, AS_INGEST)).status == 202
        assert (await _emit(client, _event("acme"), AS_INGEST)).status == 202
    assert len(await queued_events(unlimited, redis_client)) == len(big) + 1


async def test_an_invalid_batch_costs_its_quota_as_a_valid_one_does(
    client: TestClient[Any, Any], quota_settings: Settings, redis_client: Redis
) -> None:
    """Rate limits count requests, as docs/tenants.md says: a tenant sending invalid events
    is limited like one sending valid ones (nothing of the invalid batch is queued)."""
    invalid = [_event("acme"), {"type": "Not A Type", "tenant": "acme"}]
    await problem(await _batch(client, invalid, AS_INGEST), 422)
    assert await queued_events(quota_settings, redis_client) == []
    await problem(await _batch(client, [_event("acme")], AS_INGEST), 429)


# -- the gate, on a clock the test moves -------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def _refused(gate: QuotaGate, costs: dict[str, int]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await gate.take(Quota.EVENTS, costs)
    return caught.value


async def test_a_quota_refills_at_its_rate(redis_client: Redis, keys: RedisKeys) -> None:
    clock = _Clock()
    quotas = TenantQuotas(events=QuotaRate(per_second=0.5, burst=3))  # one every 2 s
    gate = QuotaGate(redis_client, keys, quotas, clock=clock)
    await gate.take(Quota.EVENTS, {"acme": 3})  # a whole burst at once
    refused = await _refused(gate, {"acme": 1})
    assert (refused.status, refused.headers) == (429, {"Retry-After": "2"})
    clock.now += 1.5
    assert (await _refused(gate, {"acme": 1})).headers == {"Retry-After": "1"}  # 0.5 s, up
    clock.now += 0.5
    await gate.take(Quota.EVENTS, {"acme": 1})  # one interval on: one more
    assert (await _refused(gate, {"acme": 1})).headers == {"Retry-After": "2"}
    clock.now += 2 * 3
    await gate.take(Quota.EVENTS, {"acme": 3})  # idle long enough: the whole burst again
    # A refusal takes nothing: as long a wait as before it.
    for _ in range(3):
        assert (await _refused(gate, {"acme": 2})).headers == {"Retry-After": "4"}
    clock.now += 4
    await gate.take(Quota.EVENTS, {"acme": 2})


async def test_a_request_of_many_tenants_waits_for_the_fullest(
    redis_client: Redis, keys: RedisKeys
) -> None:
    clock = _Clock()
    gate = QuotaGate(
        redis_client, keys, TenantQuotas(events=QuotaRate(per_second=1, burst=2)), clock=clock
    )
    await gate.take(Quota.EVENTS, {"acme": 1, "zeta": 2})
    refused = await _refused(gate, {"acme": 1, "zeta": 2})
    assert refused.headers == {"Retry-After": "2"}  # zeta's two; acme's one would fit now
    assert "These tenants are over the events quota" in refused.detail
    await gate.take(Quota.EVENTS, {"acme": 1})  # acme was not charged for the refusal
    await _refused(gate, {"acme": 1})
    clock.now += 2
    await gate.take(Quota.EVENTS, {"zeta": 2})
    # The api quota is a quota of its own: untouched by all of that.
    await gate.take(Quota.API, {"acme": 100, "zeta": 100})


# -- the admin API -----------------------------------------------------------------------


async def test_a_tenants_admin_tokens_share_its_api_quota(
    client: TestClient[Any, Any], tokens: TokenStore, store: ConfigStore
) -> None:
    first = await _bearer(tokens, Scope.ADMIN, "acme")
    second = await _bearer(tokens, Scope.ADMIN, "acme")
    globex = await _bearer(tokens, Scope.ADMIN, "globex")
    assert (await client.get("/api/configs", headers=first)).status == 200
    assert (await client.get("/api/integrations", headers=second)).status == 200
    body = {"integration_id": "switchboard.webhook", "name": "refused",
            "settings": {"url": "https://hooks.example.com/in"}}  # fmt: skip
    refused = await client.post("/api/configs", json=body, headers=first)
    problem_body = await _over_quota(refused)
    assert 'Tenant "acme" is over the api quota' in problem_body["detail"]
    await _over_quota(await client.get("/api/configs", headers=second))
    assert (await store.list())[0] == []  # the refused request changed nothing
    # Another tenant's tokens, and the global admin token, are not held by acme's quota.
    assert (await client.get("/api/configs", headers=globex)).status == 200
    assert (await client.get("/api/configs", headers=AS_ADMIN)).status == 200


async def test_the_global_admin_token_is_never_limited(client: TestClient[Any, Any]) -> None:
    for _ in range(BURST * 3):
        assert (await client.get("/api/configs", headers=AS_ADMIN)).status == 200


async def test_a_tenant_admin_tokens_events_count_in_the_events_quota_only(
    client: TestClient[Any, Any], tokens: TokenStore
) -> None:
    acme = await _bearer(tokens, Scope.ADMIN, "acme")
    for _ in range(BURST):
        assert (await client.get("/api/configs", headers=acme)).status == 200
    await _over_quota(await client.get("/api/configs", headers=acme))
    # Emitting is ingest, not the admin API: the api quota does not hold it...
    for _ in range(BURST):
        assert (await _emit(client, {"type": "review.published"}, acme)).status == 202
    # ...the events quota does.
    body = await _over_quota(await _emit(client, {"type": "review.published"}, acme))
    assert "events quota" in body["detail"]


# -- /metrics ----------------------------------------------------------------------------


async def test_refusals_are_counted_in_metrics_by_quota(
    client: TestClient[Any, Any], tokens: TokenStore
) -> None:
    async def refusals() -> dict[str, float]:
        response = await client.get("/metrics")
        assert response.status == 200
        return {
            sample.labels["quota"]: sample.value
            for family in text_string_to_metric_families(await response.text())
            for sample in family.samples
            if sample.name == "switchboard_quota_refusals_total"
        }

    assert await refusals() == {}
    for n in range(BURST):
        assert (await _emit(client, _event("acme", n), AS_INGEST)).status == 202
    for _ in range(3):
        await _over_quota(await _emit(client, _event("acme"), AS_INGEST))
    await _over_quota(await _batch(client, [_event("globex"), _event("acme")], AS_INGEST))
    acme = await _bearer(tokens, Scope.ADMIN, "acme")
    for _ in range(BURST):
        assert (await client.get("/api/configs", headers=acme)).status == 200
    await _over_quota(await client.get("/api/configs", headers=acme))
    # One a refused request: a batch of two tenants is one refusal.
    assert await refusals() == {"events": 4, "api": 1}
