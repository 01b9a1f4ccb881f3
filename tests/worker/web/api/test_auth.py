"""Bearer tokens: who may call what, and the problems the others get (401, 403, 503)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from support.api import ADMIN, AS_ADMIN, AS_INGEST, problem, serving

from switchboard.config import Settings
from switchboard.config.tokens import Principal, Scope


async def test_no_token_is_401_with_a_bearer_challenge(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/configs")
    body = await problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize(
    "header", [f"Bearer {ADMIN}x", f"Basic {ADMIN}", "Bearer ", ADMIN, f"Bearer {ADMIN[:-1]}"]
)
async def test_a_wrong_token_is_401(client: TestClient[Any, Any], header: str) -> None:
    response = await client.get("/api/configs", headers={"Authorization": header})
    await problem(response, 401)
    assert "WWW-Authenticate" in response.headers


async def test_the_admin_token_is_let_in(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/configs", headers=AS_ADMIN)
    assert response.status == 200
    assert await response.json() == {"items": [], "next_cursor": None}


async def test_the_ingest_token_on_admin_routes_is_403(client: TestClient[Any, Any]) -> None:
    for method, path in [("GET", "/api/configs"), ("GET", "/api/integrations"),
                         ("DELETE", "/api/configs/cfg_x"), ("GET", "/api/deliveries")]:  # fmt: skip
        body = await problem(await client.request(method, path, headers=AS_INGEST), 403)
        assert "ingest" in body["detail"]


async def test_without_an_admin_token_the_admin_api_is_off(settings: Settings) -> None:
    async with serving(settings) as client:
        body = await problem(await client.get("/api/configs", headers=AS_ADMIN), 503)
        assert "SWITCHBOARD_ADMIN_TOKEN" in body["detail"]
        ingest = await client.post("/api/events", json={"type": "a.b"}, headers=AS_INGEST)
        assert "SWITCHBOARD_INGEST_TOKEN" in (await problem(ingest, 503))["detail"]


async def test_an_empty_admin_token_lets_nobody_in(settings: Settings) -> None:
    empty = settings.model_copy(update={"admin_token": SecretStr("")})
    async with serving(empty) as client:
        await problem(await client.get("/api/configs", headers={"Authorization": "Bearer "}), 401)
        response = await client.get("/api/configs", headers={"Authorization": "Bearer x"})
        await problem(response, 401)


async def test_a_resolver_answers_for_other_tokens(api_settings: Settings) -> None:
    asked: list[str] = []

    async def resolve(token: str) -> Principal | None:
        asked.append(token)
        return Principal(scope=Scope.INGEST, tenant="acme") if token == "t-acme" else None

    async with serving(api_settings, resolve) as client:
        tenant = {"Authorization": "Bearer t-acme"}
        await problem(await client.get("/api/configs", headers=tenant), 403)
        await problem(await client.get("/api/configs", headers={"Authorization": "Bearer no"}), 401)
        assert (await client.get("/api/configs", headers=AS_ADMIN)).status == 200
    assert asked == ["t-acme", "no"]  # the environment's tokens never reach it
