"""nginx as the HTTP ceiling's sink, where it is installed.

The ceiling is a bare client against a sink on the same 2 cores, so the
sink's CPU comes off the client's: ``bench.sink`` (a bare asyncio protocol)
is cheap, nginx cheaper still (a C event loop, ``return 204``, no log). The
other scenarios keep ``bench.sink``: they need it to read each body's emit
time and to count deliveries by path.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from .harness import free_port

__all__ = ["NginxSink", "nginx_sink", "nginx_version"]

_CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 204; }}
    }}
}}
"""


def _binary() -> str | None:
    # /usr/sbin is not on every user's PATH, and Debian's package puts nginx there.
    return shutil.which("nginx") or shutil.which("/usr/sbin/nginx")


def nginx_version() -> str | None:
    """``nginx/1.22.1``, or ``None`` when nginx is not installed."""
    binary = _binary()
    if binary is None:
        return None
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return out.stderr.strip().removeprefix("nginx version: ") or "nginx"


class NginxSink:
    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.asynccontextmanager
async def nginx_sink() -> AsyncIterator[NginxSink]:
    """nginx on a free port of 127.0.0.1, answering every request 204, until the end."""
    binary = _binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        config = Path(directory, "nginx.conf")
        config.write_text(_CONFIG.format(dir=directory, port=port))
        process = await asyncio.create_subprocess_exec(
            *(binary, "-p", directory, "-c", str(config), "-e", f"{directory}/error.log"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            await _listening(port, process)
            yield NginxSink(port)
        finally:
            if process.returncode is None:
                process.terminate()
            await asyncio.wait_for(process.wait(), 10)


async def _listening(port: int, process: asyncio.subprocess.Process, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.returncode is not None:
            assert process.stderr is not None
            error = (await process.stderr.read()).decode().strip()
            raise RuntimeError(f"nginx did not start: {error}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nginx is not listening on {port} after {timeout} s")
        await asyncio.sleep(0.02)  # polling for the port to open
