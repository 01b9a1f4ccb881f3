"""/api/configs and /api/integrations: CRUD through ConfigAdmin, masking, pagination,
validation in the CLI's words, a tenant's token kept to its tenant, and the cap on a
tenant's configurations (SWITCHBOARD_TENANT_MAX_CONFIGS)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from support.api import AS_ADMIN, problem, serving

from switchboard.config import Settings
from switchboard.config.tokens import Principal, Scope
from switchboard.worker.display import MASK

WEBHOOK = "switchboard.webhook"
URL = "https://hooks.example.com/in"


async def create(client: TestClient[Any, Any], **fields: Any) -> dict[str, Any]:
    body = {"integration_id": WEBHOOK, "name": "demo", "settings": {"url": URL}, **fields}
    response = await client.post("/api/configs", json=body, headers=AS_ADMIN)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def test_create_show_edit_delete(client: TestClient[Any, Any]) -> None:
    created = await create(client, tenant="acme", rate_limit=2)
    assert created["settings"]["secret"] == MASK  # generated, and never shown
    assert (created["tenant"], created["rate_limit"], created["orphaned"]) == ("acme", 2, False)
    path = f"/api/configs/{created['id']}"
    assert await (await client.get(path, headers=AS_ADMIN)).json() == created
    response = await client.patch(
        path, json={"name": "renamed", "enabled": False, "rate_limit": None}, headers=AS_ADMIN
    )
    edited = await response.json()
    assert (edited["name"], edited["enabled"], edited["rate_limit"]) == ("renamed", False, None)
    assert edited["tenant"] == "acme"  # left out: kept
    assert (await client.delete(path, headers=AS_ADMIN)).status == 204
    await problem(await client.get(path, headers=AS_ADMIN), 404)


async def test_the_secret_is_masked_everywhere_but_the_reveal(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    created = await create(client, settings={"url": URL, "secret": "whsec_" + "A" * 32})
    listed = await (await client.get("/api/configs", headers=AS_ADMIN)).json()
    assert "whsec_" not in str(listed)
    assert "whsec_" not in str(created)
    with caplog.at_level(logging.INFO):
        response = await client.post(
            f"/api/configs/{created['id']}/reveal-secret", headers=AS_ADMIN
        )
    assert await response.json() == {
        "config_id": created["id"],
        "signing_secrets": ["whsec_" + "A" * 32],
    }
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [created["id"] in r.getMessage() and "admin" in r.getMessage() for r in warnings] == [
        True
    ]
    assert "whsec_" not in caplog.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"integration_id": WEBHOOK, "name": "x", "settings": {"url": "not a url"}}, "url"),
        ({"integration_id": WEBHOOK, "name": " ", "settings": {"url": URL}}, "name"),
        ({"integration_id": "no.such", "name": "x"}, "integration_id"),
        ({"integration_id": WEBHOOK, "name": "x", "settings": {"url": URL}, "tenant": " "},
         "tenant"),
        ({"integration_id": WEBHOOK, "name": "x", "settings": {"url": URL}, "rate_limit": 0},
         "rate_limit"),
        ({"integration_id": WEBHOOK, "name": "x", "settings": {"url": URL},
          "conditions": {"mode": "sometimes"}}, "conditions"),
        ({"name": "x"}, "integration_id"),
        ({"integration_id": WEBHOOK, "name": "x", "colour": "red"}, "colour"),
    ],
)  # fmt: skip
async def test_each_invalid_field_is_named(
    client: TestClient[Any, Any], body: dict[str, Any], field: str
) -> None:
    errors = (await problem(await client.post("/api/configs", json=body, headers=AS_ADMIN), 422))[
        "errors"
    ]
    assert any((key.split(".")[0] in (field, "settings") and field in key) or key == field
               for key in errors), errors  # fmt: skip


async def test_an_invalid_edit_is_422_and_changes_nothing(client: TestClient[Any, Any]) -> None:
    created = await create(client)
    path = f"/api/configs/{created['id']}"
    response = await client.patch(path, json={"settings": {"url": "nope"}}, headers=AS_ADMIN)
    assert "url" in (await problem(response, 422))["errors"]
    await problem(await client.patch(path, json={"enabled": "maybe"}, headers=AS_ADMIN), 422)
    assert await (await client.get(path, headers=AS_ADMIN)).json() == created


async def test_unknown_ids_are_404(client: TestClient[Any, Any]) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, "/api/configs/cfg_nope", json={}, headers=AS_ADMIN)
        assert "cfg_nope" in (await problem(response, 404))["detail"]
    await problem(await client.post("/api/configs/cfg_nope/reveal-secret", headers=AS_ADMIN), 404)


async def test_pages_follow_each_other_to_the_end(client: TestClient[Any, Any]) -> None:
    made = [(await create(client, name=f"n{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = await (await client.get("/api/configs", params=query, headers=AS_ADMIN)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = await client.get("/api/configs", params={"cursor": "!!"}, headers=AS_ADMIN)
    assert "cursor" in (await problem(bad, 422))["errors"]
    zero = await client.get("/api/configs", params={"limit": "0"}, headers=AS_ADMIN)
    assert "limit" in (await problem(zero, 422))["errors"]


async def test_a_credential_in_a_webhooks_url_is_in_no_answer(
    client: TestClient[Any, Any],
) -> None:
    created = await create(client, settings={"url": f"{URL}?token=S3CRET"})
    path = f"/api/configs/{created['id']}"
    patched = await client.patch(
        path, json={"settings": {"url": "https://u:S3CRET@hooks.example.com/in"}},
        headers=AS_ADMIN,
    )  # fmt: skip
    answers = [
        created,
        await patched.json(),
        await (await client.get(path, headers=AS_ADMIN)).json(),
        await (await client.get("/api/configs", headers=AS_ADMIN)).json(),
    ]
    assert "S3CRET" not in repr(answers)
    assert answers[0]["settings"]["url"] == f"{URL}?token={MASK}"


async def test_integrations_are_listed_with_their_counts(client: TestClient[Any, Any]) -> None:
    await create(client)
    body = await (await client.get("/api/integrations", headers=AS_ADMIN)).json()
    webhook = next(i for i in body["integrations"] if i["id"] == WEBHOOK)
    assert (webhook["configs"], webhook["enabled_configs"], webhook["enabled"]) == (1, 1, True)


async def test_a_tenants_token_counts_only_its_tenants_configurations(
    api_settings: Settings,
) -> None:
    async def resolve(token: str) -> Principal | None:
        return Principal(scope=Scope.ADMIN, tenant=token) if token == "acme" else None

    async with serving(api_settings, resolve) as client:
        await create(client, tenant="other")
        body = await (
            await client.get("/api/integrations", headers={"Authorization": "Bearer acme"})
        ).json()
        webhook = next(i for i in body["integrations"] if i["id"] == WEBHOOK)
        assert (webhook["configs"], webhook["enabled"]) == (0, False)


async def test_integrations_are_listed_with_redis_down(api_settings: Settings) -> None:
    """What is installed is known without Redis (as the CLI lists it): counts ``null``."""
    nowhere = api_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with serving(nowhere) as client:
        answer = await client.get("/api/integrations", headers=AS_ADMIN)
        assert answer.status == 200, await answer.text()
        webhook = next(i for i in (await answer.json())["integrations"] if i["id"] == WEBHOOK)
        assert (webhook["configs"], webhook["enabled"]) == (None, None)
        await problem(await client.get("/api/configs", headers=AS_ADMIN), 503)


async def test_a_tenants_token_is_kept_to_its_tenant(api_settings: Settings) -> None:
    async def resolve(token: str) -> Principal | None:
        return Principal(scope=Scope.ADMIN, tenant=token) if token in ("acme", "other") else None

    acme = {"Authorization": "Bearer acme"}
    async with serving(api_settings, resolve) as client:
        theirs = await create(client, tenant="other")
        mine = await client.post(
            "/api/configs",
            json={"integration_id": WEBHOOK, "name": "m", "settings": {"url": URL}},
            headers=acme,
        )
        mine_body = await mine.json()
        assert mine_body["tenant"] == "acme"  # forced
        listed = await (await client.get("/api/configs", headers=acme)).json()
        assert [i["id"] for i in listed["items"]] == [mine_body["id"]]
        other = f"/api/configs/{theirs['id']}"
        for method in ("GET", "PATCH", "DELETE"):
            await problem(await client.request(method, other, json={}, headers=acme), 404)
        await problem(await client.post(f"{other}/reveal-secret", headers=acme), 404)
        wrong = {"integration_id": WEBHOOK, "name": "m", "settings": {"url": URL},
                 "tenant": "other"}  # fmt: skip
        await problem(await client.post("/api/configs", json=wrong, headers=acme), 403)
        move = await client.patch(
            f"/api/configs/{mine_body['id']}", json={"tenant": "other"}, headers=acme
        )
        await problem(move, 403)
        await problem(
            await client.get("/api/configs", params={"tenant": "other"}, headers=acme), 403
        )
        assert (await client.get(other, headers=AS_ADMIN)).status == 200  # untouched


async def test_a_tenant_with_all_its_configurations_may_create_or_move_in_no_more(
    api_settings: Settings,
) -> None:
    async with serving(api_settings.model_copy(update={"tenant_max_configs": 1})) as client:
        await create(client, tenant="acme")
        full = await client.post(
            "/api/configs",
            json={"integration_id": WEBHOOK, "name": "two", "settings": {"url": URL},
                  "tenant": "acme"},
            headers=AS_ADMIN,
        )  # fmt: skip
        body = await problem(full, 422)
        assert set(body["errors"]) == {"tenant"}
        assert "already has 1 configuration" in body["errors"]["tenant"]
        theirs = await create(client, tenant="globex")
        path = f"/api/configs/{theirs['id']}"
        move = await client.patch(path, json={"tenant": "acme"}, headers=AS_ADMIN)
        assert set((await problem(move, 422))["errors"]) == {"tenant"}
        assert await (await client.get(path, headers=AS_ADMIN)).json() == theirs  # unchanged
        listed = await (await client.get("/api/configs", headers=AS_ADMIN)).json()
        assert sorted(c["tenant"] for c in listed["items"]) == ["acme", "globex"]
        await create(client)  # no tenant: never counted
        await create(client)


async def test_a_tenant_max_configs_of_0_is_no_limit(api_settings: Settings) -> None:
    async with serving(api_settings.model_copy(update={"tenant_max_configs": 0})) as client:
        for n in range(3):
            await create(client, name=f"n{n}", tenant="acme")
