"""``switchboard configs …``: list, show, add, edit, enable, disable and delete configurations."""

from __future__ import annotations

from typing import Any

import click
import orjson

from switchboard.config import UNSET, ConfigRecord, Settings, Unset, shown_id
from switchboard.integrations import ConfigAdmin, ConfigValidationError, parse_setting_value

from .common import admin_session, fail, run
from .config_test import test_config
from .output import echo_json, echo_table, record_json

__all__ = ["configs"]


def _parse_sets(form_cls: Any, pairs: tuple[str, ...]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigValidationError({pair: "expected key=value"}, subject="--set")
        settings[key.strip()] = parse_setting_value(form_cls, key.strip(), raw)
    return settings


def _parse_conditions(raw: str | None) -> Any:
    if raw is None:
        return UNSET
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigValidationError({"conditions": f"not valid JSON ({exc})"}) from None


@click.group()
def configs() -> None:
    """Operators' configurations of the installed integrations."""


@configs.command("list")
@click.option("--integration", "integration_id", help="Only this integration's.")
@click.option("--tenant", help="Only this tenant's.")
@click.option("--enabled/--disabled", "enabled", default=None, help="Only enabled (or disabled).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_configs(
    integration_id: str | None, tenant: str | None, enabled: bool | None, as_json: bool
) -> None:
    """List configurations."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            records, broken = await session.store.list(
                integration_id=integration_id,
                tenant=UNSET if tenant is None else tenant,
                enabled=enabled,
            )
            if as_json:
                echo_json([record_json(r, session.admin) for r in records])
            else:
                echo_table(
                    ["ID", "INTEGRATION", "NAME", "TENANT", "ENABLED", "STATUS"],
                    [
                        [
                            r.id,
                            r.integration_id,
                            r.name,
                            r.tenant or "-",
                            "yes" if r.enabled else "no",
                            _status(r, session.admin),
                        ]
                        for r in records
                    ],
                )
            for error in broken.values():
                click.echo(f"warning: {error}", err=True)

    run(main)


def _status(record: ConfigRecord, admin: ConfigAdmin) -> str:
    if admin.is_orphaned(record):
        return "orphaned"
    if record.disabled_reason:
        return f"disabled: {record.disabled_reason}"
    return "ok"


def _plain(value: Any) -> str:
    """A value as the text output shows it: no Python reprs."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@configs.command("show")
@click.argument("config_id")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def show_config(config_id: str, as_json: bool) -> None:
    """Show one configuration (secrets masked)."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            record = await session.admin.get(config_id)
            data = record_json(record, session.admin)
            if as_json:
                echo_json(data)
                return
            for key in (
                "id",
                "integration_id",
                "name",
                "enabled",
                "disabled_reason",
                "tenant",
                "rate_limit",
                "effective_rate_limit",
                "orphaned",
                "created_at",
                "updated_at",
            ):
                click.echo(f"{key}: {_plain(data[key])}")
            click.echo("settings:")
            for key, value in data["settings"].items():
                click.echo(f"  {key}: {orjson.dumps(value).decode()}")
            click.echo(f"conditions: {orjson.dumps(data['conditions']).decode()}")

    run(main)


@configs.command("add")
@click.argument("integration_id")
@click.option("--name", required=True, help="A name for the configuration.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="A setting (repeat); a list or mapping as JSON: 'event_types=[\"review.*\"]'.",
)
@click.option("--tenant", help="The tenant it serves (default: events with no tenant).")
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@click.option("--conditions", help='Match conditions, JSON: {"mode": "all", "conditions": [...]}.')
@click.option("--rate-limit", type=float, help="At most this many deliveries per second.")
@click.option("--json", "as_json", is_flag=True, help="Print the new configuration as JSON.")
def add_config(
    integration_id: str,
    name: str,
    sets: tuple[str, ...],
    tenant: str | None,
    disabled: bool,
    conditions: str | None,
    rate_limit: float | None,
    as_json: bool,
) -> None:
    """Add a configuration of INTEGRATION_ID; prints its id."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            form_cls = session.admin.form_for(integration_id)
            parsed_conditions = _parse_conditions(conditions)
            record = await session.admin.create(
                integration_id,
                name=name,
                settings=_parse_sets(form_cls, sets),
                tenant=tenant,
                enabled=not disabled,
                conditions=None if isinstance(parsed_conditions, Unset) else parsed_conditions,
                rate_limit=rate_limit,
            )
            if as_json:
                echo_json(record_json(record, session.admin))
            else:
                click.echo(record.id)

    run(main)


@configs.command("edit")
@click.argument("config_id")
@click.option("--name", help="A new name.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help='Set a setting (repeat); a list or mapping as JSON: \'headers={"X-A": "1"}\'.',
)
@click.option("--unset", "unsets", multiple=True, metavar="KEY", help="Remove a setting (repeat).")
@click.option("--tenant", help="Move it to this tenant.")
@click.option("--no-tenant", is_flag=True, help="Serve events with no tenant.")
@click.option("--conditions", help="Replace the match conditions (JSON).")
@click.option("--rate-limit", type=float, help="At most this many deliveries per second.")
@click.option("--no-rate-limit", is_flag=True, help="Remove the rate limit.")
def edit_config(
    config_id: str,
    name: str | None,
    sets: tuple[str, ...],
    unsets: tuple[str, ...],
    tenant: str | None,
    no_tenant: bool,
    conditions: str | None,
    rate_limit: float | None,
    no_rate_limit: bool,
) -> None:
    """Change a configuration; settings not named keep their values."""
    if tenant is not None and no_tenant:
        raise click.UsageError("--tenant and --no-tenant exclude each other")

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            record = await session.admin.get(config_id)
            new_settings: dict[str, Any] = {}
            if sets:
                new_settings = _parse_sets(session.admin.form_for(record.integration_id), sets)
            new_tenant: str | Unset | None = (
                None if no_tenant else (UNSET if tenant is None else tenant)
            )
            updated = await session.admin.update(
                config_id,
                name=name,
                settings=new_settings,
                unset=unsets,
                tenant=new_tenant,
                conditions=_parse_conditions(conditions),
                rate_limit=None if no_rate_limit else (UNSET if rate_limit is None else rate_limit),
            )
            click.echo(f"updated {updated.id}")

    run(main)


def _set_enabled_command(enabled: bool) -> click.Command:
    verb = "enable" if enabled else "disable"

    @click.argument("config_id")
    def command(config_id: str) -> None:
        async def main(settings: Settings) -> None:
            async with admin_session(settings) as session:
                record = await session.admin.set_enabled(config_id, enabled)
                click.echo(f"{verb}d {record.id}")

        run(main)

    command.__doc__ = f"{verb.capitalize()} a configuration."
    return click.command(verb)(command)


configs.add_command(_set_enabled_command(True))
configs.add_command(_set_enabled_command(False))


@configs.command("secret")
@click.argument("config_id")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def reveal_secret(config_id: str, as_json: bool) -> None:
    """Print the secret that signs a configuration's deliveries, for its receiver to verify
    them (and, while a rotation overlaps, the previous one on a second line).

    The one command that shows a secret: every other output masks it.
    """

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            secrets = await session.admin.reveal_signing_secrets(config_id)
        if not secrets:
            fail(f'Configuration "{shown_id(config_id)}" does not sign its deliveries.')
        if as_json:
            echo_json({"config_id": config_id, "signing_secrets": list(secrets)})
        else:
            for secret in secrets:
                click.echo(secret)

    run(main)


@configs.command("delete")
@click.argument("config_id")
def delete_config(config_id: str) -> None:
    """Delete a configuration."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            await session.admin.delete(config_id)
            click.echo(f"deleted {config_id}")

    run(main)


configs.add_command(test_config)
