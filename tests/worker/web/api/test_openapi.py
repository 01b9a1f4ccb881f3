"""The OpenAPI document is the routes: every route under /api is in it, with its models."""

from __future__ import annotations

import io
import re
from typing import Any

from aiohttp.test_utils import TestClient
from support.api import AS_ADMIN


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
    # Parameters in words, descriptions' `code` as code: no raw JSON schema, no backticks.
    assert "<td>integer, 1 to 500, default 50<td>" in page
    assert "<a href=#schema-DeliveryStatus><code>DeliveryStatus</code></a>" in page
    assert "`" not in page.split("<h2>Schemas</h2>")[0]


async def test_each_body_taking_operation_documents_what_its_body_may_answer(
    client: TestClient[Any, Any],
) -> None:
    """Any body may be too large (aiohttp's 1 MiB), not JSON, or invalid: each operation
    that takes one documents 413, 400 and 422 as problems, and answers them so."""
    document = await (await client.get("/api/openapi.json")).json()
    taking = [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    ]
    assert len(taking) >= 5
    for method, path, operation in taking:
        url = path.replace("{config_id}", "cfg_x").replace("{delivery_id}", "dlv_x")
        for body, status in [(b'"' + b"x" * (2 << 20) + b'"', 413), (b"{nope", 400)]:
            response = await client.request(method, url, data=io.BytesIO(body), headers=AS_ADMIN)
            assert response.status == status, (method, path, await response.text())
            assert response.content_type == "application/problem+json"
            documented = operation["responses"][str(status)]["content"]
            assert list(documented) == ["application/problem+json"], (method, path)
        assert "422" in operation["responses"], (method, path)


async def test_answers_document_their_media_type_and_headers(
    client: TestClient[Any, Any],
) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    page = document["paths"]["/api/docs"]["get"]["responses"]["200"]
    assert list(page["content"]) == ["text/html"]
    own = document["paths"]["/api/openapi.json"]["get"]["responses"]["200"]
    assert list(own["content"]) == ["application/json"]
    assert (
        "content" not in document["paths"]["/api/configs/{config_id}"]["delete"]["responses"]["204"]
    )
    unauthorized = document["paths"]["/api/configs"]["get"]["responses"]["401"]
    assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True
    response = await client.get("/api/configs")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    shown = document["paths"]["/api/deliveries/{delivery_id}"]["get"]["responses"]
    assert "404" in shown
