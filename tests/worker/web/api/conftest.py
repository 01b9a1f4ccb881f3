"""Fixtures: settings with both environment tokens set, and a client of a real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from support.api import ADMIN, INGEST, serving

from switchboard.config import Settings


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"admin_token": SecretStr(ADMIN), "ingest_token": SecretStr(INGEST)}
    )


@pytest.fixture
async def client(api_settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(api_settings) as the_client:
        yield the_client
