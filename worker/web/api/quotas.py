"""What one tenant may ask of the API: events a second through ingest, and admin requests
a second through its tokens, shared by every web process (GCRA in Redis).

A quota has a rate and a burst: a tenant may take ``burst`` at once, then ``rate`` a
second. Each tenant has one key per quota (``RedisKeys.tenant_quota``) holding its
theoretical arrival time; ``QuotaGate.take`` checks and takes, for every tenant of a
request at once, in one script call: all or nothing, so a batch naming two tenants is
counted for both or refused for both. A refusal is a 429 problem with ``Retry-After``
(and counts in ``switchboard_quota_refusals_total``); nothing of the request is queued
or changed. What is taken is taken before the events are validated: as rate limits
count requests, an invalid event costs its quota as a valid one does. Events with no
tenant, and the global admin token's requests, are the operator's own and never
limited. docs/tenants.md says why and what else keeps tenants apart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from switchboard.config import Redis, RedisKeys, Settings

from ...errors import ApiError
from ...metric_names import QUOTA_REFUSALS

__all__ = ["Quota", "QuotaGate", "QuotaRate", "TenantQuotas"]

#: KEYS: each tenant's TAT (ms), then the metrics hash. ARGV: now (ms), the interval of
#: one unit (ms), the burst (units), the metrics field, then each key's cost (units).
#: Returns 0 (taken) or the ms until the whole request would fit (nothing taken).
_TAKE_SCRIPT: Final = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = interval * tonumber(ARGV[3])
local n = #KEYS - 1
local tats = {}
local early = 0
for i = 1, n do
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat + interval * tonumber(ARGV[4 + i])
  early = math.max(early, tats[i] - tolerance - now)
end
if early > 0 then
  redis.call('HINCRBY', KEYS[n + 1], ARGV[4], 1)
  return math.ceil(early)
end
for i = 1, n do
  redis.call('SET', KEYS[i], tats[i], 'PX', math.ceil(tats[i] - now) + 1000)
end
return 0
"""


class Quota(StrEnum):
    """What a quota counts."""

    EVENTS = "events"
    API = "api"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaRate:
    """``per_second`` units a second after a ``burst`` of them; ``per_second=0``: no limit."""

    per_second: float
    burst: int

    def __str__(self) -> str:
        return f"{self.per_second:g} a second, {self.burst} at once"


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantQuotas:
    events: QuotaRate = field(default_factory=lambda: QuotaRate(per_second=100, burst=1000))
    api: QuotaRate = field(default_factory=lambda: QuotaRate(per_second=20, burst=100))

    @classmethod
    def from_settings(cls, settings: Settings) -> TenantQuotas:
        return cls(
            events=QuotaRate(
                per_second=settings.tenant_event_rate, burst=settings.tenant_event_burst
            ),
            api=QuotaRate(per_second=settings.tenant_api_rate, burst=settings.tenant_api_burst),
        )

    def rate(self, quota: Quota) -> QuotaRate:
        return self.events if quota is Quota.EVENTS else self.api


class QuotaGate:
    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        quotas: TenantQuotas,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._quotas = quotas
        self._clock = clock
        self._take = redis.register_script(_TAKE_SCRIPT)

    async def take(self, quota: Quota, costs: Mapping[str, int]) -> None:
        """Take ``costs`` (tenant -> units) of ``quota``, or raise the problem that refuses
        the request: 422 for more than a burst (it would never fit), 429 for now."""
        rate = self._quotas.rate(quota)
        if not costs or rate.per_second <= 0:
            return
        for tenant, cost in costs.items():
            if cost > rate.burst:
                raise ApiError(
                    422,
                    "Over the quota",
                    f'{cost} {quota} at once is more than tenant "{tenant}" may send at once '
                    f"({rate.burst}): split the request.",
                    errors={"events": f"at most {rate.burst} at once for this tenant"},
                )
        tenants = sorted(costs)
        wait_ms = await self._take(
            keys=[*(self._keys.tenant_quota(quota, t) for t in tenants), self._keys.metrics],
            args=[
                self._clock() * 1000,
                1000 / rate.per_second,
                rate.burst,
                f"{QUOTA_REFUSALS}|{quota}",
                *(costs[t] for t in tenants),
            ],
        )
        if int(wait_ms) > 0:
            seconds = math.ceil(int(wait_ms) / 1000)
            who = f'Tenant "{tenants[0]}" is' if len(tenants) == 1 else "These tenants are"
            raise ApiError(
                429,
                "Too many requests",
                f"{who} over the {quota} quota ({rate}): try again in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )
