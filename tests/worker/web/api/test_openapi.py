"""The OpenAPI document is the routes: every route under /api is in it, with its models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient


async def test_every_api_route_is_in_the_document(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }
    documented = {(m, p) for p, methods in document["paths"].items() for m in methods}
    assert routes == documented
    assert len(routes) >= 16


async def test_each_reference_resolves(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', str(document).replace("'", '"')))
    assert refs
    assert refs <= set(document["components"]["schemas"])
    create = document["paths"]["/api/configs"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ConfigCreate"
    }
    assert "Problem" in str(create["responses"]["422"])
    names = [p["name"] for p in document["paths"]["/api/deliveries"]["get"]["parameters"]]
    assert {"status", "config_id", "tenant", "cursor", "limit"} <= set(names)


async def test_the_reference_page_renders_the_document(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/docs")
    page = await response.text()
    assert response.content_type == "text/html"
    assert "/api/configs/{config_id}/reveal-secret" in page
    assert "id=problem-422" in page
    assert "id=schema-ConfigCreate" in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
