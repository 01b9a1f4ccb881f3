"""The integration manager: registry, Djblets' lifecycle, get_configs, validated writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from support.sample import OtherIntegration, SampleIntegration

from switchboard.config import (
    ConfigCache,
    ConfigChanges,
    ConfigStore,
    Redis,
    RedisKeys,
)
from switchboard.integrations import (
    ConfigAdmin,
    ConfigValidationError,
    Event,
    Integration,
    IntegrationAlreadyRegisteredError,
    IntegrationManager,
    IntegrationNotRegisteredError,
    IntegrationRegistrationError,
    IntegrationStateError,
)
from switchboard.testing.waiting import wait_for


@dataclass
class Running:
    manager: IntegrationManager
    cache: ConfigCache
    admin: ConfigAdmin
    sample: SampleIntegration


@pytest.fixture
async def running(store: ConfigStore, redis_client: Redis) -> AsyncIterator[Running]:
    manager = IntegrationManager()
    sample = manager.register(SampleIntegration)
    assert isinstance(sample, SampleIntegration)
    async with ConfigCache(store, redis_client, poll_interval=0.1) as cache:
        with manager.running(cache):
            yield Running(manager, cache, ConfigAdmin(manager, store), sample)


async def settle(running: Running, store: ConfigStore) -> None:
    """Wait until this process's cache has applied every write made so far."""
    generation = (await store.changes_since(-1)).generation
    await wait_for(lambda: running.cache.generation >= generation, what="cache to catch up")


# -- registry ------------------------------------------------------------------


def test_integration_id_defaults_per_class_without_touching_the_parent() -> None:
    class Child(OtherIntegration):
        pass

    assert OtherIntegration.integration_id == "support.sample.OtherIntegration"
    assert Child.integration_id.endswith("Child")
    assert Child.integration_id != OtherIntegration.integration_id
    assert OtherIntegration.integration_id == "support.sample.OtherIntegration"
    assert SampleIntegration.integration_id == "tests.sample"  # set by hand


def test_register_makes_exactly_one_instance() -> None:
    manager = IntegrationManager()
    instance = manager.register(SampleIntegration)
    assert manager.get_integration("tests.sample") is instance
    assert manager.get_integrations() == [instance]
    with pytest.raises(IntegrationAlreadyRegisteredError, match=r"tests\.sample"):
        manager.register(SampleIntegration)
    assert manager.get_integration("tests.sample") is instance


def test_unregister_and_lookups_of_unknown_ids() -> None:
    manager = IntegrationManager()
    manager.register(SampleIntegration)
    manager.unregister(SampleIntegration)
    assert not manager.is_registered("tests.sample")
    with pytest.raises(IntegrationNotRegisteredError, match=r"tests\.sample"):
        manager.get_integration("tests.sample")
    with pytest.raises(IntegrationNotRegisteredError, match=r"tests\.sample"):
        manager.unregister("tests.sample")


def test_a_constructor_that_raises_fails_registration_with_the_cause() -> None:
    class Exploding(Integration):
        integration_id = "tests.exploding"

        def __init__(self, *args: Any) -> None:
            raise RuntimeError("no credentials")

    manager = IntegrationManager()
    with pytest.raises(IntegrationRegistrationError, match=r"tests\.exploding.*no credentials"):
        manager.register(Exploding)
    assert not manager.is_registered("tests.exploding")


@pytest.mark.parametrize(
    ("icons", "reason"),
    [
        ({"2x": "/b.png"}, "needs a '1x'"),
        ({"1x": "/a.png", "3x": "/c.png"}, "unknown keys"),
        ({"1x": ""}, "non-empty"),
    ],
)
def test_icon_urls_need_1x(icons: dict[str, str], reason: str) -> None:
    class BadIcons(Integration):
        integration_id = "tests.bad_icons"
        icon_static_urls = icons

    with pytest.raises(IntegrationRegistrationError, match=reason):
        IntegrationManager().register(BadIcons)


