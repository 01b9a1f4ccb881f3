"""``POST /api/configs/{id}/test`` end to end: a real worker in this loop, the app on
127.0.0.1, a ``RecordingSink`` as the endpoints. The test event reaches the one
configuration named, though every other would match it; the answer's delivery id is the
delivery the worker made; disabled, unknown and other tenants' configurations refuse."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support.api import AS_ADMIN, AS_INGEST, problem
from support.workers import running_worker

from switchboard.config import ConfigStore, Scope, Settings, TokenStore, open_redis
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for_async
from switchboard.worker.web import create_app

WEBHOOK = "switchboard.webhook"


def _admin(store: ConfigStore) -> ConfigAdmin:
    manager = IntegrationManager()
    manager.register(WebhookIntegration)
    return ConfigAdmin(manager, store)


async def test_a_test_event_reaches_only_the_configuration_named(
    api_settings: Settings, store: ConfigStore, client: TestClient[Any, Any]
) -> None:
    async with RecordingSink() as sink:
        admin = _admin(store)
        target = await admin.create(
            WEBHOOK, name="target", settings={"url": sink.url("/target"), "event_types": ["x.*"]}
        )
        await admin.create(WEBHOOK, name="broad", settings={"url": sink.url("/broad")})
        await admin.create(
            WEBHOOK,
            name="everything",
            settings={"url": sink.url("/everything"), "event_types": ["*", "switchboard.*"]},
        )
        async with running_worker(api_settings):
            answer = await client.post(f"/api/configs/{target.id}/test", headers=AS_ADMIN)
            assert answer.status == 202, await answer.text()
            sent = await answer.json()
            assert sent["config_id"] == target.id
            [received] = await sink.wait_for_count(1)

            async def delivered() -> dict[str, Any] | None:
                shown = await client.get(f"/api/deliveries/{sent['delivery_id']}", headers=AS_ADMIN)
                body: dict[str, Any] = await shown.json()
                return body if shown.status == 200 and body["status"] == "delivered" else None

            delivery = await wait_for_async(delivered, what="the test delivery")
        assert received.path == "/target"
        assert received.json["id"] == sent["event_id"]
        assert received.json["type"] == "switchboard.test"
        assert received.json["data"]["test"] is True
        assert received.json["data"]["config_id"] == target.id
        assert received.header("webhook-id") == sent["delivery_id"]
        assert delivery["config_id"] == target.id
        assert delivery["event_id"] == sent["event_id"]
        assert [r.path for r in sink.received] == ["/target"]


async def test_disabled_unknown_and_other_tenants_configurations_are_refused(
    api_settings: Settings, store: ConfigStore, client: TestClient[Any, Any]
) -> None:
    admin = _admin(store)
    url = {"url": "http://127.0.0.1:9/hook"}
    off = await admin.create(WEBHOOK, name="off", settings=url, enabled=False)
    theirs = await admin.create(WEBHOOK, name="theirs", tenant="globex", settings=url)
    async with open_redis(api_settings) as redis:
        _, acme = await TokenStore.for_settings(redis, api_settings).create(Scope.ADMIN, "acme")

    disabled = await problem(
        await client.post(f"/api/configs/{off.id}/test", headers=AS_ADMIN), 409
    )
    assert "is disabled" in disabled["detail"]
    assert off.id in disabled["detail"]
    await problem(await client.post("/api/configs/cfg_nope/test", headers=AS_ADMIN), 404)
    await problem(await client.post(f"/api/configs/{theirs.id}/test", headers=AS_INGEST), 403)
    as_acme = {"Authorization": f"Bearer {acme}"}
    # The app as shipped, which resolves stored tokens (``client`` is given none).
    async with TestClient(TestServer(create_app(api_settings), host="127.0.0.1")) as shipped:
        path = f"/api/configs/{theirs.id}/test"
        unseen = await problem(await shipped.post(path, headers=as_acme), 404)
    assert "globex" not in unseen["detail"]
