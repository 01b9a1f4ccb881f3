"""``switchboard tokens create|list|revoke`` against a real Redis: a token made by the CLI
resolves to its tenant, its secret is printed once and never listed, and a revoked token
stops resolving."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from click.testing import CliRunner
from support.cli import invoke, ok
from support.env import TEST_ENV

from switchboard.config import (
    TOKEN_PREFIX,
    Principal,
    Scope,
    Settings,
    TokenStore,
    open_redis,
    resolve_token,
)

PREFIX = "tokentest"


@pytest.fixture
def runner(redis_url: str) -> CliRunner:
    return CliRunner(
        env={
            "REDIS_URL": redis_url,
            "SWITCHBOARD_KEY_PREFIX": PREFIX,
            "SWITCHBOARD_LOG_LEVEL": "DEBUG",
            **TEST_ENV,
        }
    )


def _resolve(redis_url: str, secret: str) -> Principal | None:
    async def main() -> Principal | None:
        settings = Settings(redis_url=redis_url, key_prefix=PREFIX)
        async with open_redis(settings) as redis:
            return await resolve_token(TokenStore.for_settings(redis, settings), secret)

    return asyncio.run(main())


def test_a_token_is_printed_once_resolves_to_its_tenant_and_is_never_listed(
    runner: CliRunner, redis_url: str
) -> None:
    made = invoke(runner, "tokens", "create", "--scope", "ingest", "--tenant", "acme")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()  # alone on stdout: TOKEN=$(switchboard tokens create ...)
    assert secret.startswith(TOKEN_PREFIX)
    assert "will not be shown again" in made.stderr
    token_id = made.stderr.split(":", 1)[0]
    assert made.stderr.startswith(f"{token_id}: ingest token for tenant acme")
    assert _resolve(redis_url, secret) == Principal(
        scope=Scope.INGEST, tenant="acme", token_id=token_id
    )

    table = invoke(runner, "tokens", "list")
    listed = invoke(runner, "tokens", "list", "--json")
    for result in (table, listed):
        assert result.exit_code == 0
        assert secret[len(TOKEN_PREFIX) : -4] not in result.output  # nor in any log line
    assert table.stdout.split()[:6] == ["ID", "SCOPE", "TENANT", "CREATED", "ENDS", "NAME"]
    assert table.stdout.splitlines()[1].split()[:3] == [token_id, "ingest", "acme"]
    assert f"...{secret[-4:]}" in table.stdout
    (record,) = orjson.loads(listed.stdout)
    assert (record["id"], record["scope"], record["tenant"]) == (token_id, "ingest", "acme")
    assert record["hint"] == secret[-4:]
    assert "token" not in record
    assert "digest" not in record


def test_a_revoked_token_stops_resolving_and_revoking_it_again_names_it(
    runner: CliRunner, redis_url: str
) -> None:
    made = orjson.loads(
        ok(runner, "tokens", "create", "--scope", "admin", "--tenant", "acme", "--json")
    )
    assert _resolve(redis_url, made["token"]) is not None
    revoked = ok(runner, "tokens", "revoke", made["id"])
    assert revoked == f"revoked {made['id']} (admin token for tenant acme)\n"
    assert _resolve(redis_url, made["token"]) is None
    assert ok(runner, "tokens", "list") == "No stored tokens.\n"
    again = invoke(runner, "tokens", "revoke", made["id"])
    assert again.exit_code == 1
    assert again.stderr == f'error: No API token with id "{made["id"]}".\n'


def test_a_global_token_is_made_only_when_asked_for_explicitly(
    runner: CliRunner, redis_url: str
) -> None:
    for args in ([], ["--tenant", "acme", "--all-tenants"]):
        refused = invoke(runner, "tokens", "create", "--scope", "admin", *args)
        assert refused.exit_code == 2
        assert "--tenant T for one tenant's token, or --all-tenants" in refused.stderr
    assert ok(runner, "tokens", "list", "--json") == "[]\n"
    made = invoke(runner, "tokens", "create", "--scope", "admin", "--all-tenants", "--name", "ci")
    assert made.exit_code == 0
    assert "admin token for every tenant" in made.stderr
    secret = made.stdout.strip()
    assert _resolve(redis_url, secret) == Principal(
        scope=Scope.ADMIN, token_id=made.stderr.split(":", 1)[0]
    )
    assert "(every tenant)" in ok(runner, "tokens", "list")


def test_listing_one_tenants_tokens(runner: CliRunner) -> None:
    acme = orjson.loads(
        ok(runner, "tokens", "create", "--scope", "admin", "--tenant", "acme", "--json")
    )
    ok(runner, "tokens", "create", "--scope", "admin", "--tenant", "globex")
    listed = orjson.loads(ok(runner, "tokens", "list", "--tenant", " acme ", "--json"))
    assert [record["id"] for record in listed] == [acme["id"]]


@pytest.mark.parametrize("tenant", ["", "  ", "x" * 201])
def test_a_tenant_that_breaks_the_configurations_rule_is_refused(
    runner: CliRunner, tenant: str
) -> None:
    refused = invoke(runner, "tokens", "create", "--scope", "admin", "--tenant", tenant)
    assert refused.exit_code == 2
    assert "must be 1 to 200 characters" in refused.stderr
    assert ok(runner, "tokens", "list", "--json") == "[]\n"


def test_a_name_too_long_is_refused_naming_the_limit(runner: CliRunner) -> None:
    refused = invoke(
        runner, "tokens", "create", "--scope", "admin", "--tenant", "a", "--name", "n" * 201
    )
    assert refused.exit_code == 2
    assert "at most 200 characters" in refused.stderr
