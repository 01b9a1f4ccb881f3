"""The web API under test: a real app on 127.0.0.1 (aiohttp's ``TestServer``), the tokens
the tests use, reading a problem answer, and the events ingest queued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
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


async def queued_events(settings: Settings, redis_client: Any) -> list[dict[str, Any]]:
    """Every event on the queue, decoded from its jobs."""
    events = []
    for job_id in await redis_client.zrange(settings.effective_queue_name, 0, -1):
        job = orjson.loads(await redis_client.get(f"arq:job:{job_id.decode()}"))
        events += [orjson.loads(text) for batch in job["a"] for text in batch]
    return events
