"""``/ui/dead-letters`` and ``/ui/rejected``: the dead letters with "Replay" on each, on a
configuration's and on all (as ``/api/dead-letters/replay``: held to a tenant's session),
and the rejected events a page at a time, escaped, for the admin session only."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp.test_utils import TestClient
from support.deliveries import tenant_session, write_delivery
from support.ui import post_form

from switchboard.config import Redis, RedisKeys, Settings
from switchboard.worker.delivery import DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog

HOSTILE = "<script>alert(1)</script>"


def _ids(html: str) -> list[str]:
    return re.findall(r'<a href="/ui/deliveries/(dlv_[a-z0-9]+)">', html)


async def _dead(redis: Redis, keys: RedisKeys, name: str, **fields: Any) -> DeliveryRecord:
    return await write_delivery(
        redis, keys, event_id=name, status=DeliveryStatus.DEAD, dead_reason="HTTP 500", **fields
    )


async def _statuses(redis: Redis, keys: RedisKeys, *records: DeliveryRecord) -> list[str]:
    log = DeliveryLog(redis, keys, retention=3600)
    return [r.status for r in await log.get_many([r.id for r in records])]


async def test_dead_letters_listed_and_one_replayed(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    # Within the retention: a write's housekeeping (one in 32) trims older index entries.
    now = time.time()
    one = await _dead(redis_client, keys, "e1", updated_at=now - 200)
    two = await _dead(redis_client, keys, "e2", updated_at=now - 100)
    await write_delivery(redis_client, keys, event_id="fine")  # delivered: not listed
    html = await (await client.get("/ui/dead-letters")).text()
    assert _ids(html) == [two.id, one.id]  # newest first
    assert html.count('<button type="submit" class="secondary">Replay</button>') == 2
    assert "Replay all" in html
    assert "Replay these" not in html  # no configuration filtered on
    answer = await post_form(client, "/ui/dead-letters/replay", csrf, {"ids": one.id})
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/dead-letters?notice=replayed")
    after = await (await client.get(answer.headers["Location"])).text()
    assert "Dead letters replayed" in after
    assert _ids(after) == [two.id]
    assert await _statuses(redis_client, keys, one, two) == ["retrying", "dead"]
    again = await post_form(client, "/ui/dead-letters/replay", csrf, {"ids": one.id})
    assert again.headers["Location"] == "/ui/dead-letters?notice=nothing_replayed"
    assert "Nothing to replay" in await (await client.get(again.headers["Location"])).text()


async def test_replay_these_a_configurations_and_replay_all(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    a1 = await _dead(redis_client, keys, "a1", config_id="cfg_a")
    a2 = await _dead(redis_client, keys, "a2", config_id="cfg_a")
    b1 = await _dead(redis_client, keys, "b1", config_id="cfg_b", tenant="acme")
    filtered = await (await client.get("/ui/dead-letters?config_id=cfg_a&limit=1")).text()
    assert len(_ids(filtered)) == 1  # one page of one: "Replay these" is every page's
    assert '<input type="hidden" name="config_id" value="cfg_a">' in filtered
    these = await post_form(
        client, "/ui/dead-letters/replay", csrf, {"config_id": "cfg_a", "shown_config_id": "cfg_a"}
    )
    assert these.headers["Location"] == "/ui/dead-letters?config_id=cfg_a&notice=replayed"
    assert await _statuses(redis_client, keys, a1, a2, b1) == ["retrying", "retrying", "dead"]
    everything = await post_form(client, "/ui/dead-letters/replay", csrf, {"all": "1"})
    assert everything.headers["Location"] == "/ui/dead-letters?notice=replayed"
    assert await _statuses(redis_client, keys, b1) == ["retrying"]  # every tenant's
    none_left = await post_form(client, "/ui/dead-letters/replay", csrf, {"all": "1"})
    assert none_left.headers["Location"] == "/ui/dead-letters?notice=nothing_replayed"
    assert "No dead letters" in await (await client.get("/ui/dead-letters")).text()


async def test_a_replay_naming_nothing_or_too_much_replays_nothing(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    dead = await _dead(redis_client, keys, "e1")
    empty = await post_form(client, "/ui/dead-letters/replay", csrf, {"all": "0"})
    assert empty.headers["Location"] == "/ui/dead-letters?notice=nothing_replayed"
    # More ids than a form may carry (aiohttp's 1,000 fields, the API's cap on ids too).
    many = [("ids", f"dlv_{n}") for n in range(1000)]
    too_many = await post_form(client, "/ui/dead-letters/replay", csrf, [*many, ("ids", dead.id)])
    assert too_many.status == 413
    assert await _statuses(redis_client, keys, dead) == ["dead"]


async def test_a_bad_cursor_is_said_on_the_page(client: TestClient[Any, Any], csrf: str) -> None:
    for path in (
        "/ui/dead-letters?cursor=nan:0",
        "/ui/rejected?cursor=-1",
        "/ui/rejected?cursor=1111111111",
        "/ui/dead-letters?limit=501",
    ):
        answer = await client.get(path)
        assert answer.status == 422, path
        assert "cannot be read" in await answer.text()


async def test_a_tenants_session_replays_its_own_only(
    ui_settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    ours = await _dead(redis_client, keys, "ours", tenant="acme", config_id="cfg_shared")
    theirs = await _dead(redis_client, keys, "theirs", tenant="umbrella", config_id="cfg_shared")
    async with tenant_session(ui_settings, redis_client, "acme") as (client, csrf):
        html = await (await client.get("/ui/dead-letters")).text()
        assert _ids(html) == [ours.id]
        assert "every dead letter of tenant <b>acme</b>" in html
        named = await post_form(client, "/ui/dead-letters/replay", csrf, {"ids": theirs.id})
        assert named.headers["Location"] == "/ui/dead-letters?notice=nothing_replayed"
        by_config = await post_form(
            client, "/ui/dead-letters/replay", csrf, {"config_id": "cfg_shared"}
        )
        assert by_config.headers["Location"] == "/ui/dead-letters?notice=replayed"
        assert await _statuses(redis_client, keys, ours, theirs) == ["retrying", "dead"]
        await post_form(client, "/ui/dead-letters/replay", csrf, {"all": "1"})
        assert await _statuses(redis_client, keys, theirs) == ["dead"]
        # Rejected events name no tenant: not a tenant's to see, nor in its navigation.
        rejected = await client.get("/ui/rejected")
        assert rejected.status == 403
        assert "admin token" in await rejected.text()
        assert 'href="/ui/rejected"' not in html


async def test_rejected_events_page_by_page_escaped(
    client: TestClient[Any, Any], csrf: str, redis_client: Redis, keys: RedisKeys
) -> None:
    await RejectedEventLog(redis_client, keys).record(
        [
            RejectedEvent(
                reason=f"bad {n}",
                event_id=f"e{n}",
                job_id=f"j{n}",
                preview=f"{{'n': {n}}} {HOSTILE}",
            )
            for n in range(3)
        ]
    )
    first = await client.get("/ui/rejected?limit=2")
    html = await first.text()
    assert first.status == 200
    assert re.findall(r"<code>(e\d)</code>", html) == ["e2", "e1"]
    assert "3 kept" in html
    assert "<td>bad 2</td>" in html
    assert "<code>j2</code>" in html
    assert HOSTILE not in html
    assert "<pre>{&#39;n&#39;: 2} &lt;script&gt;alert(1)&lt;/script&gt;</pre>" in html
    older = re.search(r'<a href="([^"]+)" rel="next">Older →</a>', html)
    assert older, html
    rest = await (await client.get(older[1].replace("&amp;", "&"))).text()
    assert re.findall(r"<code>(e\d)</code>", rest) == ["e0"]
    assert 'rel="next"' not in rest
    assert 'href="/ui/rejected?limit=2">← Newest</a>' in rest
