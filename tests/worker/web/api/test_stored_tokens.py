"""The app as shipped resolves the tokens ``switchboard tokens create`` stores: a tenant's
token sees that tenant's configurations only, an ingest token only emits, and a revoked
token stops at once."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support.api import problem

from switchboard.config import ConfigStore, Scope, Settings, TokenStore, open_redis
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.worker.web import create_app

URL = "http://127.0.0.1:9/hook"


async def test_stored_tokens_are_resolved_kept_to_their_tenant_and_revocable(
    settings: Settings,  # no environment tokens: only stored ones authenticate
) -> None:
    async with open_redis(settings) as redis:
        tokens = TokenStore.for_settings(redis, settings)
        acme_record, acme = await tokens.create(Scope.ADMIN, "acme")
        _, ingest = await tokens.create(Scope.INGEST, "acme")
        manager = IntegrationManager()
        manager.register(WebhookIntegration)
        admin = ConfigAdmin(manager, ConfigStore.for_settings(redis, settings))
        await admin.create("switchboard.webhook", name="mine", tenant="acme", settings={"url": URL})
        await admin.create("switchboard.webhook", name="theirs", tenant="globex",
                           settings={"url": URL})  # fmt: skip

        async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
            as_acme = {"Authorization": f"Bearer {acme}"}
            listed = await client.get("/api/configs", headers=as_acme)
            assert listed.status == 200, await listed.text()
            body: dict[str, Any] = await listed.json()
            assert [c["name"] for c in body["items"]] == ["mine"]

            as_ingest = {"Authorization": f"Bearer {ingest}"}
            await problem(await client.get("/api/configs", headers=as_ingest), 403)

            await tokens.revoke(acme_record.id)
            await problem(await client.get("/api/configs", headers=as_acme), 401)
