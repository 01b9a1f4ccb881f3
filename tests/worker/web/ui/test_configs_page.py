"""``/ui/configs`` and the actions on a configuration: the list (filters, pages, orphans
marked, the last outcome and the last day's chart from its recent attempts), enable and
disable, delete after a confirm page, a test event, the signing secret's reveal, and a
tenant's session held to its tenant."""

from __future__ import annotations

import logging
import re
import time
from html import unescape
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from markupsafe import escape
from support.api import queued_events
from support.attempts import record_attempt
from support.configs import config_admin, tenant_client
from support.form_sample import GONE_PATH
from support.ui import post_form

from switchboard.config import ConfigNotFoundError, ConfigRecord, ConfigStore, Redis, RedisKeys
from switchboard.config import Settings as AppSettings
from switchboard.worker.errors import UntestableConfigError

WEBHOOK = "switchboard.webhook"
URL = {"url": "https://hooks.example.com/in"}
SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


async def _seeded(store: ConfigStore) -> dict[str, ConfigRecord]:
    admin = config_admin(store, GONE_PATH)
    return {
        "hook": await admin.create(WEBHOOK, name="hook", settings={**URL, "secret": SECRET}),
        "off": await admin.create(WEBHOOK, name="off", enabled=False, settings=URL),
        "acme": await admin.create(WEBHOOK, name="acme's", tenant="acme", settings=URL),
        "chat": await admin.create(
            "switchboard.slack",
            name="chat",
            settings={"webhook_url": "https://hooks.slack.com/services/T0/B0/x"},
        ),
        "ghost": await admin.create("tests.gone", name="ghost", settings={"count": 1}),
    }


