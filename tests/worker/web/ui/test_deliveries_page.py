"""``/ui/deliveries`` and ``/ui/deliveries/{id}``: the recent deliveries with their
filters (read as the API reads them) and pages, one delivery's facts and attempt log
(the response escaped, the request's secrets never shown), its replay, a tenant's session
held to its own, and a bad filter said on the page rather than a 500."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from support.deliveries import SECRET_PARTS, tenant_session, write_delivery
from support.ui import post_form
from support.webhooks import add_webhook

from switchboard.config import ConfigStore, Redis, RedisKeys, Settings
from switchboard.worker.delivery import Attempt, DeliveryStatus, ErrorClass, WaitReason

NOW = float(int(time.time()))
HOSTILE = "<script>alert(1)</script>"


def _ids(html: str) -> list[str]:
    """The deliveries a page's table lists, in order."""
    return re.findall(r'<a href="/ui/deliveries/(dlv_[a-z0-9]+)">', html)


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def test_the_list_shows_status_configuration_and_why_it_waits(
    client: TestClient[Any, Any],
    csrf: str,
    store: ConfigStore,
    redis_client: Redis,
    keys: RedisKeys,
) -> None:
    config = await add_webhook(store, "Orders <hook>", "https://hooks.example.com/x")
    waiting = await write_delivery(
        redis_client, keys, event_id="evt_wait", config_id=config.id, tenant="acme",
        status=DeliveryStatus.RETRYING, next_attempt_at=NOW + 60,
        waiting_for=WaitReason.RATE_LIMIT, updated_at=NOW - 10,
    )  # fmt: skip
    dead = await write_delivery(
        redis_client, keys, event_id="evt_dead", config_id="cfg_gone",
        status=DeliveryStatus.DEAD, dead_reason="HTTP 410 Gone", updated_at=NOW - 20,
        attempts=(Attempt(number=1, at=NOW - 20, status=410),),
    )  # fmt: skip
    answer = await client.get("/ui/deliveries")
    assert answer.status == 200
    html = await answer.text()
    assert _ids(html) == [waiting.id, dead.id]  # most recently updated first
    assert '<span class="status retrying">retrying</span>' in html
    assert '<span class="status dead">dead</span>' in html
    # A configuration there is: its name, escaped, linked; one deleted since: its id.
    assert f'<a href="/ui/configs/{config.id}">Orders &lt;hook&gt;</a>' in html
    assert "<code>cfg_gone</code>" in html
    assert f'{_utc(NOW + 60)} <span class="tag">rate limit</span>' in html
    assert "HTTP 410 Gone" in html
    assert _utc(NOW - 10) in html
    assert "<th>Tenant</th>" in html
    assert "<td>acme</td>" in html
    for secret in SECRET_PARTS:
        assert secret not in html


