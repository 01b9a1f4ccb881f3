"""Each chat service's icons ship in the package: PNGs of 32 and 64 pixels."""

from __future__ import annotations

import struct

import pytest

from switchboard.integrations.builtin.chat import icon_file, icon_static_urls

SERVICES = ["slack", "mattermost", "discord", "msteams", "matrix"]


@pytest.mark.parametrize("service", SERVICES)
def test_both_resolutions_are_pngs_of_their_size(service: str) -> None:
    for resolution, size in (("1x", 32), ("2x", 64)):
        data = icon_file(service, resolution).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data[12:16] == b"IHDR"
        assert struct.unpack(">II", data[16:24]) == (size, size)


def test_the_urls_name_the_files() -> None:
    assert icon_static_urls("slack") == {
        "1x": "/static/switchboard.integrations.builtin.chat/icons/slack.png",
        "2x": "/static/switchboard.integrations.builtin.chat/icons/slack@2x.png",
    }
