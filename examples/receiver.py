"""A webhook receiver for trying Switchboard out: prints each request it gets.

.venv/bin/python examples/receiver.py        # listens on http://127.0.0.1:9000/
"""

from __future__ import annotations

import sys

from aiohttp import web


async def receive(request: web.Request) -> web.Response:
    body = await request.text()
    print(f"{request.method} {request.path} {request.headers.get('Content-Type')}")
    print(body, flush=True)
    return web.Response(text="thanks\n")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", receive)
    print(f"receiving on http://127.0.0.1:{port}/", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