def test_icon_urls_may_be_a_property() -> None:
    class PropertyIcons(Integration):
        integration_id = "tests.property_icons"

        @property
        def icon_static_urls(self) -> dict[str, str]:
            return {"1x": f"/static/{self.integration_id}.png"}

    instance = IntegrationManager().register(PropertyIcons)
    assert instance.icon_static_urls == {"1x": "/static/tests.property_icons.png"}


def test_subscribing_while_disabled_is_refused() -> None:
    instance = IntegrationManager().register(SampleIntegration)
    with pytest.raises(IntegrationStateError, match=r"tests\.sample.*initialize"):
        instance.subscribe("review.*", SampleIntegration.on_event.__get__(instance))


# -- lifecycle -----------------------------------------------------------------


async def test_enabled_exactly_while_an_enabled_config_exists(
    running: Running, store: ConfigStore
) -> None:
    sample, manager = running.sample, running.manager
    assert not sample.enabled
    assert sample.calls == []
    assert manager.subscriptions.match("review.published") == ()

    first = await running.admin.create("tests.sample", name="one")
    await wait_for(lambda: sample.enabled, what="initialize")
    assert sample.calls == ["initialize"]
    assert [s.pattern for s in manager.subscriptions.match("review.published")] == [
        "review.published",
        "review.*",
    ]

    second = await running.admin.create("tests.sample", name="two", enabled=False)
    await running.admin.set_enabled(second.id, True)
    await running.admin.set_enabled(first.id, False)
    await settle(running, store)
    assert sample.enabled
    assert sample.calls == ["initialize"]

    await running.admin.set_enabled(second.id, False)
    await wait_for(lambda: not sample.enabled, what="shutdown")
    assert sample.calls == ["initialize", "shutdown"]
    assert manager.subscriptions.match("review.published") == ()

    await running.admin.set_enabled(first.id, True)
    await wait_for(lambda: sample.enabled, what="initialize again")
    await running.admin.delete(first.id)
    await wait_for(lambda: not sample.enabled, what="shutdown on delete")
    assert sample.calls == ["initialize", "shutdown", "initialize", "shutdown"]


async def test_leaving_running_shuts_integrations_down(
    store: ConfigStore, redis_client: Redis
) -> None:
    await store.create(integration_id="tests.sample", name="one")
    manager = IntegrationManager()
    sample = manager.register(SampleIntegration)
    assert isinstance(sample, SampleIntegration)
    async with ConfigCache(store, redis_client, poll_interval=0.1) as cache:
        with manager.running(cache):
            assert sample.enabled  # enabled at once from the loaded cache
        assert sample.calls == ["initialize", "shutdown"]
        assert len(manager.subscriptions) == 0


async def test_a_failing_initialize_leaves_it_disabled_and_others_unaffected(
    running: Running, store: ConfigStore
) -> None:
    class Broken(Integration):
        integration_id = "tests.broken"

        def initialize(self) -> None:
            self.subscribe("*", self.on_event)
            raise RuntimeError("cannot start")

        async def on_event(self, event: Event) -> None:
            pass

    broken = running.manager.register(Broken)
    await running.admin.create("tests.broken", name="b")
    await running.admin.create("tests.sample", name="s")
    await wait_for(lambda: running.sample.enabled, what="sample enabled")
    await settle(running, store)
    assert not broken.enabled
    # What it subscribed before raising is not live.
    assert running.manager.subscriptions.for_integration("tests.broken") == []


async def test_a_shutdown_that_raises_still_drops_subscriptions(running: Running) -> None:
    class RaisesOnShutdown(SampleIntegration):
        integration_id = "tests.raises_on_shutdown"

        def shutdown(self) -> None:
            raise RuntimeError("shutdown failed")

    instance = running.manager.register(RaisesOnShutdown)
    record = await running.admin.create("tests.raises_on_shutdown", name="r")
    await wait_for(lambda: instance.enabled, what="enabled")
    await running.admin.delete(record.id)
    await wait_for(lambda: not instance.enabled, what="disabled")
    assert running.manager.subscriptions.for_integration("tests.raises_on_shutdown") == []


