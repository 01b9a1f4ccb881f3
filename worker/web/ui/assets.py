"""Files the pages use: the UI's own stylesheet (``/ui/assets/<name>``) and integrations'
icons (``/static/<package>/<path>``, the convention of ``icon_static_urls``: a package's
``static/`` folder, docs/writing-integrations.md).

Only the packages an installed integration names in its icon URLs are served, only
their ``static/`` folder, only image files, and never a path that climbs out (``..``)
or hides (``.name``): the URL space is what integrations declared, nothing else of the
installation is reachable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from typing import Final

from aiohttp import web

from switchboard.integrations import Integration

from ..api.services import SERVICES

__all__ = ["routes", "static_packages"]

_MEDIA_TYPES: Final = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,99}")
_STATIC_URL: Final = re.compile(r"^/static/([A-Za-z_][A-Za-z0-9_.]*)/")
_OWN: Final = frozenset({"style.css"})


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/assets/{name}", _asset)
    app.router.add_get("/static/{package}/{path:.+}", _static)


def static_packages(integrations: Iterable[Integration]) -> frozenset[str]:
    """The packages whose ``static/`` folders the installed integrations' icons are in."""
    found = set()
    for integration in integrations:
        for url in (integration.icon_static_urls or {}).values():
            if match := _STATIC_URL.match(url):
                found.add(match[1])
    return frozenset(found)


async def _asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _OWN:
        raise web.HTTPNotFound()
    body = (files(__package__ or "") / "assets" / name).read_bytes()
    return web.Response(body=body, content_type="text/css", headers=_CACHED)


async def _static(request: web.Request) -> web.Response:
    package, path = request.match_info["package"], request.match_info["path"]
    segments = path.split("/")
    media_type = _MEDIA_TYPES.get(path[path.rfind(".") :].lower()) if "." in path else None
    manager = request.app[SERVICES].manager
    if (
        media_type is None
        or not all(_SEGMENT.fullmatch(s) for s in segments)
        or package not in static_packages(manager.get_integrations())
    ):
        raise web.HTTPNotFound()
    resource = files(package) / "static"
    for segment in segments:
        resource = resource / segment
    if not resource.is_file():
        raise web.HTTPNotFound()
    return web.Response(body=resource.read_bytes(), content_type=media_type, headers=_CACHED)


#: Files change only with an upgrade: a browser may keep them for an hour.
_CACHED: Final = {"Cache-Control": "public, max-age=3600"}
