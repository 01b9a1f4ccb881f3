"""``DeliveryAdmin.recent_attempts``: each configuration's recent attempts, newest first,
read for a whole page of configurations at once."""

from __future__ import annotations

import time

from support.attempts import record_attempt

from switchboard.config import CONFIG_ATTEMPTS_KEPT, Redis, RedisKeys, Settings
from switchboard.worker.delivery import DeliveryAdmin


async def test_recent_attempts_of_many_configurations(
    redis_client: Redis, keys: RedisKeys, settings: Settings
) -> None:
    now = time.time()
    for n in range(3):
        await record_attempt(
            redis_client,
            keys,
            config_id="cfg_a",
            at=now - 60 * (3 - n),
            ok=n != 1,
            event_id=f"evt_a{n}",
        )
    await record_attempt(redis_client, keys, config_id="cfg_b", at=now, ok=False, event_id="evt_b")
    admin = DeliveryAdmin.for_settings(redis_client, settings)

    recent = await admin.recent_attempts(["cfg_a", "cfg_b", "cfg_none", "cfg_a"])

    assert set(recent) == {"cfg_a", "cfg_b", "cfg_none"}
    assert [a["event_id"] for a in recent["cfg_a"]] == ["evt_a2", "evt_a1", "evt_a0"]
    assert [a["error_class"] for a in recent["cfg_a"]] == [None, "http", None]
    assert recent["cfg_b"][0]["status"] == 500
    assert recent["cfg_a"][0]["at"] == now - 60
    assert recent["cfg_none"] == []
    assert await admin.recent_attempts([]) == {}


async def test_at_most_the_kept_attempts(
    redis_client: Redis, keys: RedisKeys, settings: Settings
) -> None:
    now = time.time()
    for n in range(CONFIG_ATTEMPTS_KEPT + 5):
        await record_attempt(
            redis_client, keys, config_id="cfg_a", at=now + n, ok=True, event_id=f"evt_{n}"
        )
    recent = await DeliveryAdmin.for_settings(redis_client, settings).recent_attempts(["cfg_a"])
    assert len(recent["cfg_a"]) == CONFIG_ATTEMPTS_KEPT
    assert recent["cfg_a"][0]["event_id"] == f"evt_{CONFIG_ATTEMPTS_KEPT + 4}"
