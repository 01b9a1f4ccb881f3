"""The web API under test: a real app on 127.0.0.1 (aiohttp's ``TestServer``), the tokens
the tests use, and reading a problem answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from switchboard.config import Settings
from switchboard.worker.web import create_app
from switchboard.worker.web.state import TOKEN_RESOLVER, TokenResolver

ADMIN = "admin-token-for-tests"
INGEST = "ingest-token-for-tests"
AS_ADMIN = {"Authorization": f"Bearer {ADMIN}"}
AS_INGEST = {"Authorization": f"Bearer {INGEST}"}


@asynccontextmanager
async def serving(
    settings: Settings, resolver: TokenResolver | None = None
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(settings)
    app[TOKEN_RESOLVER] = resolver
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def problem(response: Any, status: int) -> dict[str, Any]:
    """The body of a problem answer, after checking its status and content type."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    return body
