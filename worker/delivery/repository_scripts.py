"""The delivery log's Lua scripts (``repository.py`` runs them): claiming due retries, and
writing a record with everything around it in one call. They touch only the keys passed."""

from __future__ import annotations

from typing import Final

__all__ = ["CLAIM_SCRIPT", "RENEW_SCRIPT", "WRITE_KEYS", "WRITE_SCRIPT", "WRITE_SHARED_KEYS"]

#: Claim due retries: push each one's score to the end of the claimer's lease, so a
#: worker that dies holding it only delays it. KEYS[1] retries; ARGV now (ms), held until
#: (ms), limit.
CLAIM_SCRIPT: Final = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""

#: Renew a worker's holds on deliveries: each one still scored at the end of its hold
#: (nothing rescheduled or removed it since) is pushed to the new end; returns those.
#: KEYS[1] retries; ARGV the new end (ms), then pairs of delivery id, end of its hold (ms).
RENEW_SCRIPT: Final = """
local renewed = {}
for i = 2, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
    renewed[#renewed + 1] = ARGV[i]
  end
end
return renewed
"""

#: Keys ``WRITE_SCRIPT`` shares between its records, first: deliveries, retries, dead
#: letters, metrics (an attempt's outcome and first-attempt latency counted,
#: ``metric_names.py``).
WRITE_SHARED_KEYS: Final = 4
#: Keys of each record ``WRITE_SCRIPT`` writes, after the shared ones.
WRITE_KEYS: Final = 4

#: Write delivery records and everything around them (see ``DeliveryLog.write_many``).
#: The 4 shared KEYS; then each record's 4 KEYS: record, by config, config attempts,
#: health; and its 3 ARGV: the record, its small values (a JSON array), its entry in the
#: config's recent attempts. One reply per record.
WRITE_SCRIPT: Final = """
local function write(k, a)
  local id, ttl, now_ms, retry_at, unschedule, dead_letters, kept, trim_before, index_ttl,
    health, failing_since, health_ttl, outcome, latency_bucket, latency_ms
    = unpack(cjson.decode(ARGV[a + 2]))
  redis.call('SET', KEYS[k + 1], ARGV[a + 1], 'EX', ttl)
  if outcome ~= '' then redis.call('HINCRBY', KEYS[4], outcome, 1) end
  if latency_bucket ~= '' then
    redis.call('HINCRBY', KEYS[4], latency_bucket, 1)
    redis.call('HINCRBY', KEYS[4], 'latency_count', 1)
    redis.call('HINCRBY', KEYS[4], 'latency_sum_ms', latency_ms)
  end
  redis.call('ZADD', KEYS[1], now_ms, id)
  redis.call('ZADD', KEYS[k + 2], now_ms, id)
  if retry_at ~= '' then
    redis.call('ZADD', KEYS[2], retry_at, id)
  elseif unschedule then
    redis.call('ZREM', KEYS[2], id)
  end
  if dead_letters == 'add' then
    redis.call('ZADD', KEYS[3], now_ms, id)
  elseif dead_letters == 'remove' then
    redis.call('ZREM', KEYS[3], id)
  end
  if ARGV[a + 3] ~= '' then
    redis.call('LPUSH', KEYS[k + 3], ARGV[a + 3])
    redis.call('LTRIM', KEYS[k + 3], 0, kept - 1)
  end
  if trim_before ~= '' then
    for _, index in ipairs({KEYS[1], KEYS[k + 2], KEYS[3]}) do
      redis.call('ZREMRANGEBYSCORE', index, '-inf', trim_before)
    end
    redis.call('EXPIRE', KEYS[k + 2], index_ttl)
    redis.call('EXPIRE', KEYS[k + 3], index_ttl)
  end
  if health == 'clear' then
    redis.call('DEL', KEYS[k + 4])
  elseif health == 'failure' then
    redis.call('HSETNX', KEYS[k + 4], 'failing_since', failing_since)
    local failures = redis.call('HINCRBY', KEYS[k + 4], 'failures', 1)
    local since = redis.call('HGET', KEYS[k + 4], 'failing_since')
    redis.call('EXPIRE', KEYS[k + 4], health_ttl)
    return {failures, since}
  end
  return 0
end
local replies = {}
for n = 0, #ARGV / 3 - 1 do
  replies[n + 1] = write(4 + n * 4, n * 3)
end
return replies
"""
