"""``ConfigAdmin(max_configs_per_tenant=N)``: a tenant has at most N configurations, by
create or by an update that moves one into it; configurations with no tenant are never
counted. A real Redis and a ``ConfigStore`` (the suite's fixtures)."""

from __future__ import annotations

import asyncio

import pytest
from support.sample import SampleIntegration

from switchboard.config import ConfigStore
from switchboard.integrations import ConfigAdmin, ConfigValidationError, IntegrationManager

SAMPLE = "tests.sample"
CAP = 2


def _admin(store: ConfigStore, cap: int | None = CAP) -> ConfigAdmin:
    manager = IntegrationManager()
    manager.register(SampleIntegration)
    return ConfigAdmin(manager, store, max_configs_per_tenant=cap)


@pytest.fixture
def admin(store: ConfigStore) -> ConfigAdmin:
    return _admin(store)


async def _ids(store: ConfigStore, tenant: str) -> set[str]:
    records, _ = await store.list(tenant=tenant)
    return {record.id for record in records}


async def _fill(admin: ConfigAdmin, tenant: str) -> list[str]:
    """``CAP`` configurations of ``tenant``: it is full."""
    return [
        (await admin.create(SAMPLE, name=f"{tenant}-{n}", tenant=tenant)).id for n in range(CAP)
    ]


async def test_a_full_tenant_can_create_no_more(admin: ConfigAdmin, store: ConfigStore) -> None:
    ids = await _fill(admin, "acme")
    with pytest.raises(ConfigValidationError) as caught:
        await admin.create(SAMPLE, name="one too many", tenant="acme")
    assert set(caught.value.errors) == {"tenant"}
    assert f"already has {CAP} configurations" in caught.value.errors["tenant"]
    assert await _ids(store, "acme") == set(ids)  # nothing stored
    assert "one too many" not in [r.name for r in (await store.list())[0]]
    # Another tenant has room of its own; the tenant as stored (stripped) is the one counted.
    assert (await admin.create(SAMPLE, name="theirs", tenant="globex")).tenant == "globex"
    with pytest.raises(ConfigValidationError, match="tenant"):
        await admin.create(SAMPLE, name="spaced", tenant="  acme ")


async def test_a_deleted_configuration_makes_room(admin: ConfigAdmin) -> None:
    ids = await _fill(admin, "acme")
    await admin.delete(ids[0])
    assert (await admin.create(SAMPLE, name="in its place", tenant="acme")).tenant == "acme"


async def test_configurations_with_no_tenant_are_never_counted(
    admin: ConfigAdmin, store: ConfigStore
) -> None:
    for n in range(CAP + 2):
        assert (await admin.create(SAMPLE, name=f"operator-{n}")).tenant is None
    # The operator's, above the cap, take none of a tenant's room either.
    await _fill(admin, "acme")
    assert len(await _ids(store, "acme")) == CAP


async def test_an_update_that_moves_a_configuration_into_a_full_tenant_is_refused(
    admin: ConfigAdmin, store: ConfigStore
) -> None:
    await _fill(admin, "acme")
    mover = await admin.create(SAMPLE, name="mover", tenant="globex")
    operators = await admin.create(SAMPLE, name="operator's")
    for record in (mover, operators):
        with pytest.raises(ConfigValidationError) as caught:
            await admin.update(record.id, tenant="acme", name="renamed")
        assert set(caught.value.errors) == {"tenant"}
        stored = await store.get(record.id)
        assert (stored.tenant, stored.name, stored.updated_at) == (
            record.tenant, record.name, record.updated_at,
        )  # fmt: skip
    assert len(await _ids(store, "acme")) == CAP


async def test_a_configuration_already_in_a_full_tenant_may_be_updated(
    admin: ConfigAdmin,
) -> None:
    first, _ = await _fill(admin, "acme")
    updated = await admin.update(first, tenant="acme", name="same tenant")
    assert (updated.tenant, updated.name) == ("acme", "same tenant")
    assert (await admin.update(first, tenant=" acme ")).tenant == "acme"  # as stored
    assert (await admin.update(first, name="no tenant given")).name == "no tenant given"


async def test_moving_a_configuration_out_of_a_full_tenant_makes_room(
    admin: ConfigAdmin,
) -> None:
    first, _ = await _fill(admin, "acme")
    assert (await admin.update(first, tenant=None)).tenant is None  # to the operator's
    assert (await admin.create(SAMPLE, name="in its place", tenant="acme")).tenant == "acme"
    with pytest.raises(ConfigValidationError, match="tenant"):
        await admin.update(first, tenant="acme")  # and back: full again


async def test_without_a_cap_a_tenant_may_have_any_number(store: ConfigStore) -> None:
    admin = _admin(store, cap=None)
    for n in range(CAP + 3):
        await admin.create(SAMPLE, name=f"acme-{n}", tenant="acme")
    assert len(await _ids(store, "acme")) == CAP + 3


async def test_concurrent_creates_do_not_pass_the_cap_together(
    admin: ConfigAdmin, store: ConfigStore
) -> None:
    results = await asyncio.gather(
        *(admin.create(SAMPLE, name=f"acme-{n}", tenant="acme") for n in range(CAP + 1)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ConfigValidationError)]
    assert len(refused) == 1
    assert len(await _ids(store, "acme")) == CAP
