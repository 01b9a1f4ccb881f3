"""``switchboard tokens create|list|revoke``: the API tokens stored in Redis.

A stored token is held to one tenant (``--tenant``) or, said explicitly, to none
(``--all-tenants``): a global token that, unlike ``SWITCHBOARD_ADMIN_TOKEN``, can be given
to one tool and revoked without restarting the web processes. ``create`` prints the secret
once, alone on stdout (so ``TOKEN=$(switchboard tokens create ...)`` takes just it), and
what it is on stderr; Redis keeps only its hash, so it cannot be shown again.

These commands need Redis only, not the integrations: a plugin that fails to load never
stands between an operator and revoking a token.
"""

from __future__ import annotations

import click

from switchboard.config import (
    InvalidArgumentError,
    Scope,
    Settings,
    TokenRecord,
    TokenStore,
    checked_tenant,
    open_redis,
)

from .common import EXIT_INVALID, fail, run
from .output import echo_json, echo_table

__all__ = ["tokens"]


def _tenant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--tenant`` as configurations keep it (stripped), or the rule it breaks."""
    try:
        return checked_tenant(value)
    except InvalidArgumentError as exc:
        raise click.BadParameter(str(exc)) from None


def _holder(record: TokenRecord) -> str:
    return f"tenant {record.tenant}" if record.tenant is not None else "every tenant"


@click.group()
def tokens() -> None:
    """API tokens: tenant-scoped (or explicitly global) admin and ingest tokens."""


@tokens.command("create")
@click.option(
    "--scope",
    required=True,
    type=click.Choice([scope.value for scope in Scope]),
    help="admin: everything an operator does; ingest: emitting events only.",
)
@click.option("--tenant", callback=_tenant, help="The one tenant the token sees and changes.")
@click.option(
    "--all-tenants",
    is_flag=True,
    help="A token for every tenant, like SWITCHBOARD_ADMIN_TOKEN but revocable.",
)
@click.option("--name", help="Who holds it or what for, for listings.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (the secret as `token`).")
def create_token(
    scope: str, tenant: str | None, all_tenants: bool, name: str | None, as_json: bool
) -> None:
    """Make a token and print its secret, once: only its hash is stored."""
    if (tenant is not None) == all_tenants:  # neither, or both
        fail(
            "give --tenant T for one tenant's token, or --all-tenants for a global one",
            EXIT_INVALID,
        )

    async def main(settings: Settings) -> None:
        async with open_redis(settings) as redis:
            try:
                record, secret = await TokenStore.for_settings(redis, settings).create(
                    Scope(scope), tenant, name
                )
            except InvalidArgumentError as exc:  # the name: the tenant was checked above
                fail(str(exc), EXIT_INVALID)
        if as_json:
            echo_json({**record.model_dump(mode="json"), "token": secret})
        else:
            click.echo(f"{record.id}: {record.scope} token for {_holder(record)}", err=True)
            click.echo(secret)
        click.echo("This token will not be shown again: keep it now.", err=True)

    run(main)


@tokens.command("list")
@click.option("--tenant", callback=_tenant, help="Only this tenant's.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_tokens(tenant: str | None, as_json: bool) -> None:
    """List stored tokens, oldest first (never their secrets)."""

    async def main(settings: Settings) -> None:
        async with open_redis(settings) as redis:
            store = TokenStore.for_settings(redis, settings)
            records = await (store.list() if tenant is None else store.list(tenant))
        if as_json:
            echo_json([record.model_dump(mode="json") for record in records])
            return
        if not records:
            click.echo("No stored tokens.")
            return
        rows = [
            (
                record.id,
                record.scope,
                record.tenant if record.tenant is not None else "(every tenant)",
                record.created_at.isoformat(timespec="seconds"),
                f"...{record.hint}",
                record.name or "-",
            )
            for record in records
        ]
        echo_table(("ID", "SCOPE", "TENANT", "CREATED", "ENDS", "NAME"), rows)

    run(main)


@tokens.command("revoke")
@click.argument("token_id")
def revoke_token(token_id: str) -> None:
    """Revoke a token (by its tok_ id): it stops working at once."""

    async def main(settings: Settings) -> None:
        async with open_redis(settings) as redis:
            record = await TokenStore.for_settings(redis, settings).revoke(token_id)
        click.echo(f"revoked {record.id} ({record.scope} token for {_holder(record)})")

    run(main)
