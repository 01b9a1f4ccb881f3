"""``switchboard web``: serve the web app: the admin UI (``/ui/``), the API (``/api/``),
``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import asyncio

import click
from aiohttp import web

from switchboard.config import Settings

from ..logs import configure_logging
from ..web import create_app
from .common import run, stop_on_signals

__all__ = ["serve_web", "web_command"]


async def serve_web(settings: Settings, host: str, port: int, stop: asyncio.Event) -> int:
    """Serve until ``stop`` is set; returns the port (useful with port 0)."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        click.echo(
            f"web: http://{host}:{bound}/ (admin UI: /ui/, API: /api/docs, health: /healthz)"
        )
        await stop.wait()
        return int(bound)
    finally:
        await runner.cleanup()


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="PORT",  # what Heroku-style platforms set for the process to listen on
    help="Port to listen on ($PORT when not given).",
)
def web_command(host: str, port: int) -> None:
    """Serve the web app until SIGTERM or Ctrl-C."""

    async def main(settings: Settings) -> None:
        configure_logging(settings)
        with stop_on_signals() as stop:
            try:
                await serve_web(settings, host, port, stop)
            except OSError as exc:
                raise click.ClickException(
                    f"cannot listen on {host}:{port}: {exc.strerror}"
                ) from None

    run(main)
