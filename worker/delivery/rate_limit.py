"""Per-configuration rate limits shared by every worker: GCRA with reservations, in Redis.

Each configuration with ``rate_limit`` (deliveries per second) has one key
holding its theoretical arrival time (TAT). ``reserve()`` takes the next free
slot in one script call and says how long to wait for it: 0 means now. A
delivery that must wait more than a moment is deferred to the retry lane at
its slot instead of holding a worker's job slot, and the wait costs it no
attempt. A burst of one is allowed (no banking of unused time beyond one
interval), so the limit holds across workers and machines.
"""

from __future__ import annotations

from switchboard.config import Redis, RedisKeys

__all__ = ["RateLimiter"]

#: KEYS[1] the configuration's TAT (ms); ARGV now (ms), interval (ms).
#: Returns the ms to wait for the slot it reserved.
_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now + 1000))
return tat - now
"""


class RateLimiter:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._keys = keys
        self._reserve = redis.register_script(_RESERVE_SCRIPT)

    async def reserve(self, config_id: str, per_second: float, now: float) -> float:
        """Seconds until the slot reserved for one delivery of ``config_id``."""
        interval_ms = max(1, round(1000 / per_second))
        wait_ms = await self._reserve(
            keys=[self._keys.rate_limit(config_id)], args=[int(now * 1000), interval_ms]
        )
        return int(wait_ms) / 1000
