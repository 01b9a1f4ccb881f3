"""The example integration (examples/zulip) as an operator meets it: installed beside
Switchboard (scripts/test installs it), found by its entry point, listed and configured by
the real `switchboard` command; and its wheel carries what the package promises."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
from support.env import TEST_ENV

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "zulip"
SWITCHBOARD = Path(sys.executable).parent / "switchboard"


def switchboard(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **TEST_ENV, "REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "zuliptest"}
    env.pop("SWITCHBOARD_INTEGRATIONS", None)  # the entry point alone must find it
    return subprocess.run(
        [str(SWITCHBOARD), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_switchboard_integrations_list_shows_the_installed_example(redis_url: str) -> None:
    result = switchboard(redis_url, "integrations", "list", "--json")
    assert result.returncode == 0, result.stderr
    listing = orjson.loads(result.stdout)
    [row] = [r for r in listing["integrations"] if r["id"] == "zulip"]
    assert row == {
        "id": "zulip",
        "name": "Zulip",
        "description": "Post events as messages to a Zulip channel and topic.",
        "configs": 0,
        "enabled_configs": 0,
        "enabled": False,
        "icon_static_urls": {
            "1x": "/static/switchboard_zulip/icons/zulip.png",
            "2x": "/static/switchboard_zulip/icons/zulip@2x.png",
        },
    }
    assert listing["load_errors"] == []
    table = switchboard(redis_url, "integrations", "list")
    assert any(line.split()[:2] == ["zulip", "Zulip"] for line in table.stdout.splitlines())


def test_a_zulip_configuration_added_by_the_cli_masks_its_api_key(redis_url: str) -> None:
    added = switchboard(
        redis_url, "configs", "add", "zulip", "--name", "reviews",
        "--set", "site=https://chat.example.com", "--set", "bot_email=bot@chat.example.com",
        "--set", "api_key=very-secret-key", "--set", "stream=code review",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    config_id = added.stdout.strip()
    shown = switchboard(redis_url, "configs", "show", config_id, "--json")
    assert shown.returncode == 0, shown.stderr
    settings = orjson.loads(shown.stdout)["settings"]
    assert settings["stream"] == "code review"
    assert settings["api_key"] != "very-secret-key"
    assert "very-secret-key" not in shown.stdout + shown.stderr
    refused = switchboard(
        redis_url, "configs", "add", "zulip", "--name", "bad",
        "--set", "site=http://chat.example.com", "--set", "bot_email=bot@chat.example.com",
        "--set", "api_key=k", "--set", "stream=s",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "site:" in refused.stderr


def test_the_wheel_ships_the_icons_the_type_marker_and_the_entry_point(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(tmp_path), str(EXAMPLE)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    [wheel] = tmp_path.glob("switchboard_zulip-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = archive.read(entry_points).decode()
    assert {
        "switchboard_zulip/py.typed",
        "switchboard_zulip/static/icons/zulip.png",
        "switchboard_zulip/static/icons/zulip@2x.png",
    } <= names
    assert not any(n.startswith("tests/") for n in names)
    assert "[switchboard.integrations]\nzulip = switchboard_zulip:ZulipIntegration" in entry_text
