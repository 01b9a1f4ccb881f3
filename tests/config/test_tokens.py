"""``Principal`` and ``Scope``: what a token may do, and whose records it sees; ``TokenStore``:
stored tokens made, resolved, listed and revoked, against a real Redis."""

from __future__ import annotations

import hashlib
import logging
import re

import orjson
import pytest

from switchboard.config import (
    TENANT_RULE,
    TOKEN_PREFIX,
    InvalidArgumentError,
    Principal,
    RecordFormatError,
    Redis,
    RedisKeys,
    Scope,
    Settings,
    TokenNotFoundError,
    TokenStore,
    resolve_token,
)


def test_an_admin_may_ingest_and_an_ingest_token_may_not_administer() -> None:
    admin, ingest = Principal(scope=Scope.ADMIN), Principal(scope=Scope.INGEST)
    assert admin.may(Scope.ADMIN)
    assert admin.may(Scope.INGEST)
    assert ingest.may(Scope.INGEST)
    assert not ingest.may(Scope.ADMIN)


def test_a_tenants_token_sees_that_tenant_only_and_a_global_one_every_tenant() -> None:
    acme = Principal(scope=Scope.ADMIN, tenant="acme", token_id="tok_1")
    assert acme.sees("acme")
    assert not acme.sees("globex")
    assert not acme.sees(None)  # the events with no tenant are not acme's either
    assert Principal(scope=Scope.ADMIN).sees("globex")
    assert Principal(scope=Scope.ADMIN).sees(None)


# -- the token store, against a real Redis -------------------------------------------


@pytest.fixture
def tokens(redis_client: Redis, settings: Settings) -> TokenStore:
    return TokenStore.for_settings(redis_client, settings)


async def test_a_made_token_resolves_to_its_tenant_and_scope(tokens: TokenStore) -> None:
    record, secret = await tokens.create(Scope.INGEST, "A", name="billing app")
    assert secret.startswith(TOKEN_PREFIX)
    assert len(secret) == len(TOKEN_PREFIX) + 43
    assert (record.scope, record.tenant, record.name) == (Scope.INGEST, "A", "billing app")
    assert record.id.startswith("tok_")
    assert record.hint == secret[-4:]
    assert await resolve_token(tokens, secret) == Principal(
        scope=Scope.INGEST, tenant="A", token_id=record.id
    )


async def test_a_token_for_every_tenant_resolves_to_no_tenant(tokens: TokenStore) -> None:
    record, secret = await tokens.create(Scope.ADMIN, None)
    assert await tokens.verify(secret) == Principal(scope=Scope.ADMIN, token_id=record.id)


async def test_a_revoked_token_stops_resolving_at_once(tokens: TokenStore) -> None:
    record, secret = await tokens.create(Scope.ADMIN, "acme")
    other, other_secret = await tokens.create(Scope.ADMIN, "acme")
    assert await resolve_token(tokens, secret) is not None
    assert (await tokens.revoke(record.id)).id == record.id
    assert await resolve_token(tokens, secret) is None
    assert [token.id for token in await tokens.list()] == [other.id]
    assert await resolve_token(tokens, other_secret) is not None  # the other one still works
    with pytest.raises(TokenNotFoundError, match=record.id):
        await tokens.revoke(record.id)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "sbt_",
        "Bearer sbt_x",
        "not-ours-at-all",
        "sbt_" + "x" * 43,  # the shape of one, never made
        "sbt_" + "x" * 10_000,  # too long to be one: not even hashed
        "sbt_é" + "x" * 42,
    ],
)
async def test_a_token_never_made_resolves_to_nobody(tokens: TokenStore, token: str) -> None:
    await tokens.create(Scope.ADMIN, "acme")
    assert await resolve_token(tokens, token) is None


