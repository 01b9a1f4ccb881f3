"""Standard Webhooks signatures, checked by the reference library (``standardwebhooks``)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from support.cli import invoke, ok
from support.env import TEST_ENV
from support.webhooks import webhook_rig

from switchboard.config import ConfigStore, Redis, Settings, utc_now
from switchboard.integrations import (
    ConfigValidationError,
    Event,
    delivery_id,
    generate_secret,
    secret_key,
)
from switchboard.testing import Received, RecordingSink


def test_a_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_")
    assert len(secret_key(first)) == 32
    assert first != second


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("abc", "starts with 'whsec_'"),
        ("whsec_not base64!", "base64"),
        ("whsec_" + base64.b64encode(b"x" * 23).decode(), "at least 24 bytes"),
    ],
)
def test_an_invalid_secret_is_refused_in_plain_words(secret: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        secret_key(secret)


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    async with RecordingSink() as sink:
        yield sink


def _verifies(secret: str, received: Received) -> bool:
    try:
        Webhook(secret).verify(received.body, received.headers)
    except WebhookVerificationError:
        return False
    return True


async def test_every_delivery_is_signed_with_a_generated_secret(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    async with webhook_rig(settings, store, redis_client) as rig:
        config_id = await rig.create(name="hook", settings={"url": sink.url("/hook")})
        event = Event(type="review.published", data={"review_id": 1})
        await rig.webhook.on_event(event)
    secret = (await store.get(config_id)).settings["secret"]
    [received] = sink.received
    assert received.headers["webhook-id"] == delivery_id(event.id, config_id)
    assert abs(int(received.headers["webhook-timestamp"]) - utc_now().timestamp()) < 60
    assert _verifies(secret, received)
    assert not _verifies(generate_secret(), received)  # the check itself can fail


async def test_a_given_secret_is_used_and_a_bad_one_refused(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    secret = generate_secret()
    async with webhook_rig(settings, store, redis_client) as rig:
        await rig.create(name="hook", settings={"url": sink.url("/hook"), "secret": secret})
        await rig.webhook.on_event(Event(type="review.published"))
        with pytest.raises(ConfigValidationError, match="secret"):
            await rig.admin.create(
                "switchboard.webhook", name="bad", settings={"url": sink.url("/"), "secret": "x"}
            )
    assert _verifies(secret, sink.received[0])


async def _rotate(
    settings: Settings,
    store: ConfigStore,
    redis: Redis,
    sink: RecordingSink,
    rotated_ago: timedelta,
) -> tuple[str, str, Received]:
    """Create with secret A, rotate to B ``rotated_ago``, deliver now."""
    old, new = generate_secret(), generate_secret()
    rotated_at = utc_now() - rotated_ago
    async with webhook_rig(settings, store, redis, admin_clock=lambda: rotated_at) as rig:
        config_id = await rig.create(name="hook", settings={"url": sink.url("/r"), "secret": old})
        await rig.admin.update(config_id, settings={"secret": new})
        await rig.caught_up()
        await rig.webhook.on_event(Event(type="review.published"))
    return old, new, sink.received[-1]


async def test_during_a_rotation_both_secrets_sign(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    old, new, received = await _rotate(settings, store, redis_client, sink, timedelta(hours=23))
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert _verifies(old, received)
    assert _verifies(new, received)


async def test_24_hours_after_a_rotation_only_the_new_secret_signs(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    old, new, received = await _rotate(settings, store, redis_client, sink, timedelta(hours=25))
    assert len(received.headers["webhook-signature"].split(" ")) == 1
    assert _verifies(new, received)
    assert not _verifies(old, received)


def _cli(settings: Settings) -> CliRunner:
    return CliRunner(
        env={
            **TEST_ENV,
            "REDIS_URL": settings.effective_redis_url,
            "SWITCHBOARD_KEY_PREFIX": "sbtest",
        }
    )


async def test_configs_secret_reveals_the_generated_secret_that_verifies_a_delivery(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """A receiver can verify signatures although the operator never saw the secret."""
    runner = _cli(settings)
    config_id = (
        await asyncio.to_thread(
            ok,
            runner,
            "configs",
            "add",
            "switchboard.webhook",
            "--name",
            "h",
            "--set",
            f"url={sink.url('/hook')}",
        )
    ).strip()
    async with webhook_rig(settings, store, redis_client) as rig:
        await rig.caught_up()
        await rig.webhook.on_event(Event(type="review.published"))
    [received] = sink.received

    revealed = await asyncio.to_thread(ok, runner, "configs", "secret", config_id)
    [secret] = revealed.splitlines()
    assert _verifies(secret, received)
    shown = await asyncio.to_thread(ok, runner, "configs", "show", config_id, "--json")
    assert secret not in shown
    as_json = orjson.loads(
        await asyncio.to_thread(ok, runner, "configs", "secret", config_id, "--json")
    )
    assert as_json == {"config_id": config_id, "signing_secrets": [secret]}


async def test_configs_secret_during_a_rotation_gives_both_current_first(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    old, new, _received = await _rotate(settings, store, redis_client, sink, timedelta(hours=1))
    [record] = (await store.list())[0]
    revealed = await asyncio.to_thread(ok, _cli(settings), "configs", "secret", record.id)
    assert revealed.splitlines() == [new, old]


def test_configs_secret_of_an_unknown_configuration_exits_1(settings: Settings) -> None:
    result = invoke(_cli(settings), "configs", "secret", "cfg_nope")
    assert result.exit_code == 1
    assert 'No configuration with id "cfg_nope"' in result.stderr