# -- get_configs -----------------------------------------------------------------


async def test_get_configs_filters_enabled_tenant_and_conditions(
    running: Running, store: ConfigStore
) -> None:
    admin = running.admin
    plain = await admin.create("tests.sample", name="plain")
    await admin.create("tests.sample", name="off", enabled=False)
    acme = await admin.create("tests.sample", name="acme", tenant="acme")
    alice = await admin.create(
        "tests.sample",
        name="alice only",
        conditions={
            "mode": "all",
            "conditions": [{"choice": "review.author", "op": "is", "value": "alice"}],
        },
    )
    await settle(running, store)
    sample = running.sample

    by_alice = Event(type="review.published", data={"review": {"author": "alice"}})
    by_bob = Event(type="review.published", data={"review": {"author": "bob"}})
    for_acme = Event(type="review.published", tenant="acme", data={})

    assert [c.id for c in await sample.get_configs(by_alice)] == [plain.id, alice.id]
    assert [c.id for c in await sample.get_configs(by_bob)] == [plain.id]
    assert [c.id for c in await sample.get_configs(for_acme)] == [acme.id]
    assert [c.id for c in await sample.get_configs(tenant="acme")] == [acme.id]
    assert [c.id for c in await sample.get_configs(tenant=None)] == [plain.id, alice.id]
    assert {c.id for c in await sample.get_configs()} == {plain.id, acme.id, alice.id}


