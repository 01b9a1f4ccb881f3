"""The configuration store against a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis

from switchboard.config import (
    ConfigConflictError,
    ConfigNotFoundError,
    ConfigRecord,
    ConfigStore,
    RecordFormatError,
    Redis,
    RedisKeys,
    SecretBox,
    SecretKeyError,
    Settings,
    generate_secret_key,
)


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_create_get_roundtrip(store: ConfigStore) -> None:
    created = await store.create(
        integration_id="tests.sample",
        name="Team A",
        settings={"url": "https://a.test/"},
        tenant="acme",
        conditions={"mode": "always"},
    )
    assert created.id.startswith("cfg_")
    fetched = await store.get(created.id)
    assert fetched == created
    assert fetched.enabled is True
    assert fetched.created_at == fetched.updated_at


async def test_get_missing_names_the_id(store: ConfigStore) -> None:
    with pytest.raises(ConfigNotFoundError, match="cfg_nope"):
        await store.get("cfg_nope")


async def test_update_changes_updated_at_even_within_one_clock_tick(
    redis_client: Redis, keys: RedisKeys
) -> None:
    clock = FrozenClock()
    store = ConfigStore(redis_client, keys, clock=clock)
    record = await store.create(integration_id="i", name="n")
    first = await store.update(record.id, lambda r: {"name": "renamed"})
    second = await store.update(record.id, lambda r: {"enabled": False})
    assert record.updated_at < first.updated_at < second.updated_at
    assert second.created_at == record.created_at
    clock.now += timedelta(hours=1)
    third = await store.update(record.id, lambda r: {"enabled": True})
    assert third.updated_at == clock.now


async def test_update_refuses_fixed_fields(store: ConfigStore) -> None:
    record = await store.create(integration_id="i", name="n")
    with pytest.raises(ValueError, match="integration_id"):
        await store.update(record.id, lambda r: {"integration_id": "other"})


async def test_concurrent_edits_never_mix_or_lose_updates(store: ConfigStore) -> None:
    """Twenty concurrent read-modify-write edits of one record: every one lands, none mixes."""
    record = await store.create(integration_id="i", name="n", settings={"counter": 0})

    def bump(key: str) -> Callable[[ConfigRecord], dict[str, object]]:
        def change(current: ConfigRecord) -> dict[str, object]:
            settings = dict(current.settings)
            settings["counter"] += 1
            settings[key] = True
            # Name and settings move together: a mixed record would break this.
            return {"settings": settings, "name": f"edit-{settings['counter']}"}

        return change

    await asyncio.gather(*(store.update(record.id, bump(f"k{i}")) for i in range(20)))
    final = await store.get(record.id)
    assert final.settings["counter"] == 20
    assert all(final.settings[f"k{i}"] for i in range(20))
    assert final.name == "edit-20"


async def test_update_gives_up_after_repeated_conflicts(
    store: ConfigStore, keys: RedisKeys, redis_url: str
) -> None:
    """Another writer (a second connection) changes the record between every read and write."""
    record = await store.create(integration_id="i", name="n")
    competitor = redis.Redis.from_url(redis_url)
    attempts = 0

    def change_overtaken_by_competitor(current: ConfigRecord) -> dict[str, object]:
        nonlocal attempts
        attempts += 1
        other = current.model_copy(update={"name": f"competitor-{attempts}"})
        competitor.hset(keys.configs, record.id, other.to_json())
        return {"name": "mine"}

    try:
        with pytest.raises(ConfigConflictError, match=record.id):
            await store.update(record.id, change_overtaken_by_competitor)
    finally:
        competitor.close()
    assert attempts == 25
    # Nothing of ours was written: the competitor's last write stands.
    assert (await store.get(record.id)).name == "competitor-25"


async def test_delete_removes_record_and_indexes(store: ConfigStore, keys: RedisKeys) -> None:
    record = await store.create(integration_id="i", name="n", tenant="t")
    deleted = await store.delete(record.id)
    assert deleted == record
    with pytest.raises(ConfigNotFoundError):
        await store.get(record.id)
    redis = store._redis
    assert not await redis.sismember(keys.configs_by_integration("i"), record.id)
    assert not await redis.sismember(keys.configs_by_tenant("t"), record.id)
    assert not await redis.sismember(keys.configs_enabled, record.id)
    with pytest.raises(ConfigNotFoundError):
        await store.delete(record.id)


async def test_list_filters_by_integration_tenant_and_enabled(store: ConfigStore) -> None:
    a = await store.create(integration_id="alpha", name="a")
    b = await store.create(integration_id="alpha", name="b", tenant="acme", enabled=False)
    c = await store.create(integration_id="beta", name="c", tenant="acme")

    async def ids(**filters: object) -> list[str]:
        records, broken = await store.list(**filters)  # type: ignore[arg-type]
        assert broken == {}
        return [r.id for r in records]

    assert await ids() == [a.id, b.id, c.id]
    assert await ids(integration_id="alpha") == [a.id, b.id]
    assert await ids(tenant="acme") == [b.id, c.id]
    assert await ids(tenant=None) == [a.id]
    assert await ids(enabled=True) == [a.id, c.id]
    assert await ids(enabled=False) == [b.id]
    assert await ids(integration_id="alpha", tenant="acme") == [b.id]
    assert await ids(integration_id="alpha", enabled=True) == [a.id]

    # Moving a record between tenants and enabled states keeps the indexes true.
    await store.update(b.id, lambda r: {"tenant": None, "enabled": True})
    assert await ids(tenant=None) == [a.id, b.id]
    assert await ids(tenant="acme") == [c.id]
    assert await ids(enabled=False) == []


async def test_records_are_versioned_json(store: ConfigStore, keys: RedisKeys) -> None:
    record = await store.create(integration_id="i", name="n", settings={"x": 1})
    raw = await store._redis.hget(keys.configs, record.id)
    data = orjson.loads(raw)
    assert data["schema_version"] == 2
    assert data["settings"] == {"x": 1}
    assert data["secret_settings"] == []
    assert data["id"] == record.id


async def test_a_version_1_record_is_read_with_no_secret_settings(
    store: ConfigStore, keys: RedisKeys
) -> None:
    """Records written before secrets were listed keep working (their values stay plain)."""
    current = orjson.loads((await store.create(integration_id="i", name="old")).to_json())
    del current["secret_settings"]
    current.update(id="cfg_v1", schema_version=1, settings={"token": "plain"})
    await store._redis.hset(keys.configs, "cfg_v1", orjson.dumps(current))
    record = await store.get("cfg_v1")
    assert (record.schema_version, record.secret_settings) == (2, ())
    assert record.settings == {"token": "plain"}


async def test_secret_settings_are_encrypted_at_rest_and_plain_when_read(
    store: ConfigStore, keys: RedisKeys, settings: Settings
) -> None:
    record = await store.create(
        integration_id="i",
        name="n",
        settings={"token": "t0ps3cret", "nested": {"a": ["b"]}, "plain": "visible"},
        secret_settings={"token", "nested"},
    )
    raw = await store._redis.hget(keys.configs, record.id)
    assert b"t0ps3cret" not in raw
    assert b"visible" in raw
    assert (await store.get(record.id)).settings == record.settings
    # Without the key, or with another one: unreadable (reported, not fatal).
    for other in (None, SecretBox([generate_secret_key()])):
        blind = ConfigStore(store._redis, keys, secrets=other)
        with pytest.raises(RecordFormatError, match=record.id):
            await blind.get(record.id)
        records, broken = await blind.list()
        assert records == []
        assert list(broken) == [record.id]
    # And without a key, a secret is never written in plain.
    keyless = ConfigStore(store._redis, keys)
    with pytest.raises(SecretKeyError, match="SWITCHBOARD_SECRET_KEY is not set"):
        await keyless.create(
            integration_id="i", name="x", settings={"k": "v"}, secret_settings={"k"}
        )


async def test_rotating_keys_the_old_key_still_decrypts(
    store: ConfigStore, keys: RedisKeys, settings: Settings
) -> None:
    record = await store.create(
        integration_id="i", name="n", settings={"token": "t"}, secret_settings={"token"}
    )
    new_key = generate_secret_key()
    rotated = ConfigStore(store._redis, keys, secrets=SecretBox([new_key, *settings.secret_keys]))
    assert (await rotated.get(record.id)).settings == {"token": "t"}
    await rotated.update(record.id, lambda r: {})  # re-encrypts with the new key
    only_new = ConfigStore(store._redis, keys, secrets=SecretBox([new_key]))
    assert (await only_new.get(record.id)).settings == {"token": "t"}


async def test_unreadable_records_are_reported_not_fatal(
    store: ConfigStore, keys: RedisKeys
) -> None:
    good = await store.create(integration_id="i", name="good")
    newer = orjson.loads(good.to_json())
    newer.update(id="cfg_future", schema_version=99)
    await store._redis.hset(keys.configs, "cfg_future", orjson.dumps(newer))
    await store._redis.hset(keys.configs, "cfg_garbage", b"{not json")

    records, broken = await store.list()
    assert [r.id for r in records] == [good.id]
    assert set(broken) == {"cfg_future", "cfg_garbage"}
    assert "newer than this Switchboard understands" in str(broken["cfg_future"])
    with pytest.raises(RecordFormatError, match="cfg_garbage"):
        await store.get("cfg_garbage")
    # An unreadable record can still be deleted.
    assert await store.delete("cfg_garbage") is None


async def test_changes_since_returns_only_what_changed(store: ConfigStore) -> None:
    everything = await store.changes_since(-1)
    assert everything.full
    assert everything.records == {}
    assert everything.generation == 0

    a = await store.create(integration_id="i", name="a")
    b = await store.create(integration_id="i", name="b")
    after_create = await store.changes_since(0)
    assert not after_create.full
    assert set(after_create.records) == {a.id, b.id}
    generation = after_create.generation

    assert (await store.changes_since(generation)).records == {}
    await store.update(a.id, lambda r: {"name": "a2"})
    await store.delete(b.id)
    changes = await store.changes_since(generation)
    assert changes.generation == generation + 2
    record_a = changes.records[a.id]
    assert record_a is not None
    assert record_a.name == "a2"
    assert changes.records[b.id] is None  # deleted


async def test_changes_since_falls_back_to_full_when_log_was_trimmed(
    redis_client: Redis, keys: RedisKeys
) -> None:
    store = ConfigStore(redis_client, keys, change_log_max=3)
    records = [await store.create(integration_id="i", name=str(n)) for n in range(5)]
    assert await redis_client.zcard(keys.configs_changes) == 3
    # Generation 1 fell off the log: the answer must be the whole store.
    changes = await store.changes_since(1)
    assert changes.full
    assert set(changes.records) == {r.id for r in records}
    # Generation 3 is still covered: only generations 4 and 5.
    recent = await store.changes_since(3)
    assert not recent.full
    assert set(recent.records) == {records[3].id, records[4].id}


async def test_changes_since_a_future_generation_is_full(store: ConfigStore) -> None:
    """Redis lost its data (restart without persistence): the caller must reload."""
    record = await store.create(integration_id="i", name="a")
    changes = await store.changes_since(500)
    assert changes.full
    assert set(changes.records) == {record.id}


async def test_every_write_publishes_the_generation(
    store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe(keys.configs_changed_channel)
        await store.create(integration_id="i", name="a")
        message = None
        while message is None:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        assert message["data"] == b"1"


async def test_key_prefix_isolates_deployments(redis_client: Redis) -> None:
    one = ConfigStore(redis_client, RedisKeys("one"))
    two = ConfigStore(redis_client, RedisKeys("two"))
    await one.create(integration_id="i", name="a")
    assert (await two.list())[0] == []
    assert all(key.startswith(b"one:") for key in await redis_client.keys("*"))


async def test_create_refuses_an_existing_id(store: ConfigStore) -> None:
    await store.create(integration_id="i", name="a", config_id="cfg_fixed")
    with pytest.raises(ConfigConflictError, match="cfg_fixed"):
        await store.create(integration_id="i", name="b", config_id="cfg_fixed")
    assert (await store.get("cfg_fixed")).name == "a"