async def test_a_secret_is_not_stored_and_the_listing_shows_neither_it_nor_its_hash(
    tokens: TokenStore, redis_client: Redis, keys: RedisKeys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    record, secret = await tokens.create(Scope.ADMIN, "acme", name="ops")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert set(await redis_client.keys("*")) == {
        keys.tokens.encode(),
        keys.token_by_digest(digest).encode(),
    }
    by_id = await redis_client.hget(keys.tokens, record.id)  # type: ignore[misc]
    by_digest = await redis_client.get(keys.token_by_digest(digest))
    assert by_id == by_digest
    assert by_id is not None
    assert secret[4:].encode() not in by_id
    listed = orjson.dumps([token.model_dump(mode="json") for token in await tokens.list()])
    assert secret.encode() not in listed
    assert digest.encode() not in listed
    assert secret[:-4] not in caplog.text
    assert digest not in caplog.text
    assert orjson.loads(listed) == [
        {
            "schema_version": 1,
            "id": record.id,
            "scope": "admin",
            "tenant": "acme",
            "name": "ops",
            "created_at": record.created_at.isoformat().replace("+00:00", "Z"),
            "hint": secret[-4:],
        }
    ]


async def test_listing_filters_by_tenant_oldest_first(tokens: TokenStore) -> None:
    first, _ = await tokens.create(Scope.ADMIN, "acme")
    await tokens.create(Scope.INGEST, "globex")
    third, _ = await tokens.create(Scope.INGEST, "acme")
    every, _ = await tokens.create(Scope.ADMIN, None)
    assert [t.id for t in await tokens.list("acme")] == [first.id, third.id]
    assert [t.id for t in await tokens.list(None)] == [every.id]
    assert len(await tokens.list()) == 4
    assert await tokens.list("initech") == []


@pytest.mark.parametrize("tenant", ["", "   ", "x" * 201])
async def test_a_tenant_breaking_the_configurations_rule_is_refused(
    tokens: TokenStore, tenant: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(TENANT_RULE)):
        await tokens.create(Scope.ADMIN, tenant)
    assert await tokens.list() == []


async def test_a_tenant_is_kept_as_configurations_keep_it_stripped(tokens: TokenStore) -> None:
    record, secret = await tokens.create(Scope.ADMIN, "  acme ", name="   ")
    assert (record.tenant, record.name) == ("acme", None)
    principal = await tokens.verify(secret)
    assert principal is not None
    assert principal.sees("acme")


async def test_a_name_too_long_is_refused(tokens: TokenStore) -> None:
    with pytest.raises(InvalidArgumentError, match="200 characters"):
        await tokens.create(Scope.ADMIN, "acme", name="n" * 201)


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"id": "tok_x"}', "no digest"),
        (b'{"digest": "d", "schema_version": 99}', "schema_version 99"),
        (b'{"digest": "d", "schema_version": 1, "id": "tok_x"}', "scope"),
    ],
)
async def test_an_unreadable_stored_token_is_named_not_skipped(
    tokens: TokenStore, redis_client: Redis, keys: RedisKeys, stored: bytes, reason: str
) -> None:
    await redis_client.hset(keys.tokens, "tok_broken", stored)  # type: ignore[misc]
    with pytest.raises(RecordFormatError, match=f"tok_broken.*{reason}"):
        await tokens.list()
    with pytest.raises(RecordFormatError, match="tok_broken"):
        await tokens.revoke("tok_broken")


async def test_a_record_under_a_digest_that_is_not_its_own_resolves_to_nobody(
    tokens: TokenStore, redis_client: Redis, keys: RedisKeys
) -> None:
    record, secret = await tokens.create(Scope.ADMIN, "acme")
    stored = await redis_client.hget(keys.tokens, record.id)  # type: ignore[misc]
    forged = "sbt_" + "f" * 43
    forged_digest = hashlib.sha256(forged.encode()).hexdigest()
    await redis_client.set(keys.token_by_digest(forged_digest), stored)
    assert await tokens.verify(forged) is None  # the record says another digest
    assert await tokens.verify(secret) is not None
    await redis_client.set(keys.token_by_digest(forged_digest), b"{broken")
    with pytest.raises(RecordFormatError, match="a stored token"):
        await tokens.verify(forged)  # unreadable: refused loudly, never let through
