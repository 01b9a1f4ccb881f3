"""``/ui/``: each installed integration with its icon (both resolutions in ``srcset``, a
placeholder without), its description, its configurations counted (a tenant's own only)
and a link to add one; icons are served from the package that declared them."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support.ui import signed_in

from switchboard.config import ConfigStore, Scope, Settings, TokenStore, open_redis
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.worker.web import create_app

URL = "https://hooks.example.com/in"


async def _configs(store: ConfigStore) -> None:
    manager = IntegrationManager()
    manager.load_plugins(())
    admin = ConfigAdmin(manager, store)
    await admin.create("switchboard.webhook", name="on", settings={"url": URL})
    await admin.create("switchboard.webhook", name="off", enabled=False, settings={"url": URL})
    await admin.create("switchboard.webhook", name="theirs", tenant="acme", settings={"url": URL})


async def test_integrations_with_icons_counts_and_add(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    await _configs(store)
    page = await (await client.get("/ui/")).text()
    slack = re.search(r'<img class="icon" src="([^"]+)" srcset="([^"]+)"', page)
    assert slack, page
    one, both = slack.groups()
    assert both == f"{one} 1x, {one.replace('.png', '@2x.png')} 2x"
    icon = await client.get(one)
    assert (icon.status, icon.content_type) == (200, "image/png")
    assert (await icon.read()).startswith(b"\x89PNG")
    assert 'class="icon placeholder"' in page  # the webhook has no icon
    assert "2 enabled of 3 configurations" in page
    assert 'href="/ui/configs/new?integration_id=switchboard.webhook"' in page


async def test_a_tenants_page_counts_its_own(settings: Settings, store: ConfigStore) -> None:
    await _configs(store)
    async with open_redis(settings) as redis:
        _, token = await TokenStore.for_settings(redis, settings).create(Scope.ADMIN, "acme")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        await signed_in(client, token)
        page = await (await client.get("/ui/")).text()
    assert "1 enabled of 1 configuration<" in page
    assert "of 3 configurations" not in page


async def test_only_declared_packages_static_images_are_served(
    client: TestClient[Any, Any], csrf: str
) -> None:
    base = "/static/switchboard.integrations.builtin.chat"
    assert (await client.get(f"{base}/icons/slack.png")).status == 200
    for path in (
        f"{base}/../__init__.py",
        f"{base}/icons/%2e%2e/x.png",
        f"{base}/icons/.hidden.png",
        f"{base}/icons/slack.py",
        "/static/switchboard.config/settings.py",
        "/static/os/x.png",
        f"{base}/icons/missing.png",
    ):
        assert (await client.get(path)).status == 404, path
