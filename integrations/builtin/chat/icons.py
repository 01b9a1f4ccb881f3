"""The chat integrations' icons: PNG files shipped in this package's ``static/icons/``.

Each service has ``<service>.png`` (32 by 32 pixels, ``1x``) and ``<service>@2x.png`` (64 by 64).
``icon_static_urls(service)`` gives the URLs an integration reports: paths under
``/static/<import name>/``, which stands for a package's ``static/`` folder (the
convention ``docs/writing-integrations.md`` describes); ``icon_file`` is the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final

__all__ = ["ICON_RESOLUTIONS", "icon_file", "icon_static_urls"]

#: File name suffix of each resolution.
ICON_RESOLUTIONS: Final = MappingProxyType({"1x": "", "2x": "@2x"})


def _path(service: str, resolution: str) -> str:
    return f"icons/{service}{ICON_RESOLUTIONS[resolution]}.png"


def icon_static_urls(service: str) -> Mapping[str, str]:
    return MappingProxyType(
        {size: f"/static/{__package__}/{_path(service, size)}" for size in ICON_RESOLUTIONS}
    )


def icon_file(service: str, resolution: str) -> Traversable:
    """The PNG of ``service``'s icon at ``resolution`` (``"1x"``, ``"2x"``)."""
    return files(__package__ or "") / "static" / _path(service, resolution)
