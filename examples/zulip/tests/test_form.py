"""The config form: what an operator must give, what is refused (with the field named),
how it is laid out, and what stays secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard.integrations import ConfigValidationError
from switchboard.testing import HandlerRecorder, Harness
from switchboard_zulip import ZulipForm, ZulipIntegration

MakeHarness = Callable[..., Harness]
MakeRecorder = Callable[..., HandlerRecorder]
ZulipSettings = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"site": "http://chat.example.com"}, "site", id="plain-http-elsewhere"),
        pytest.param({"site": "https://chat.example.com/?x=1"}, "site", id="site-with-query"),
        pytest.param({"site": "not a url"}, "site", id="site-not-a-url"),
        pytest.param({"bot_email": "reviews-bot"}, "bot_email", id="email-without-at"),
        pytest.param({"api_key": ""}, "api_key", id="empty-api-key"),
        pytest.param({"stream": "x" * 61}, "stream", id="channel-name-too-long"),
        pytest.param({"event_types": []}, "event_types", id="no-event-types"),
        pytest.param({"event_types": ["Review.*"]}, "event_types", id="bad-pattern"),
        pytest.param({"channel": "general"}, "channel", id="not-a-setting"),
    ],
)
async def test_a_bad_configuration_is_refused_with_the_field_named(
    switchboard_recorder: MakeRecorder,
    zulip_settings: ZulipSettings,
    overrides: dict[str, Any],
    field: str,
) -> None:
    with (
        switchboard_recorder(ZulipIntegration) as recorder,
        pytest.raises(ConfigValidationError) as caught,
    ):
        recorder.add_config(ZulipIntegration, settings=zulip_settings(**overrides))
    assert list(caught.value.errors) == [field]


async def test_required_settings_are_named_when_missing(
    switchboard_recorder: MakeRecorder,
) -> None:
    with (
        switchboard_recorder(ZulipIntegration) as recorder,
        pytest.raises(ConfigValidationError) as caught,
    ):
        recorder.add_config(ZulipIntegration, settings={})
    assert set(caught.value.errors) == {"site", "bot_email", "api_key", "stream"}


@pytest.mark.parametrize(
    "site", ["http://127.0.0.1:9991", "http://localhost:9991", "http://[::1]:9991"]
)
async def test_plain_http_is_let_through_for_a_server_on_this_machine(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, site: str
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        config = recorder.add_config(ZulipIntegration, settings=zulip_settings(site))
    assert config.get("site").startswith("http://")


async def test_the_api_key_is_stored_encrypted_and_defaults_are_followed(
    switchboard_harness: MakeHarness, zulip_settings: ZulipSettings
) -> None:
    async with switchboard_harness(ZulipIntegration) as harness:
        record = await harness.add_config(ZulipIntegration, settings=zulip_settings())
        key = f"{harness.settings.key_prefix}:configs"
        # redis-py types its commands for the sync and async clients at once.
        raw: bytes | None = await harness.redis.hget(key, record.id)  # type: ignore[misc]
    assert raw is not None
    assert b"abcd1234EFGH5678ijkl9012MNOP3456" not in raw
    assert record.secret_settings == ("api_key",)
    # Not given, so not stored: config.get() follows the integration's defaults.
    assert "topic" not in record.settings
    assert "event_types" not in record.settings


def test_the_form_s_fieldsets_put_the_server_before_the_messages() -> None:
    layout = ZulipForm.layout()
    assert [(f.title, tuple(f.fields)) for f in layout] == [
        ("Basic info", ("name", "enabled")),
        ("Zulip server", ("site", "bot_email", "api_key")),
        ("Messages", ("stream", "topic", "event_types")),
    ]
    assert ZulipForm.secret_fields() == {"api_key"}