def _names(page: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<td><a href="/ui/configs/cfg_\w+">([^<]+)</a>', page)]


async def _page(client: TestClient[Any, Any], path: str) -> str:
    answer = await client.get(path)
    assert answer.status == 200, await answer.text()
    return await answer.text()


async def test_the_list_with_its_filters_and_orphans_marked(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    await _seeded(store)
    page = await _page(client, "/ui/configs")
    assert _names(page) == ["hook", "off", "acme's", "chat", "ghost"]
    ghost = re.search(r'<tr class="orphaned">.*?</tr>', page, re.S)
    assert ghost
    assert '>ghost</a> <span class="tag">orphaned</span>' in ghost[0]
    assert page.count('<tr class="orphaned">') == 1
    assert '<img class="icon small" src="/static/' in page  # Slack's icon
    assert 'class="icon small placeholder"' in page  # the webhook has none
    assert re.search(r'value="true"[^>]*aria-label="Enable off">Enable</button>', page)
    assert re.search(r'value="false"[^>]*aria-label="Disable hook">Disable</button>', page)
    for query, names in (
        ("integration_id=switchboard.slack", ["chat"]),
        ("state=disabled", ["off"]),
        ("state=enabled", ["hook", "acme's", "chat", "ghost"]),
        ("state=orphaned", ["ghost"]),
        ("tenant=acme", ["acme's"]),
        ("tenant=acme&state=disabled", []),
    ):
        assert _names(await _page(client, f"/ui/configs?{query}")) == names, query
    assert 'value="orphaned" selected' in await _page(client, "/ui/configs?state=orphaned")


async def test_the_last_outcome_and_the_chart_come_from_the_recent_attempts(
    client: TestClient[Any, Any],
    csrf: str,
    store: ConfigStore,
    redis_client: Redis,
    keys: RedisKeys,
) -> None:
    hook = (await _seeded(store))["hook"]
    now = time.time()
    for n, (ago, ok) in enumerate(
        ((30 * 3600, True), (2 * 3600, True), (90, True), (60, True), (30, False))
    ):
        await record_attempt(
            redis_client, keys, config_id=hook.id, at=now - ago, ok=ok, event_id=f"evt_{n}"
        )
    page = await _page(client, "/ui/configs")
    row = re.search(rf'<tr>\s*<td><a href="/ui/configs/{hook.id}">.*?</tr>', page, re.S)
    assert row
    assert '<span class="status failed">Failed</span> <span class="meta">HTTP 500</span>' in row[0]
    assert re.search(r'<time class="meta" datetime="[\d-]+T[\d:.]+\+00:00">', row[0])
    title = (
        "Last 24 hours: 3 of 4 attempts succeeded (75%), 1 failed "
        "(from the latest 100 attempts kept)."
    )
    assert f'<title id="chart-{hook.id}">{title}</title>' in row[0]
    assert row[0].count("<g><title>") == 24
    # In the last hour's bar (the one before, if this hour began under a minute ago).
    assert re.search(r'<rect class="failed" x="11[05]" y="0" width="4" height="\d+"/>', row[0])
    assert '<rect class="ok"' in row[0]
    assert row[0].count('<rect class="none"') >= 21
    assert "style=" not in page
    assert "<script" not in page
    others = page.replace(row[0], "")
    assert "none yet" in others  # the others have no attempt
    assert 'class="failed"' not in others


async def test_pages_of_the_list_keep_their_filter(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    admin = config_admin(store)
    for n in range(53):
        await admin.create(WEBHOOK, name=f"c{n:02}", enabled=n != 7, settings=URL)
    first = await _page(client, "/ui/configs?state=enabled")
    assert _names(first) == [f"c{n:02}" for n in range(51) if n != 7]
    following = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first)
    assert following
    assert "state=enabled" in following[1]
    rest = await _page(client, following[1].replace("&amp;", "&"))
    assert _names(rest) == ["c51", "c52"]
    assert 'rel="next"' not in rest
    assert 'href="/ui/configs?state=enabled">First page</a>' in rest
    assert (await client.get("/ui/configs?cursor=not-a-cursor")).status == 400


async def test_enable_and_disable_go_back_to_the_list_they_came_from(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    hook = (await _seeded(store))["hook"]
    path = f"/ui/configs/{hook.id}/enabled"
    back = {"enabled": "false", "back": "/ui/configs?state=enabled"}
    answer = await post_form(client, path, csrf, back)
    assert (answer.status, answer.headers["Location"]) == (
        303,
        "/ui/configs?state=enabled&notice=disabled",
    )
    assert not (await store.get(hook.id)).enabled
    page = await _page(client, answer.headers["Location"])
    assert '<p class="notice" role="status">Configuration disabled.</p>' in page
    answer = await post_form(client, path, csrf, {"enabled": "true", "back": "https://evil/"})
    assert answer.headers["Location"] == "/ui/configs?notice=enabled"
    assert (await store.get(hook.id)).enabled
    assert (await client.post(path, data={"enabled": "false"})).status == 403  # no form token
    assert (await post_form(client, "/ui/configs/cfg_nope/enabled", csrf, {})).status == 404


async def test_delete_asks_first(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    hook = (await _seeded(store))["hook"]
    confirm = await _page(client, f"/ui/configs/{hook.id}/delete")
    assert "Delete configuration <b>hook</b>" in confirm
    assert "This cannot be undone." in confirm
    assert f'<form method="post" action="/ui/configs/{hook.id}/delete"' in confirm
    await store.get(hook.id)  # a GET deletes nothing
    answer = await post_form(client, f"/ui/configs/{hook.id}/delete", csrf, {})
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=deleted")
    with pytest.raises(ConfigNotFoundError):
        await store.get(hook.id)
    assert (await client.get(f"/ui/configs/{hook.id}/delete")).status == 404


async def test_a_test_event_is_queued_then_its_deliveries_shown(
    client: TestClient[Any, Any],
    csrf: str,
    store: ConfigStore,
    ui_settings: AppSettings,
    redis_client: Redis,
) -> None:
    seeded = await _seeded(store)
    hook = seeded["hook"]
    assert f'action="/ui/configs/{hook.id}/test"' in await _page(client, f"/ui/configs/{hook.id}")
    answer = await post_form(client, f"/ui/configs/{hook.id}/test", csrf, {})
    assert (answer.status, answer.headers["Location"]) == (
        303,
        f"/ui/deliveries?config_id={hook.id}&notice=test_sent",
    )
    [event] = await queued_events(ui_settings, redis_client)
    assert (event["type"], event["config_id"]) == ("switchboard.test", hook.id)
    for name, reason in (
        ("off", "it is disabled (enable it first)"),
        ("ghost", 'its integration "tests.gone" is not installed'),
    ):
        refused = await post_form(client, f"/ui/configs/{seeded[name].id}/test", csrf, {})
        assert refused.status == 409
        page = await refused.text()
        said = escape(str(UntestableConfigError(seeded[name].id, reason)))  # the API's words
        assert f'<p class="error block" role="alert">{said}</p>' in page
        assert f'value="{seeded[name].name}"' in page  # its form, as stored
    assert len(await queued_events(ui_settings, redis_client)) == 1


async def test_the_signing_secret_only_on_its_own_page(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore, caplog: pytest.LogCaptureFixture
) -> None:
    seeded = await _seeded(store)
    hook = seeded["hook"]
    edit = await _page(client, f"/ui/configs/{hook.id}")
    assert f'action="/ui/configs/{hook.id}/reveal-secret"' in edit
    assert SECRET not in edit
    with caplog.at_level(logging.WARNING):
        answer = await post_form(client, f"/ui/configs/{hook.id}/reveal-secret", csrf, {})
    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert f'<pre class="secret">{SECRET}</pre>' in await answer.text()
    assert f"Signing secrets of configuration {hook.id} revealed to the admin token" in caplog.text
    assert SECRET not in caplog.text
    chat = seeded["chat"]
    assert "reveal-secret" not in await _page(client, f"/ui/configs/{chat.id}")
    for name, words in (("chat", "does not sign its deliveries"), ("ghost", "is registered")):
        refused = await post_form(client, f"/ui/configs/{seeded[name].id}/reveal-secret", csrf, {})
        assert refused.status == 409
        assert words in await refused.text()
    assert (await client.get(f"/ui/configs/{hook.id}/reveal-secret")).status == 405


async def test_a_tenants_session_sees_and_acts_on_its_own_only(
    ui_settings: AppSettings, store: ConfigStore
) -> None:
    seeded = await _seeded(store)
    async with tenant_client(ui_settings, "acme") as (client, csrf):
        page = await _page(client, "/ui/configs")
        assert _names(page) == ["acme's"]
        assert 'name="tenant"' not in page
        assert _names(await _page(client, "/ui/configs?tenant=")) == ["acme's"]
        assert _names(await _page(client, "/ui/configs?state=orphaned")) == []
        hook = seeded["hook"].id
        assert (await client.get(f"/ui/configs/{hook}")).status == 404
        assert (await client.get(f"/ui/configs/{hook}/delete")).status == 404
        for action in ("enabled", "delete", "test", "reveal-secret"):
            answer = await post_form(client, f"/ui/configs/{hook}/{action}", csrf, {})
            assert answer.status == 404, action
        own = seeded["acme"].id
        answer = await post_form(client, f"/ui/configs/{own}/enabled", csrf, {"enabled": "false"})
        assert answer.status == 303
    assert (await store.get(seeded["hook"].id)).enabled
    assert not (await store.get(seeded["acme"].id)).enabled


async def test_an_unreadable_configuration_is_shown_to_the_admin_and_deletable(
    client: TestClient[Any, Any],
    csrf: str,
    ui_settings: AppSettings,
    redis_client: Redis,
    keys: RedisKeys,
    store: ConfigStore,
) -> None:
    """A record this server cannot read (a newer schema, a secret key missing) is neither
    dropped from sight nor a 500: listed for the admin, 409 on its pages, deletable."""
    await redis_client.hset(keys.configs, "cfg_unreadable", '{"schema_version": 999}')
    page = await _page(client, "/ui/configs")
    assert "1 configuration cannot be read" in page
    assert "cfg_unreadable" in page
    assert (await client.get("/ui/configs/cfg_unreadable")).status == 409
    assert (await client.get("/ui/configs/cfg_unreadable/delete")).status == 409
    async with tenant_client(ui_settings, "acme") as (tenant, tenant_csrf):
        assert "cannot be read" not in await _page(tenant, "/ui/configs")
        assert (await tenant.get("/ui/configs/cfg_unreadable")).status == 404
        refused = await post_form(tenant, "/ui/configs/cfg_unreadable/delete", tenant_csrf, {})
        assert refused.status == 404
    deleted = await post_form(client, "/ui/configs/cfg_unreadable/delete", csrf, {})
    assert deleted.status == 303
    assert await redis_client.hget(keys.configs, "cfg_unreadable") is None
