"""The configuration form (``/ui/configs/new``, ``/ui/configs/{id}``): generated from the
integration's ``ConfigForm`` (fieldsets in order, a widget per type), validation errors
next to their fields in ``ConfigAdmin``'s words, secrets never in a page and kept when
left blank, and a tenant's session held to its tenant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape
from support.api import ADMIN
from support.configs import config_admin, field_html, tenant_client
from support.form_sample import GONE_PATH, SAMPLE_PATH
from support.ui import post_form, signed_in

from switchboard.config import ConfigStore, Settings
from switchboard.integrations import ConfigValidationError
from switchboard.worker.web import create_app

WEBHOOK = "switchboard.webhook"
NEW_WEBHOOK = f"/ui/configs/new?integration_id={WEBHOOK}"
SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
HEADER = "Bearer header-token-1234"
URL_TOKEN = "query-token-5678"


@pytest.fixture
async def sample(ui_settings: Settings) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    """A client of an app with the sample integration installed, and its form token."""
    settings = ui_settings.model_copy(update={"integrations": (SAMPLE_PATH,)})
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, await signed_in(client, ADMIN)


def _legends(page: str) -> list[str]:
    return re.findall(r"<legend>([^<]+)</legend>", page)


async def test_the_fields_follow_the_integrations_form(
    sample: tuple[TestClient[Any, Any], str],
) -> None:
    client, _ = sample
    page = await (await client.get("/ui/configs/new?integration_id=tests.sample")).text()
    assert _legends(page) == ["Basic info", "Numbers", "Words", "Conditions"]
    assert page.index('name="setting.count"') < page.index('name="setting.level"')
    assert page.index('name="setting.labels"') < page.index('name="setting.ports"')
    assert '<p class="hint">Figures.</p>' in page
    count = field_html(page, "setting.count")
    assert 'type="number"' in count
    assert 'step="1"' in count
    assert " required" in count
    ratio = field_html(page, "setting.ratio")
    assert 'step="any"' in ratio
    assert 'placeholder="0.5"' in ratio
    assert " required" not in ratio
    loud = field_html(page, "setting.loud")
    assert 'type="checkbox"' in loud
    assert "checked" not in loud
    level = field_html(page, "setting.level")
    assert level.startswith("<select")
    assert '<option value="">Default (low)</option>' in level
    assert '<option value="high">high</option>' in level
    colour = field_html(page, "setting.colour")
    assert '<option value="">None</option>' in colour
    assert '<option value="blue">' in colour
    for name in ("setting.tags", "setting.labels", "setting.ports"):
        assert field_html(page, name).startswith("<textarea")
    assert 'type="password"' in field_html(page, "setting.token")
    assert 'type="checkbox"' in field_html(page, "enabled")
    assert 'type="text"' in field_html(page, "tenant")
    assert 'type="number"' in field_html(page, "rate_limit")
    webhook = await (await client.get(NEW_WEBHOOK)).text()
    assert 'type="url"' in field_html(webhook, "setting.url")
    assert (await client.get("/ui/configs/new?integration_id=nope")).status == 404


async def test_every_widget_reads_back_what_was_typed(
    sample: tuple[TestClient[Any, Any], str], store: ConfigStore
) -> None:
    client, csrf = sample
    typed = {
        "name": "all kinds",
        "enabled": "on",
        "rate_limit": "2.5",
        "setting.count": "3",
        "setting.ratio": "1.5",
        "setting.loud": "on",
        "setting.level": "high",
        "setting.colour": "blue",
        "setting.tags": "a\r\n\r\nb\r\n",
        "setting.labels": "x: 1\ny: two: three",
        "setting.ports": "[80, 443]",
        "setting.token": "tok-secret",
    }
    answer = await post_form(client, "/ui/configs/new?integration_id=tests.sample", csrf, typed)
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=created")
    [record], _ = await store.list()
    assert record.rate_limit == 2.5
    assert record.settings == {
        "count": 3,
        "ratio": 1.5,
        "loud": True,
        "level": "high",
        "colour": "blue",
        "tags": ["a", "b"],
        "labels": {"x": "1", "y": "two: three"},
        "ports": [80, 443],
        "token": "tok-secret",
    }
    page = await (await client.get(f"/ui/configs/{record.id}")).text()
    assert 'value="3"' in field_html(page, "setting.count")
    assert "checked" in field_html(page, "setting.loud")
    assert '<option value="blue" selected>' in field_html(page, "setting.colour")
    assert ">a\nb</textarea>" in field_html(page, "setting.tags")
    assert ">x: 1\ny: two: three</textarea>" in field_html(page, "setting.labels")
    assert ">[80,443]</textarea>" in field_html(page, "setting.ports")
    assert "tok-secret" not in page
    assert 'value="2.5"' in field_html(page, "rate_limit")


async def test_a_setting_left_blank_is_removed(
    sample: tuple[TestClient[Any, Any], str], store: ConfigStore
) -> None:
    client, csrf = sample
    record = await config_admin(store, SAMPLE_PATH).create(
        "tests.sample", name="s", settings={"count": 1, "ratio": 2.0, "tags": ["x"]}
    )
    page = await (await client.get(f"/ui/configs/{record.id}")).text()
    form = {
        "name": "s",
        "enabled": "on",
        "setting.count": "1",
        "setting.ratio": "",
        "setting.tags": "x",
        "setting.level": "",
    }
    assert 'value="2.0"' in field_html(page, "setting.ratio")
    answer = await post_form(client, f"/ui/configs/{record.id}", csrf, form)
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=saved")
    assert (await store.get(record.id)).settings["ratio"] == 0.5  # the form's default


async def test_a_setting_left_blank_follows_the_integrations_default(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    page = await (await client.get("/ui/configs/new?integration_id=zulip")).text()
    assert 'placeholder="{type}"' in field_html(page, "setting.topic")
    typed = {
        "name": "z",
        "setting.site": "https://chat.example.com",
        "setting.stream": "s",
        "setting.bot_email": "bot@example.com",
        "setting.api_key": "k",
        "setting.topic": "",
    }
    answer = await post_form(client, "/ui/configs/new?integration_id=zulip", csrf, typed)
    assert answer.status == 303, await answer.text()
    [record], _ = await store.list()
    assert "topic" not in record.settings  # config.get() keeps following default_settings
    assert "event_types" not in record.settings


async def test_a_validation_error_shows_next_to_its_field_then_it_is_fixed(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    with pytest.raises(ConfigValidationError) as refused:  # what the CLI would say
        await config_admin(store).create(WEBHOOK, name="hook", settings={"url": "ftp://x"})
    reason = refused.value.errors["url"]
    typed = {
        "name": "hook",
        "enabled": "on",
        "setting.url": "ftp://x",
        "setting.secret": SECRET,
        "setting.headers": "no colon here",
    }
    answer = await post_form(client, NEW_WEBHOOK, csrf, typed)
    assert answer.status == 422
    page = await answer.text()
    url = field_html(page, "setting.url")
    assert 'aria-invalid="true"' in url
    assert 'value="ftp://x"' in url
    assert re.search(r'aria-describedby="[^"]*\bf-setting-url-error\b', url)
    assert f'<p class="error" id="f-setting-url-error">{escape(reason)}</p>' in page
    assert f'<a href="#f-setting-url">URL</a>: {escape(reason)}' in page  # the summary
    assert "line 1: write each entry as &#39;name: value&#39;" in page
    assert 'value="hook"' in field_html(page, "name")
    assert SECRET not in page
    assert 'id="f-setting-secret-retype"' in page
    assert (await store.list())[0] == []
    fixed = {**typed, "setting.url": "https://hooks.example.com/in", "setting.headers": ""}
    answer = await post_form(client, NEW_WEBHOOK, csrf, fixed)
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=created")
    [record], _ = await store.list()
    assert record.settings["url"] == "https://hooks.example.com/in"
    assert record.settings["secret"] == SECRET


async def test_a_secret_never_reaches_a_page(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    admin = config_admin(store)
    record = await admin.create(
        WEBHOOK,
        name="hook",
        settings={
            "url": f"https://user:pw-9876@hooks.example.com/in?token={URL_TOKEN}",
            "secret": SECRET,
            "headers": {"Authorization": HEADER},
        },
    )
    slack = await admin.create(
        "switchboard.slack",
        name="chat",
        settings={"webhook_url": "https://hooks.slack.com/services/T0/B0/slack-secret-path"},
    )
    edit = f"/ui/configs/{record.id}"
    pages = [
        await (await client.get(path)).text()
        for path in ("/ui/configs", edit, f"{edit}/delete", f"/ui/configs/{slack.id}")
    ]
    for refused in (
        {"name": "", "setting.url": "https://hooks.example.com/in"},
        {"name": "hook", "setting.url": "nope", "setting.secret": "whsec_retyped-secret-value"},
    ):
        answer = await post_form(client, edit, csrf, refused)
        assert answer.status == 422
        pages.append(await answer.text())
    for page in pages:
        for secret in (SECRET, HEADER, URL_TOKEN, "pw-9876", "slack-secret-path", "retyped"):
            assert secret not in page
    url = field_html(pages[1], "setting.url")
    assert "https://user:********@hooks.example.com/in?token=********" in url
    assert "<textarea" in field_html(pages[1], "setting.headers")
    assert 'id="f-setting-secret-set">Set; left blank it is kept.' in pages[1]
    assert 'type="password"' in field_html(pages[3], "setting.webhook_url")
    assert " required" not in field_html(pages[3], "setting.webhook_url")  # set: kept if blank


async def test_a_secret_left_blank_is_kept_and_removed_when_asked(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    url = f"https://hooks.example.com/in?token={URL_TOKEN}"
    record = await config_admin(store).create(
        WEBHOOK,
        name="hook",
        settings={"url": url, "secret": SECRET, "headers": {"Authorization": HEADER}},
    )
    edit = f"/ui/configs/{record.id}"
    page = await (await client.get(edit)).text()
    shown = re.search(r'value="([^"]+)"', field_html(page, "setting.url"))
    assert shown
    as_shown = {
        "name": "renamed",
        "enabled": "on",
        "setting.url": shown[1],
        "setting.event_types": "*",
        "setting.secret": "",
        "setting.headers": "",
    }
    answer = await post_form(client, edit, csrf, as_shown)
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=saved")
    saved = await store.get(record.id)
    assert saved.name == "renamed"
    assert saved.settings["url"] == url  # its masked token kept, not "********"
    # Edited around its masks (a new path): the masked token is still kept, not saved as
    # "********"; a mask where the stored URL has nothing to give back is refused.
    moved = {**as_shown, "setting.url": shown[1].replace("/in", "/in2")}
    assert (await post_form(client, edit, csrf, moved)).status == 303
    assert (await store.get(record.id)).settings["url"] == url.replace("/in", "/in2")
    invented = {**as_shown, "setting.url": shown[1] + "&other=********"}
    refused = await post_form(client, edit, csrf, invented)
    assert refused.status == 422
    assert "type it whole" in await refused.text()
    assert URL_TOKEN not in await refused.text()
    assert (await store.get(record.id)).settings["url"] == url.replace("/in", "/in2")
    await post_form(client, edit, csrf, as_shown | {"setting.url": url})  # as it was
    assert saved.settings["secret"] == SECRET
    assert saved.settings["headers"] == {"Authorization": HEADER}
    page = await (await client.get(edit)).text()
    assert 'name="unset" value="headers"' in page
    assert 'name="unset" value="secret"' not in page  # a removed secret would be regenerated
    answer = await post_form(client, edit, csrf, [*as_shown.items(), ("unset", "headers")])
    assert answer.status == 303
    assert (await store.get(record.id)).settings["headers"] == {}  # the form's default
    assert (await store.get(record.id)).settings["secret"] == SECRET


async def test_a_tenants_session_creates_in_its_tenant_and_sees_no_other(
    ui_settings: Settings, store: ConfigStore
) -> None:
    theirs = await config_admin(store).create(
        WEBHOOK, name="theirs", tenant="globex", settings={"url": "https://h.example.com/"}
    )
    async with tenant_client(ui_settings, "acme") as (client, csrf):
        page = await (await client.get(NEW_WEBHOOK)).text()
        assert 'name="tenant"' not in page
        assert "Tenant: <b>acme</b>" in page
        typed = {
            "name": "mine",
            "enabled": "on",
            "tenant": "globex",
            "setting.url": "https://hooks.example.com/in",
        }
        answer = await post_form(client, NEW_WEBHOOK, csrf, typed)
        assert answer.status == 303
        assert (await client.get(f"/ui/configs/{theirs.id}")).status == 404
        edit = await post_form(client, f"/ui/configs/{theirs.id}", csrf, {"name": "x"})
        assert edit.status == 404
    mine, _ = await store.list(tenant="acme")
    assert [r.name for r in mine] == ["mine"]
    assert [r.name for r in (await store.list(tenant="globex"))[0]] == ["theirs"]


async def test_a_tenants_cap_shows_as_a_field_error(
    ui_settings: Settings, store: ConfigStore
) -> None:
    settings = ui_settings.model_copy(update={"tenant_max_configs": 1})
    await config_admin(store).create(
        WEBHOOK, name="first", tenant="acme", settings={"url": "https://h.example.com/"}
    )
    typed = {"name": "second", "setting.url": "https://h.example.com/", "tenant": "acme"}
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        answer = await post_form(client, NEW_WEBHOOK, await signed_in(client, ADMIN), typed)
        page = await answer.text()
        assert answer.status == 422
        assert 'aria-invalid="true"' in field_html(page, "tenant")
        assert "already has 1 configurations, the most it may have" in page
    async with tenant_client(settings, "acme") as (client, csrf):
        answer = await post_form(client, NEW_WEBHOOK, csrf, typed)
        page = await answer.text()
        assert answer.status == 422
        assert '<p class="error" id="f-tenant-error">already has 1 configurations' in page


async def test_an_orphans_form_changes_all_but_its_settings(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    ghost = await config_admin(store, GONE_PATH).create(
        "tests.gone", name="ghost", settings={"count": 1, "token": "orphan-secret"}
    )
    page = await (await client.get(f"/ui/configs/{ghost.id}")).text()
    assert "is not installed" in page
    assert _legends(page) == ["Basic info", "Conditions"]
    assert 'name="setting.' not in page
    assert "orphan-secret" not in page
    typed = {"name": "renamed ghost", "rate_limit": "3", "conditions.mode": "always"}
    answer = await post_form(client, f"/ui/configs/{ghost.id}", csrf, typed)
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?notice=saved")
    saved = await store.get(ghost.id)
    assert (saved.name, saved.enabled, saved.rate_limit) == ("renamed ghost", False, 3.0)
    assert saved.settings == ghost.settings