async def test_get_configs_costs_no_redis_round_trip_when_nothing_changed(
    store: ConfigStore, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.create(integration_id="tests.sample", name="one")
    manager = IntegrationManager()
    sample = manager.register(SampleIntegration)
    event = Event(type="review.published")
    # The cache asks the store for changes on entering, then twice as its watcher
    # subscribes (once subscribed, and once the subscription is confirmed: a message); after
    # that, with a long poll interval, only a message would make it ask.
    asked = 0
    changes_since = store.changes_since

    async def counted(generation: int) -> ConfigChanges:
        nonlocal asked
        changes = await changes_since(generation)
        asked += 1
        return changes

    monkeypatch.setattr(store, "changes_since", counted)

    async def commands_processed() -> int:
        stats = await redis_client.info("stats")
        return int(stats["total_commands_processed"])

    async with ConfigCache(store, redis_client, poll_interval=60) as cache:
        with manager.running(cache):
            await sample.get_configs(event)  # warm-up
            await wait_for(lambda: asked == 3, timeout=10, what="the watcher subscribed")
            before = await commands_processed()
            for _ in range(1000):
                assert len(await sample.get_configs(event)) == 1
            after = await commands_processed()
    assert after - before == 1  # the INFO call itself, nothing else


async def test_config_get_falls_back_to_defaults_then_the_callers_default(
    running: Running, store: ConfigStore
) -> None:
    await running.admin.create("tests.sample", name="c", settings={"client_id": "mine"})
    await settle(running, store)
    (config,) = await running.sample.get_configs()
    assert config.get("client_id") == "mine"  # stored
    assert config.get("endpoint_url") == "https://example.com/endpoint/"  # default_settings
    assert config.get("retries") == 3  # the form's own default, stored
    assert config.get("nothing", "fallback") == "fallback"
    assert "endpoint_url" not in config.settings
    assert "mine" not in repr(config)


# -- orphans and invalid records -------------------------------------------------


async def test_orphaned_configs_are_kept_and_adopted_when_installed(
    running: Running, store: ConfigStore
) -> None:
    orphan = await store.create(integration_id="support.sample.OtherIntegration", name="o")
    await settle(running, store)
    assert [r.id for r in running.manager.orphaned_records()] == [orphan.id]
    assert running.sample.enabled is False

    other = running.manager.register(OtherIntegration)
    assert other.enabled  # its configuration was waiting for it
    assert running.manager.orphaned_records() == []
    assert [c.id for c in await other.get_configs()] == [orphan.id]

    running.manager.unregister(OtherIntegration)
    assert not other.enabled
    assert [r.id for r in running.manager.orphaned_records()] == [orphan.id]


async def test_a_stored_record_with_bad_conditions_is_skipped_not_fatal(
    running: Running, store: ConfigStore, keys: RedisKeys
) -> None:
    good = await running.admin.create("tests.sample", name="good")
    bad = await store.create(integration_id="tests.sample", name="bad")
    # Written behind the store's back, as an old version or a hand edit might.
    raw = orjson.loads(bad.to_json())
    raw["conditions"] = {"mode": "all", "conditions": [{"choice": "x", "op": "nope"}]}
    await store._redis.hset(keys.configs, bad.id, orjson.dumps(raw))
    await store.update(good.id, lambda r: {"name": "good2"})  # anything to wake the cache
    await settle(running, store)
    await store.update(bad.id, lambda r: {"name": "bad2"})
    await settle(running, store)
    assert bad.id in running.manager.invalid_configs
    assert "unknown operator" in running.manager.invalid_configs[bad.id]
    assert [c.id for c in await running.sample.get_configs()] == [good.id]


# -- validated writes ------------------------------------------------------------


@pytest.fixture
def admin(store: ConfigStore) -> Iterator[ConfigAdmin]:
    manager = IntegrationManager()
    manager.register(SampleIntegration)
    return ConfigAdmin(manager, store)


async def test_bad_conditions_are_refused_when_saved(
    admin: ConfigAdmin, store: ConfigStore
) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        await admin.create(
            "tests.sample",
            name="x",
            conditions={
                "mode": "any",
                "conditions": [{"choice": "title", "op": "matches-regex", "value": "(unclosed"}],
            },
        )
    assert "conditions.conditions.0.value" in caught.value.errors
    assert "(unclosed" in caught.value.errors["conditions.conditions.0.value"]
    assert (await store.list())[0] == []


async def test_new_configs_default_to_always(admin: ConfigAdmin) -> None:
    record = await admin.create("tests.sample", name="x")
    assert record.conditions["mode"] == "always"


async def test_settings_are_validated_and_normalised(admin: ConfigAdmin) -> None:
    record = await admin.create(
        "tests.sample", name="  spaced  ", settings={"endpoint_url": "HTTPS://Example.COM"}
    )
    assert record.name == "spaced"
    assert record.settings["endpoint_url"] == "https://example.com/"
    with pytest.raises(ConfigValidationError) as caught:
        await admin.create("tests.sample", name="x", settings={"retries": 11, "bogus": 1})
    assert set(caught.value.errors) == {"retries", "bogus"}


async def test_update_merges_unsets_and_revalidates(admin: ConfigAdmin) -> None:
    record = await admin.create("tests.sample", name="x", settings={"client_id": "a", "retries": 1})
    updated = await admin.update(record.id, settings={"retries": 2}, unset=["client_id"])
    assert updated.settings == {"retries": 2, "api_token": None}
    with pytest.raises(ConfigValidationError, match="retries"):
        await admin.update(record.id, settings={"retries": -1})
    assert (await admin.get(record.id)).settings == updated.settings


async def test_orphans_can_be_renamed_and_disabled_but_not_reconfigured(
    admin: ConfigAdmin, store: ConfigStore
) -> None:
    orphan = await store.create(integration_id="gone.Integration", name="o", settings={"k": 1})
    renamed = await admin.update(orphan.id, name="renamed", enabled=False)
    assert (renamed.name, renamed.enabled, renamed.settings) == ("renamed", False, {"k": 1})
    with pytest.raises(IntegrationNotRegisteredError, match=r"gone\.Integration"):
        await admin.update(orphan.id, settings={"k": 2})
    assert admin.secret_settings(renamed) == frozenset({"k"})
