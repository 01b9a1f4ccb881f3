"""``switchboard new-integration NAME``: a new integration package, ready to test."""

from __future__ import annotations

from pathlib import Path

import click

from switchboard.config.errors import InvalidArgumentError

from .common import EXIT_INVALID, fail

__all__ = ["new_integration"]


@click.command("new-integration")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write it (new or empty). Default: ./NAME.",
)
def new_integration(name: str, folder: Path | None) -> None:
    """Write a new integration package (its class, form, icons, entry point, a test, README).

    NAME is the service's, e.g. acme-chat (a valid distribution name, starting with a
    letter). It makes the distribution switchboard-acme-chat, the import package
    switchboard_acme_chat (prefixed, so it never shadows the service's own client
    library or a standard module), the class AcmeChatIntegration, and the integration
    id and entry point name acme-chat. A leading switchboard- in NAME is left off.

    \b
    Its tests pass as written, in DIR:
      pip install -e '.[test]' && pytest
    """
    # Jinja2 is imported here, not when `switchboard` starts.
    from switchboard.worker.scaffold import integration_names, write_package

    target = folder if folder is not None else Path(name)
    try:
        names = integration_names(name)
        written = write_package(names, target)
    except InvalidArgumentError as exc:
        fail(str(exc), EXIT_INVALID)
    click.echo(f"wrote {names.distribution} ({names.class_name}, id {names.integration_id}):")
    for path in written:
        click.echo(f"  {path}")
    click.echo("next:")
    click.echo(f"  cd {target}")
    click.echo("  python -m pip install -e '.[test]'")
    click.echo("  python -m pytest && python -m mypy")
    click.echo("  switchboard integrations list")
