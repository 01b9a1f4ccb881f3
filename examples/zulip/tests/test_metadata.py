"""What a UI and ``switchboard integrations list`` show: the metadata and the icons."""

from __future__ import annotations

import struct
from importlib.metadata import entry_points

import pytest

from switchboard_zulip import ICON_FILES, ZulipIntegration, icon_file


def test_the_integration_is_registered_by_its_entry_point() -> None:
    [entry] = [e for e in entry_points(group="switchboard.integrations") if e.name == "zulip"]
    assert entry.load() is ZulipIntegration
    assert ZulipIntegration.integration_id == "zulip"
    assert ZulipIntegration.name == "Zulip"
    assert ZulipIntegration.description


@pytest.mark.parametrize(("resolution", "pixels"), [("1x", 32), ("2x", 64)])
def test_each_icon_is_a_png_of_its_resolution_shipped_in_the_package(
    resolution: str, pixels: int
) -> None:
    data = icon_file(resolution).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert (width, height) == (pixels, pixels)


def test_icon_urls_are_the_package_s_static_files() -> None:
    urls = ZulipIntegration.icon_static_urls
    assert set(urls) == {"1x", "2x"} == set(ICON_FILES)
    for resolution, url in urls.items():
        assert url == f"/static/switchboard_zulip/{ICON_FILES[resolution]}"
