"""Configurations for the admin UI's tests: a ``ConfigAdmin`` over the test store with the
installed integrations (as the app has them), and a client signed in for one tenant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from support.ui import signed_in
from switchboard.config import ConfigStore, Scope, Settings, TokenStore, open_redis
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.worker.web import create_app

__all__ = ["config_admin", "field_html", "tenant_client"]


def config_admin(store: ConfigStore, *extra: str) -> ConfigAdmin:
    """The admin the app's services hold (the installed integrations, and ``extra`` dotted
    paths), over ``store``."""
    manager = IntegrationManager()
    manager.load_plugins(extra)
    return ConfigAdmin(manager, store)


@asynccontextmanager
async def tenant_client(
    settings: Settings, tenant: str
) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    """A client of a real app signed in with a new admin token of ``tenant``, and its
    form token."""
    async with open_redis(settings) as redis:
        _, token = await TokenStore.for_settings(redis, settings).create(Scope.ADMIN, tenant)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, await signed_in(client, token)


def field_html(page: str, name: str) -> str:
    """The element (``input``, ``select`` or ``textarea``, with its content) posting ``name``."""
    match = re.search(
        rf'<(input|select|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?</\1>)?', page, re.S
    )
    assert match, f"no field named {name!r} in the page"
    return match[0]
