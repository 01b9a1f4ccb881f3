"""The configuration store's Lua scripts: each write, and each read that must be consistent,
is one script run on Redis (``store.py`` calls them). They touch only the keys passed to
them, the index sets included."""

from __future__ import annotations

__all__ = ["CHANGES_SCRIPT", "LIST_SCRIPT", "SAVE_SCRIPT"]

#: One write: compare-and-set, the index sets, the generation, the change log, PUBLISH.
SAVE_SCRIPT = """
-- KEYS: configs, generation, changes, changes floor, then ARGV[5] old index keys, then new ones
-- (by integration, by tenant, enabled). ARGV: id, expected JSON ('' = must not exist), new
-- JSON ('' = delete), channel, n_old, log max, the new tenant's limit (0: none).
-- Returns the new generation; 0: the record was not what was expected; -1: the tenant is full.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
local n_old = tonumber(ARGV[5])
local limit = tonumber(ARGV[7])
if limit > 0 and ARGV[3] ~= '' then
  local tenant = KEYS[6 + n_old]
  if redis.call('SISMEMBER', tenant, ARGV[1]) == 0 and redis.call('SCARD', tenant) >= limit then
    return -1
  end
end
for i = 5, 4 + n_old do redis.call('SREM', KEYS[i], ARGV[1]) end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  for i = 5 + n_old, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
end
local gen = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], gen, ARGV[1])
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[6])
if excess > 0 then
  local last = redis.call('ZRANGE', KEYS[3], excess - 1, excess - 1, 'WITHSCORES')
  redis.call('SET', KEYS[4], last[2])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
end
redis.call('PUBLISH', ARGV[4], gen)
return gen
"""

#: What changed since a generation: nothing, the changed records, or all of them.
CHANGES_SCRIPT = """
-- KEYS: configs, generation, changes, changes floor. ARGV: the generation the caller has (-1: none)
-- Returns {generation} when nothing changed, else {generation, full (0/1), {id, json|false, ...}}
local gen = tonumber(redis.call('GET', KEYS[2]) or '0')
local since = tonumber(ARGV[1])
if gen == since then return {gen} end
local floor = tonumber(redis.call('GET', KEYS[4]) or '0')
if since < 0 or since > gen or since < floor then
  return {gen, 1, redis.call('HGETALL', KEYS[1])}
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. since, '+inf')
local out = {}
for i, id in ipairs(ids) do
  out[2 * i - 1] = id
  out[2 * i] = redis.call('HGET', KEYS[1], id)
end
return {gen, 0, out}
"""

#: The records of an intersection of index sets, in one call.
LIST_SCRIPT = """
-- KEYS: configs, then index sets to intersect (none: every record). Returns {id, json, ...}
if #KEYS == 1 then return redis.call('HGETALL', KEYS[1]) end
local ids
if #KEYS == 2 then
  ids = redis.call('SMEMBERS', KEYS[2])
else
  ids = redis.call('SINTER', unpack(KEYS, 2))
end
local out = {}
for _, id in ipairs(ids) do
  local value = redis.call('HGET', KEYS[1], id)
  if value then out[#out + 1] = id; out[#out + 1] = value end
end
return out
"""
