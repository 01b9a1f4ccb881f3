"""Fixtures: settings with the admin token set, a client of a real app, and that client
signed in (its form token for POSTs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from support.api import ADMIN, INGEST
from support.ui import signed_in

from switchboard.config import Settings
from switchboard.worker.web import create_app


@pytest.fixture
def ui_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"admin_token": SecretStr(ADMIN), "ingest_token": SecretStr(INGEST)}
    )


@pytest.fixture
async def client(ui_settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(ui_settings), host="127.0.0.1")) as the_client:
        yield the_client


@pytest.fixture
async def csrf(client: TestClient[Any, Any]) -> str:
    """``client``, signed in with the admin token: the session's form token."""
    return await signed_in(client, ADMIN)
