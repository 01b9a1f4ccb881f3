"""``switchboard configs test ID``: the CLI's adapter over the call the API's
``POST /api/configs/{id}/test`` makes (which ``tests/worker/web/api/test_config_test.py``
follows through a worker): the event it queues is addressed to that configuration."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import redis
from click.testing import CliRunner
from support.cli import invoke, ok
from support.env import TEST_ENV

from switchboard.config import ARQ_JOB_KEY_PREFIX
from switchboard.integrations import delivery_id

PREFIX = "clitest-probe"


@pytest.fixture
def runner(redis_url: str) -> CliRunner:
    return CliRunner(env={"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": PREFIX, **TEST_ENV})


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


def _queued_event(client: redis.Redis, event_id: str) -> dict[str, object]:
    for key in client.scan_iter(f"{ARQ_JOB_KEY_PREFIX}*"):
        raw = client.get(key)
        assert isinstance(raw, bytes)
        for text in orjson.loads(raw)["a"][0]:
            event: dict[str, object] = orjson.loads(text)
            if event["id"] == event_id:
                return event
    raise AssertionError(f"event {event_id} is not queued")


def test_configs_test_queues_an_event_addressed_to_the_configuration(
    runner: CliRunner, raw_redis: redis.Redis
) -> None:
    hook = ["--set", "url=https://example.com/hook"]
    config_id = ok(runner, "configs", "add", "switchboard.webhook", "--name", "a", *hook).strip()
    ok(runner, "configs", "add", "switchboard.webhook", "--name", "b", *hook)
    sent = orjson.loads(ok(runner, "configs", "test", config_id, "--json"))
    assert sent["config_id"] == config_id
    assert sent["delivery_id"] == delivery_id(sent["event_id"], config_id)
    event = _queued_event(raw_redis, sent["event_id"])
    assert event["type"] == "switchboard.test"
    assert event["config_id"] == config_id
    assert event["tenant"] is None

    text = ok(runner, "configs", "test", config_id)
    assert "switchboard deliveries show dlv_" in text

    ok(runner, "configs", "disable", config_id)
    refused = invoke(runner, "configs", "test", config_id)
    assert refused.exit_code == 1
    assert "cannot be tested: it is disabled" in refused.stderr
