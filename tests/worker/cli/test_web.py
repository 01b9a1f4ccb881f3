"""``switchboard web`` as a real process: it listens on ``$PORT`` when ``--port`` is not
given (as the platforms that run a Procfile set it), and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket

import aiohttp
from support.workers import SWITCHBOARD

from switchboard.testing import wait_for_async


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_web_listens_on_port_from_the_environment(redis_url: str) -> None:
    port = _free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "PORT": str(port)}
    web = await asyncio.create_subprocess_exec(
        SWITCHBOARD, "web", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:

        async def healthy() -> bool:
            try:
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"http://127.0.0.1:{port}/healthz") as response,
                ):
                    return response.status == 200
            except aiohttp.ClientConnectionError:
                return False

        await wait_for_async(healthy, what=f"switchboard web on $PORT {port}")
    finally:
        web.send_signal(signal.SIGTERM)
        out, _ = await web.communicate()
    assert web.returncode == 0
    assert f"web: http://127.0.0.1:{port}/" in out.decode()