async def test_filters_narrow_the_list_as_the_api_reads_them(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    """Deliveries updated 2 min, 1 min and 0 min before a whole minute ``T`` (acme's,
    another configuration's and integration's, a dead one)."""
    t = NOW - NOW % 60 - 600
    old = await write_delivery(redis_client, keys, event_id="e2", tenant="acme", updated_at=t - 120)
    mid = await write_delivery(redis_client, keys, event_id="e1", config_id="cfg_b",
                               integration_id="switchboard.slack", updated_at=t - 60)  # fmt: skip
    new = await write_delivery(redis_client, keys, event_id="e0", status=DeliveryStatus.DEAD,
                               updated_at=t)  # fmt: skip

    async def listed(**params: str) -> list[str]:
        answer = await client.get("/ui/deliveries", params=params)
        assert answer.status == 200, await answer.text()
        return _ids(await answer.text())

    # A form sends its empty fields: they mean "any".
    empty = dict.fromkeys(("integration_id", "config_id", "tenant", "status", "since", "until"), "")
    assert await listed(**empty) == [new.id, mid.id, old.id]
    assert await listed(**{**empty, "status": "dead"}) == [new.id]
    assert await listed(tenant="acme") == [old.id]
    assert await listed(config_id="cfg_b") == [mid.id]
    assert await listed(integration_id="switchboard.slack") == [mid.id]
    # Times: ISO 8601 with no zone (UTC), to the minute as a datetime-local field writes
    # it; with a zone; or epoch seconds.
    a_minute_before = datetime.fromtimestamp(t - 60, UTC)
    assert await listed(since=a_minute_before.strftime("%Y-%m-%dT%H:%M")) == [new.id, mid.id]
    assert await listed(until=a_minute_before.isoformat()) == [old.id]
    assert await listed(since=str(t - 90), until=str(t - 30)) == [mid.id]
    # The form shows what it filters on.
    params = {"status": "dead", "tenant": "acme"}
    html = await (await client.get("/ui/deliveries", params=params)).text()
    assert '<option value="dead" selected>dead</option>' in html
    assert 'name="tenant" type="text" value="acme"' in html
    assert "No delivery matches these filters." in html


async def test_pages_go_on_with_the_filters_through_older(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    written = [
        await write_delivery(
            redis_client, keys, event_id=f"e{n}", config_id="cfg_p", updated_at=NOW - n
        )
        for n in range(5)
    ]
    await write_delivery(redis_client, keys, event_id="other", config_id="cfg_q")
    seen: list[str] = []
    path = "/ui/deliveries?config_id=cfg_p&limit=2"
    for _ in range(3):
        html = await (await client.get(path)).text()
        seen += _ids(html)
        older = re.search(r'<a href="([^"]+)" rel="next">Older →</a>', html)
        if older is None:
            break
        path = older[1].replace("&amp;", "&")
        assert "config_id=cfg_p" in path
        assert "limit=2" in path
        assert "cursor=" in path
    assert seen == [r.id for r in written]
    assert older is None
    assert 'href="/ui/deliveries?limit=2&amp;config_id=cfg_p">← Newest</a>' in html


async def test_a_bad_filter_is_said_on_the_page(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    await write_delivery(redis_client, keys, event_id="e1")
    for params, field in (
        ({"since": "soon"}, "since"),
        ({"until": "31/01/2025"}, "until"),
        ({"status": "lost"}, "status"),
        ({"cursor": "nan:0"}, "cursor"),
        ({"cursor": "1:²"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"status": "retrying", "cursor": "x"}, "cursor"),
    ):
        answer = await client.get("/ui/deliveries", params=params)
        assert answer.status == 422, (params, await answer.text())
        html = await answer.text()
        assert "cannot be read" in html
        assert f"<b>{field}</b>:" in html, params
        assert _ids(html) == []
    html = await (await client.get("/ui/deliveries", params={"since": "<b>soon"})).text()
    assert (
        'name="since" type="text" placeholder="2025-01-31T09:00" value="&lt;b&gt;soon" '
        'aria-invalid="true"' in html
    )
    assert "<b>soon" not in html
    assert "&#39;&lt;b&gt;soon&#39; is no ISO 8601 time or epoch seconds" in html  # the CLI's words


async def test_one_delivery_its_attempts_escaped_and_its_replay(
    client: TestClient[Any, Any],
    csrf: str,
    store: ConfigStore,
    redis_client: Redis,
    keys: RedisKeys,
) -> None:
    config = await add_webhook(store, "Orders", "https://hooks.example.com/x")
    attempts = (
        Attempt(
            number=1,
            at=NOW - 60,
            status=500,
            ms=12.4,
            error="HTTP 500",
            error_class=ErrorClass.HTTP,
            body=f"oops {HOSTILE}",
            next_attempt_at=NOW - 30,
        ),
        Attempt(
            number=2,
            at=NOW - 30,
            ms=5000,
            error="no answer in 5 s",
            error_class=ErrorClass.TIMEOUT,
            body="x" * 3000,
        ),
    )
    record = await write_delivery(
        redis_client,
        keys,
        event_id=f"evt_{HOSTILE}",
        config_id=config.id,
        event_type=f"order.{HOSTILE}",
        status=DeliveryStatus.DEAD,
        attempts=attempts,
        dead_reason="every attempt failed",
        updated_at=NOW - 30,
    )
    path = f"/ui/deliveries/{record.id}"
    html = await (await client.get(path)).text()
    assert HOSTILE not in html
    assert "<pre>oops &lt;script&gt;alert(1)&lt;/script&gt;</pre>" in html
    assert "order.&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"<pre>{'x' * 1000}…</pre>" in html  # an excerpt of the body, not all of it
    assert "POST hooks.example.com" in html
    for secret in SECRET_PARTS:
        assert secret not in html
    assert f'<a href="/ui/configs/{config.id}">Orders</a>' in html
    assert "every attempt failed" in html
    assert "no answer in 5 s" in html
    for cell in (
        "<td>http</td>",
        "<td>timeout</td>",
        '<td class="num">500</td>',
        '<td class="num">12</td>',
        '<td class="num">5000</td>',
        f'<td class="when">{_utc(NOW - 60)}</td>',
    ):
        assert cell in html, cell
    assert f'action="/ui/deliveries/{record.id}/replay"' in html

    replayed = await post_form(client, f"{path}/replay", csrf, {})
    assert (replayed.status, replayed.headers["Location"]) == (303, f"{path}?notice=replayed")
    after = await (await client.get(replayed.headers["Location"])).text()
    assert "Dead letters replayed" in after
    assert '<span class="status retrying">retrying</span>' in after
    assert "/replay" not in after  # no longer a dead letter: no replay button
    again = await post_form(client, f"{path}/replay", csrf, {})
    assert again.headers["Location"] == f"{path}?notice=nothing_replayed"


async def test_an_unknown_delivery_is_a_404_page(client: TestClient[Any, Any], csrf: str) -> None:
    answer = await client.get("/ui/deliveries/dlv_%3Cb%3Enope")
    assert answer.status == 404
    html = await answer.text()
    assert "No delivery with id" in html
    assert "&lt;b&gt;nope" in html
    assert "<b>nope" not in html
    assert (await post_form(client, "/ui/deliveries/dlv_nope/replay", csrf, {})).status == 404


async def test_a_tenants_session_sees_its_own_deliveries_only(
    ui_settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    ours = await write_delivery(
        redis_client, keys, event_id="e_acme", tenant="acme", status=DeliveryStatus.DEAD
    )
    theirs = await write_delivery(
        redis_client, keys, event_id="e_umbrella", tenant="umbrella", status=DeliveryStatus.DEAD
    )
    nobodys = await write_delivery(redis_client, keys, event_id="e_none")
    async with tenant_session(ui_settings, redis_client, "acme") as (client, csrf):
        html = await (await client.get("/ui/deliveries")).text()
        assert _ids(html) == [ours.id]
        assert 'name="tenant"' not in html
        assert "<th>Tenant</th>" not in html
        # A tenant named in the URL is not another tenant's view: still its own.
        assert _ids(await (await client.get("/ui/deliveries?tenant=umbrella")).text()) == [ours.id]
        assert (await client.get(f"/ui/deliveries/{ours.id}")).status == 200
        for other in (theirs, nobodys):
            page = await client.get(f"/ui/deliveries/{other.id}")
            assert page.status == 404
            assert "No delivery with id" in await page.text()
        refused = await post_form(client, f"/ui/deliveries/{theirs.id}/replay", csrf, {})
        assert refused.status == 404
        still = await redis_client.get(keys.delivery(theirs.id))
        assert still is not None
        assert b'"status":"dead"' in still
