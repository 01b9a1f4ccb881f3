"""The web app on a real port of 127.0.0.1, for a browser to load (``TestServer`` serves
the same app for aiohttp's own client)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from switchboard.config import Settings
from switchboard.worker.web import create_app

__all__ = ["serving_site"]


@asynccontextmanager
async def serving_site(settings: Settings) -> AsyncIterator[str]:
    """``async with serving_site(settings) as base``: ``base`` is ``http://127.0.0.1:<port>``."""
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    listening = socket.socket()  # bound here and handed over: no port to race for
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    await web.SockSite(runner, listening).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        listening.close()
