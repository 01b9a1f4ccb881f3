"""The ``switchboard`` command against a real Redis: configs and integrations.

Every test drives the click command (or the installed console script) and
checks what was stored by reading it back through the CLI, or through a sync
Redis client where the raw storage matters.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
import redis
from click.testing import CliRunner, Result
from support.cli import invoke, ok
from support.env import TEST_ENV, TEST_SECRET_KEY

from switchboard.config import (
    ENCRYPTED_PREFIX,
    ConfigStore,
    RedisKeys,
    SecretBox,
    Settings,
    open_redis,
)
from switchboard.integrations import DeliveryRequest
from switchboard.worker.cli import cli
from switchboard.worker.cli.output import MASK
from switchboard.worker.delivery import DeliveryRecord
from switchboard.worker.delivery.sealing import RequestSealer

SAMPLE_PATH = "support.sample.SampleIntegration"
SAMPLE_ID = "tests.sample"
PREFIX = "clitest"
TESTS_DIR = Path(__file__).resolve().parents[2]

#: Port 1 on loopback: nothing listens there, so the connection is refused.
DOWN_URL = "redis://:hunter2@127.0.0.1:1/0"

ALICE_CONDITIONS = {
    "mode": "all",
    "conditions": [{"choice": "review.author", "op": "is", "value": "alice"}],
}
ALWAYS = {"mode": "always", "conditions": []}


# -- helpers ---------------------------------------------------------------------


@pytest.fixture
def env(redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "SWITCHBOARD_INTEGRATIONS": SAMPLE_PATH,
        "SWITCHBOARD_KEY_PREFIX": PREFIX,
        **TEST_ENV,
    }


@pytest.fixture
def runner(env: dict[str, str]) -> CliRunner:
    return CliRunner(env=env)


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


def add(runner: CliRunner, *args: str, name: str = "Team A") -> str:
    config_id = ok(runner, "configs", "add", SAMPLE_ID, "--name", name, *args).strip()
    assert config_id.startswith("cfg_")
    return config_id


def show(runner: CliRunner, config_id: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(ok(runner, "configs", "show", config_id, "--json", env=env))
    return data


def list_json(
    runner: CliRunner, *filters: str, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = orjson.loads(
        ok(runner, "configs", "list", "--json", *filters, env=env)
    )
    return data


def listed_ids(runner: CliRunner, *filters: str, env: dict[str, str] | None = None) -> list[str]:
    return [record["id"] for record in list_json(runner, *filters, env=env)]


def table(stdout: str) -> list[list[str]]:
    """A table's rows (header first), split on runs of spaces (no cell here has one)."""
    return [line.split() for line in stdout.splitlines()]


def listed_row(runner: CliRunner) -> str:
    """The first row of ``configs list``, its cells' padding squeezed to one space."""
    return " ".join(ok(runner, "configs", "list").splitlines()[1].split())


def raw_record(client: redis.Redis, config_id: str) -> bytes:
    raw = client.hget(f"{PREFIX}:configs", config_id)
    assert isinstance(raw, bytes), f"{config_id} is not stored"
    return raw


def error_lines(result: Result) -> dict[str, str]:
    """``field -> reason`` from an "error: invalid input" report."""
    lines = result.stderr.splitlines()
    assert lines[:1] == ["error: invalid input"], result.stderr
    reasons = {}
    for line in lines[1:]:
        assert line.startswith("  "), result.stderr
        field, _, reason = line.strip().partition(": ")
        reasons[field] = reason
    return reasons


# -- configs add / show ------------------------------------------------------------


def test_add_prints_id_and_show_returns_normalised_settings(runner: CliRunner) -> None:
    config_id = add(
        runner,
        "--set",
        "endpoint_url=https://x.test/hook",
        "--set",
        "client_id=c1",
        "--set",
        "retries=5",
        name="N",
    )
    data = show(runner, config_id)
    assert data["id"] == config_id
    assert data["integration_id"] == SAMPLE_ID
    assert data["name"] == "N"
    assert data["enabled"] is True
    assert data["tenant"] is None
    assert data["orphaned"] is False
    assert data["conditions"] == ALWAYS
    assert data["settings"]["endpoint_url"] == "https://x.test/hook"
    assert data["settings"]["client_id"] == "c1"
    assert data["settings"]["retries"] == 5  # an int, not the "5" typed on the command line
    assert data["created_at"] == data["updated_at"]


def test_add_normalises_url(runner: CliRunner) -> None:
    config_id = add(runner, "--set", "endpoint_url=HTTPS://X.TEST", "--set", "client_id=c1")
    assert show(runner, config_id)["settings"]["endpoint_url"] == "https://x.test/"


def test_add_json_prints_the_stored_record(runner: CliRunner) -> None:
    out = ok(runner, "configs", "add", SAMPLE_ID, "--name", "J", "--set", "retries=4", "--json")
    created = orjson.loads(out)
    assert created["id"].startswith("cfg_")
    assert created == show(runner, created["id"])


def test_show_text_lists_fields_settings_and_conditions(runner: CliRunner) -> None:
    config_id = add(runner, "--set", "client_id=c1", "--set", "retries=5", "--tenant", "acme")
    lines = ok(runner, "configs", "show", config_id).splitlines()
    assert f"id: {config_id}" in lines
    assert f"integration_id: {SAMPLE_ID}" in lines
    assert "name: Team A" in lines
    assert "tenant: acme" in lines
    assert "orphaned: no" in lines
    assert "enabled: yes" in lines
    assert "rate_limit: -" in lines
    assert "effective_rate_limit: -" in lines  # no limit of its own, none by default
    assert "disabled_reason: -" in lines
    assert '  client_id: "c1"' in lines
    assert "  retries: 5" in lines
    assert 'conditions: {"mode":"always","conditions":[]}' in lines


def test_show_gives_the_rate_limit_in_force_the_integrations_default_or_its_own(
    runner: CliRunner,
) -> None:
    hook = "webhook_url=https://hooks.slack.com/services/T000/B000/XXXX"
    slack = ok(runner, "configs", "add", "switchboard.slack", "--name", "S", "--set", hook)
    data = show(runner, slack.strip())
    assert (data["rate_limit"], data["effective_rate_limit"]) == (None, 1.0)  # Slack's 1/s
    ok(runner, "configs", "edit", slack.strip(), "--rate-limit", "5")
    data = show(runner, slack.strip())
    assert (data["rate_limit"], data["effective_rate_limit"]) == (5.0, 5.0)
    assert "hooks.slack.com" not in str(data)  # the webhook URL is secret


def test_settings_with_integration_defaults_are_not_stored(runner: CliRunner) -> None:
    # endpoint_url and client_id are required by the form, but the integration's
    # default_settings supply them, so they are neither needed nor stored.
    config_id = add(runner, "--set", "retries=2")
    settings = show(runner, config_id)["settings"]
    assert "endpoint_url" not in settings
    assert "client_id" not in settings
    assert settings["retries"] == 2
    # Only keys of default_settings are left out; the form's own defaults are stored.
    assert set(settings) == {"retries", "api_token"}


def test_a_value_equal_to_the_default_but_given_is_stored(runner: CliRunner) -> None:
    config_id = add(runner, "--set", "client_id=abc123")
    assert show(runner, config_id)["settings"]["client_id"] == "abc123"


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        pytest.param(["--set", "endpoint_url=not a url"], "endpoint_url", "valid URL", id="url"),
        pytest.param(["--set", "retries=99"], "retries", "less than or equal to 10", id="big"),
        pytest.param(["--set", "retries=-1"], "retries", "greater than or equal to 0", id="neg"),
        pytest.param(["--set", "retries=abc"], "retries", "valid integer", id="not-int"),
        pytest.param(
            ["--set", "colour=blue"], "colour", "not a setting of this integration", id="key"
        ),
        pytest.param(["--set", "name=x"], "name", "not a setting", id="basic-field"),
        pytest.param(["--set", "retries"], "retries", "expected key=value", id="no-equals"),
        pytest.param(["--set", "=5"], "=5", "expected key=value", id="no-key"),
        pytest.param(["--conditions", "{bad"], "conditions", "not valid JSON", id="json"),
        pytest.param(
            [
                "--conditions",
                '{"mode":"all","conditions":[{"choice":"a.b","op":"sometimes","value":1}]}',
            ],
            "conditions.conditions.0.op",
            "unknown operator 'sometimes'",
            id="operator",
        ),
        pytest.param(
            ["--conditions", '{"mode":"all","conditions":[]}'],
            "conditions",
            "needs at least one condition",
            id="empty-all",
        ),
        pytest.param(
            ["--conditions", '{"mode":"all","conditions":[{"choice":"a","op":"one-of"}]}'],
            "conditions.conditions.0.value",
            "needs a non-empty list",
            id="missing-value",
        ),
        pytest.param(["--tenant", "  "], "tenant", "1 to 200 characters", id="tenant"),
    ],
)
def test_add_invalid_input_exits_2_naming_field_and_reason(
    runner: CliRunner, args: list[str], field: str, reason: str
) -> None:
    result = invoke(runner, "configs", "add", SAMPLE_ID, "--name", "Bad", *args)
    assert result.exit_code == 2, result.output
    reasons = error_lines(result)
    assert field in reasons, result.stderr
    assert reason in reasons[field]
    assert result.stdout == ""
    assert list_json(runner) == []


def test_add_reports_every_invalid_field_at_once(runner: CliRunner) -> None:
    result = invoke(
        runner,
        "configs",
        "add",
        SAMPLE_ID,
        "--name",
        "Bad",
        "--set",
        "endpoint_url=nope",
        "--set",
        "retries=99",
    )
    assert result.exit_code == 2
    assert set(error_lines(result)) == {"endpoint_url", "retries"}


def test_add_unknown_integration_names_it(runner: CliRunner) -> None:
    result = invoke(runner, "configs", "add", "no.such.integration", "--name", "X")
    assert result.exit_code != 0
    assert "no.such.integration" in result.stderr
    assert "Traceback" not in result.output
    assert list_json(runner) == []


def test_add_stores_tenant_disabled_and_conditions(runner: CliRunner) -> None:
    config_id = add(
        runner,
        "--tenant",
        "acme",
        "--disabled",
        "--conditions",
        orjson.dumps(ALICE_CONDITIONS).decode(),
    )
    data = show(runner, config_id)
    assert data["tenant"] == "acme"
    assert data["enabled"] is False
    assert data["conditions"] == ALICE_CONDITIONS


# -- configs list ------------------------------------------------------------------


@pytest.fixture
def three_configs(runner: CliRunner) -> dict[str, str]:
    """``a``: no tenant, enabled; ``b``: acme, enabled; ``c``: acme, disabled."""
    return {
        "a": add(runner, name="A"),
        "b": add(runner, "--tenant", "acme", name="B"),
        "c": add(runner, "--tenant", "acme", "--disabled", name="C"),
    }


def test_list_table(runner: CliRunner, three_configs: dict[str, str]) -> None:
    rows = table(ok(runner, "configs", "list"))
    assert rows[0] == ["ID", "INTEGRATION", "NAME", "TENANT", "ENABLED", "STATUS"]
    assert rows[1:] == [
        [three_configs["a"], SAMPLE_ID, "A", "-", "yes", "ok"],
        [three_configs["b"], SAMPLE_ID, "B", "acme", "yes", "ok"],
        [three_configs["c"], SAMPLE_ID, "C", "acme", "no", "ok"],
    ]


def test_list_json_oldest_first(runner: CliRunner, three_configs: dict[str, str]) -> None:
    records = list_json(runner)
    assert [r["id"] for r in records] == [three_configs[k] for k in "abc"]
    assert [r["name"] for r in records] == ["A", "B", "C"]
    assert [r["orphaned"] for r in records] == [False, False, False]
    assert records[2] == show(runner, three_configs["c"])


def test_list_empty(runner: CliRunner) -> None:
    assert list_json(runner) == []
    assert table(ok(runner, "configs", "list")) == [
        ["ID", "INTEGRATION", "NAME", "TENANT", "ENABLED", "STATUS"]
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param([], "abc", id="none"),
        pytest.param(["--integration", SAMPLE_ID], "abc", id="integration"),
        pytest.param(["--integration", "other.integration"], "", id="other-integration"),
        pytest.param(["--tenant", "acme"], "bc", id="tenant"),
        pytest.param(["--tenant", "globex"], "", id="other-tenant"),
        pytest.param(["--enabled"], "ab", id="enabled"),
        pytest.param(["--disabled"], "c", id="disabled"),
        pytest.param(["--tenant", "acme", "--enabled"], "b", id="tenant-enabled"),
        pytest.param(["--tenant", "acme", "--disabled"], "c", id="tenant-disabled"),
    ],
)
def test_list_filters(
    runner: CliRunner, three_configs: dict[str, str], filters: list[str], expected: str
) -> None:
    assert listed_ids(runner, *filters) == [three_configs[k] for k in expected]
    rows = table(ok(runner, "configs", "list", *filters))
    assert [row[0] for row in rows[1:]] == [three_configs[k] for k in expected]


# -- configs edit / enable / disable / delete ----------------------------------------------


#: Every setting of the sample integration given explicitly.
FULL_SETTINGS = (
    "--set",
    "endpoint_url=https://x.test/hook",
    "--set",
    "client_id=c1",
    "--set",
    "retries=5",
)


@pytest.fixture
def config_id(runner: CliRunner) -> str:
    return add(
        runner,
        *FULL_SETTINGS,
        "--tenant",
        "acme",
    )


def test_edit_name(runner: CliRunner, config_id: str) -> None:
    before = show(runner, config_id)
    assert ok(runner, "configs", "edit", config_id, "--name", "Renamed").strip() == (
        f"updated {config_id}"
    )
    after = show(runner, config_id)
    assert after["name"] == "Renamed"
    assert after["settings"] == before["settings"]
    assert after["tenant"] == "acme"
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]


def test_edit_set_merges_into_stored_settings(runner: CliRunner, config_id: str) -> None:
    ok(runner, "configs", "edit", config_id, "--set", "retries=7")
    settings = show(runner, config_id)["settings"]
    assert settings["retries"] == 7
    assert settings["endpoint_url"] == "https://x.test/hook"
    assert settings["client_id"] == "c1"


def test_edit_unset_falls_back_to_defaults(runner: CliRunner, config_id: str) -> None:
    ok(runner, "configs", "edit", config_id, "--unset", "client_id", "--unset", "retries")
    settings = show(runner, config_id)["settings"]
    # client_id is in default_settings: no longer stored, the integration's default applies.
    assert "client_id" not in settings
    # retries has only a form default: stored as that default.
    assert settings["retries"] == 3
    assert settings["endpoint_url"] == "https://x.test/hook"


def test_edit_unset_and_set_together(runner: CliRunner, config_id: str) -> None:
    ok(runner, "configs", "edit", config_id, "--unset", "endpoint_url", "--set", "client_id=c2")
    settings = show(runner, config_id)["settings"]
    assert "endpoint_url" not in settings
    assert settings["client_id"] == "c2"


def test_edit_tenant_moves_it_between_tenant_filters(runner: CliRunner, config_id: str) -> None:
    ok(runner, "configs", "edit", config_id, "--tenant", "globex")
    assert show(runner, config_id)["tenant"] == "globex"
    assert listed_ids(runner, "--tenant", "globex") == [config_id]
    assert listed_ids(runner, "--tenant", "acme") == []


def test_edit_no_tenant(runner: CliRunner, config_id: str) -> None:
    ok(runner, "configs", "edit", config_id, "--no-tenant")
    assert show(runner, config_id)["tenant"] is None
    assert listed_ids(runner, "--tenant", "acme") == []
    assert listed_ids(runner) == [config_id]


def test_edit_tenant_and_no_tenant_exclude_each_other(runner: CliRunner, config_id: str) -> None:
    result = invoke(runner, "configs", "edit", config_id, "--tenant", "x", "--no-tenant")
    assert result.exit_code == 2
    assert "--no-tenant" in result.stderr
    assert show(runner, config_id)["tenant"] == "acme"


def test_edit_empty_tenant_is_refused_like_add(runner: CliRunner, config_id: str) -> None:
    # `configs add --tenant ""` is refused (exit 2, "tenant: ..."); edit should not
    # report "updated" while silently ignoring the value.
    result = invoke(runner, "configs", "edit", config_id, "--tenant", "")
    assert result.exit_code == 2, result.output
    assert "tenant" in error_lines(result)
    assert show(runner, config_id)["tenant"] == "acme"


def test_edit_conditions(runner: CliRunner, config_id: str) -> None:
    ok(
        runner,
        "configs",
        "edit",
        config_id,
        "--conditions",
        orjson.dumps(ALICE_CONDITIONS).decode(),
    )
    assert show(runner, config_id)["conditions"] == ALICE_CONDITIONS
    ok(runner, "configs", "edit", config_id, "--conditions", '{"mode": "always"}')
    assert show(runner, config_id)["conditions"] == ALWAYS


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(["--set", "retries=11"], "retries", id="retries"),
        pytest.param(["--set", "endpoint_url=ftp://x.test/"], "endpoint_url", id="url"),
        pytest.param(["--set", "colour=blue"], "colour", id="unknown-key"),
        pytest.param(["--set", "retries"], "retries", id="no-equals"),
        pytest.param(["--name", "   "], "name", id="blank-name"),
        pytest.param(["--conditions", "[1"], "conditions", id="json"),
        pytest.param(
            ["--conditions", '{"mode":"any","conditions":[{"choice":"a","op":"nope"}]}'],
            "conditions.conditions.0.op",
            id="operator",
        ),
        # One bad value among good ones: nothing is applied.
        pytest.param(["--name", "New", "--set", "retries=99"], "retries", id="partial"),
    ],
)
def test_edit_invalid_input_exits_2_and_changes_nothing(
    runner: CliRunner, config_id: str, args: list[str], field: str
) -> None:
    before = show(runner, config_id)
    result = invoke(runner, "configs", "edit", config_id, *args)
    assert result.exit_code == 2, result.output
    assert field in error_lines(result)
    assert show(runner, config_id) == before


def test_disable_and_enable(runner: CliRunner, config_id: str) -> None:
    assert ok(runner, "configs", "disable", config_id).strip() == f"disabled {config_id}"
    assert show(runner, config_id)["enabled"] is False
    assert listed_ids(runner, "--enabled") == []
    assert listed_ids(runner, "--disabled") == [config_id]

    assert ok(runner, "configs", "enable", config_id).strip() == f"enabled {config_id}"
    data = show(runner, config_id)
    assert data["enabled"] is True
    assert data["settings"]["retries"] == 5
    assert listed_ids(runner, "--enabled") == [config_id]
    assert listed_ids(runner, "--disabled") == []


def test_a_configuration_switchboard_disabled_says_why_until_enabled_again(
    runner: CliRunner, config_id: str, settings: Settings
) -> None:
    """As the engine disables one whose endpoint answered 410 Gone."""
    reason = "its endpoint answered 410 Gone"

    async def disable_as_the_engine_does() -> None:
        async with open_redis(settings) as redis_client:
            prefixed = settings.model_copy(update={"key_prefix": PREFIX})
            await ConfigStore.for_settings(redis_client, prefixed).update(
                config_id, lambda record: {"enabled": False, "disabled_reason": reason}
            )

    asyncio.run(disable_as_the_engine_does())
    assert listed_row(runner).endswith(f" acme no disabled: {reason}")
    assert f"disabled_reason: {reason}" in ok(runner, "configs", "show", config_id).splitlines()
    assert show(runner, config_id)["disabled_reason"] == reason

    ok(runner, "configs", "enable", config_id)
    assert listed_row(runner).endswith(" acme yes ok")
    assert show(runner, config_id)["disabled_reason"] is None
    # Disabled by hand, it has no reason to give.
    ok(runner, "configs", "disable", config_id)
    assert listed_row(runner).endswith(" acme no ok")


def test_delete(runner: CliRunner, config_id: str, raw_redis: redis.Redis) -> None:
    other = add(runner, name="Other")
    assert ok(runner, "configs", "delete", config_id).strip() == f"deleted {config_id}"

    result = invoke(runner, "configs", "show", config_id)
    assert result.exit_code != 0
    assert "No configuration with id" in result.stderr
    assert config_id in result.stderr
    assert listed_ids(runner) == [other]
    assert listed_ids(runner, "--tenant", "acme") == []
    assert raw_redis.hexists(f"{PREFIX}:configs", config_id) == 0


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["show"], id="show"),
        pytest.param(["edit", "--name", "X"], id="edit"),
        pytest.param(["enable"], id="enable"),
        pytest.param(["disable"], id="disable"),
        pytest.param(["delete"], id="delete"),
    ],
)
def test_commands_on_a_missing_id_fail_naming_it(runner: CliRunner, command: list[str]) -> None:
    result = invoke(runner, "configs", command[0], "cfg_missing", *command[1:])
    assert result.exit_code == 1
    assert result.stderr == 'error: No configuration with id "cfg_missing".\n'
    assert list_json(runner) == []


# -- secrets ---------------------------------------------------------------------


@pytest.fixture
def secret_id(runner: CliRunner) -> str:
    return add(runner, "--set", "client_id=c1", "--set", "api_token=s3cret-value")


def test_secret_is_masked_in_show_text(runner: CliRunner, secret_id: str) -> None:
    out = ok(runner, "configs", "show", secret_id)
    assert "s3cret-value" not in out
    assert f'  api_token: "{MASK}"' in out.splitlines()
    assert '  client_id: "c1"' in out.splitlines()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["configs", "show", "{id}", "--json"], id="show"),
        pytest.param(["configs", "list", "--json"], id="list"),
    ],
)
def test_secret_is_masked_in_json(runner: CliRunner, secret_id: str, command: list[str]) -> None:
    out = ok(runner, *(arg.format(id=secret_id) for arg in command))
    assert "s3cret-value" not in out
    data = orjson.loads(out)
    record = data if isinstance(data, dict) else data[0]
    assert record["settings"]["api_token"] == MASK
    assert record["settings"]["client_id"] == "c1"


def _stored_secret(raw_redis: redis.Redis, config_id: str) -> str:
    """The api_token as Redis holds it (checked encrypted), decrypted with the tests' key."""
    raw = raw_record(raw_redis, config_id)
    assert b"s3cret-value" not in raw
    stored = orjson.loads(raw)
    assert stored["secret_settings"] == ["api_token"]
    token = stored["settings"]["api_token"]
    assert token.startswith(ENCRYPTED_PREFIX)
    decrypted: str = SecretBox([TEST_SECRET_KEY]).decrypt(token)
    return decrypted


def test_secret_is_stored_encrypted_in_redis(secret_id: str, raw_redis: redis.Redis) -> None:
    assert _stored_secret(raw_redis, secret_id) == "s3cret-value"


def test_secret_survives_an_edit_of_another_setting(
    runner: CliRunner, secret_id: str, raw_redis: redis.Redis
) -> None:
    ok(runner, "configs", "edit", secret_id, "--set", "retries=4")
    assert _stored_secret(raw_redis, secret_id) == "s3cret-value"
    assert orjson.loads(raw_record(raw_redis, secret_id))["settings"]["retries"] == 4


# -- orphaned configurations -----------------------------------------------------


@pytest.fixture
def orphan_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "SWITCHBOARD_INTEGRATIONS": ""}


@pytest.fixture
def orphan_id(runner: CliRunner) -> str:
    return add(
        runner,
        *FULL_SETTINGS,
        name="Orphan",
    )


def test_orphan_is_listed_as_orphaned(
    runner: CliRunner, orphan_id: str, orphan_env: dict[str, str]
) -> None:
    rows = table(ok(runner, "configs", "list", env=orphan_env))
    assert rows[1:] == [[orphan_id, SAMPLE_ID, "Orphan", "-", "yes", "orphaned"]]
    [record] = list_json(runner, env=orphan_env)
    assert record["id"] == orphan_id
    assert record["orphaned"] is True
    # With the integration installed again it is not orphaned.
    assert table(ok(runner, "configs", "list"))[1][-1] == "ok"


def test_orphan_show_masks_every_setting(
    runner: CliRunner, orphan_id: str, orphan_env: dict[str, str]
) -> None:
    data = show(runner, orphan_id, env=orphan_env)
    assert data["orphaned"] is True
    assert data["settings"]
    assert set(data["settings"]) >= {"endpoint_url", "client_id", "retries"}
    # Every value is masked; an unset one shows as null (that it is unset is no secret).
    assert set(data["settings"].values()) - {None} == {MASK}

    out = ok(runner, "configs", "show", orphan_id, env=orphan_env)
    assert "orphaned: yes" in out.splitlines()
    assert "x.test" not in out
    assert '"c1"' not in out
    assert f'  endpoint_url: "{MASK}"' in out.splitlines()
    assert f'  retries: "{MASK}"' in out.splitlines()


def test_orphan_can_be_renamed_and_disabled_but_not_have_settings_edited(
    runner: CliRunner, orphan_id: str, orphan_env: dict[str, str]
) -> None:
    ok(runner, "configs", "edit", orphan_id, "--name", "Renamed", env=orphan_env)
    ok(runner, "configs", "disable", orphan_id, env=orphan_env)

    result = invoke(runner, "configs", "edit", orphan_id, "--set", "retries=1", env=orphan_env)
    assert result.exit_code != 0
    assert SAMPLE_ID in result.stderr

    data = show(runner, orphan_id)  # through the installed integration: unmasked
    assert data["name"] == "Renamed"
    assert data["enabled"] is False
    assert data["settings"]["retries"] == 5


# -- integrations list -------------------------------------------------------------


def _sample_row(out: str) -> tuple[dict[str, Any], list[str]]:
    data = orjson.loads(out)
    [row] = [r for r in data["integrations"] if r["id"] == SAMPLE_ID]
    return row, data["load_errors"]


def test_integrations_list_json(runner: CliRunner) -> None:
    add(runner, name="A")
    add(runner, "--tenant", "acme", name="B")
    add(runner, "--disabled", name="C")
    row, load_errors = _sample_row(ok(runner, "integrations", "list", "--json"))
    assert row == {
        "id": SAMPLE_ID,
        "name": "Sample",
        "description": "An integration for the tests.",
        "configs": 3,
        "enabled_configs": 2,
        "enabled": True,
        "icon_static_urls": {"1x": "/static/sample.png", "2x": "/static/sample@2x.png"},
    }
    assert load_errors == []


def test_integrations_list_without_configs(runner: CliRunner) -> None:
    row, _ = _sample_row(ok(runner, "integrations", "list", "--json"))
    assert (row["configs"], row["enabled_configs"], row["enabled"]) == (0, 0, False)


def test_integrations_list_table(runner: CliRunner) -> None:
    add(runner, name="A")
    add(runner, "--disabled", name="B")
    lines = ok(runner, "integrations", "list").splitlines()
    assert lines[0].split() == ["ID", "NAME", "CONFIGS", "ENABLED", "DESCRIPTION"]
    [row] = [line for line in lines[1:] if line.startswith(SAMPLE_ID)]
    assert row.split(maxsplit=4) == [
        SAMPLE_ID,
        "Sample",
        "1/2",
        "yes",
        "An integration for the tests.",
    ]


def test_integrations_list_reports_a_broken_plugin_and_loads_the_rest(runner: CliRunner) -> None:
    env = {"SWITCHBOARD_INTEGRATIONS": f"nope.missing.Thing, {SAMPLE_PATH}"}
    result = invoke(runner, "integrations", "list", "--json", env=env)
    assert result.exit_code == 0, result.output
    row, load_errors = _sample_row(result.stdout)
    assert row["name"] == "Sample"
    assert len(load_errors) == 1
    assert "nope.missing.Thing" in load_errors[0]


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_integrations_list_without_redis_lists_what_is_installed(
    runner: CliRunner, as_json: bool
) -> None:
    """An author checks a new package with no Redis running: the list, counts left out."""
    result = invoke(
        runner, "integrations", "list", *(["--json"] if as_json else []),
        env={"REDIS_URL": DOWN_URL},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [note] = result.stderr.splitlines()
    assert note.startswith("note: configurations not counted: Redis is unreachable at ")
    assert "127.0.0.1:1" in note
    assert "hunter2" not in result.output
    if as_json:
        row, _ = _sample_row(result.stdout)
        assert (row["configs"], row["enabled_configs"], row["enabled"]) == (None, None, None)
        assert row["name"] == "Sample"
    else:
        [row] = [line for line in result.stdout.splitlines() if line.startswith(SAMPLE_ID)]
        assert row.split(maxsplit=4)[1:4] == ["Sample", "-", "-"]


# -- settings and Redis errors -------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["configs", "list"], id="configs-list"),
        pytest.param(["configs", "show", "cfg_x"], id="configs-show"),
        pytest.param(["configs", "add", SAMPLE_ID, "--name", "X"], id="configs-add"),
        pytest.param(["configs", "delete", "cfg_x"], id="configs-delete"),
    ],
)
def test_unreachable_redis_is_one_line_without_the_password(
    runner: CliRunner, command: list[str]
) -> None:
    result = invoke(runner, *command, env={"REDIS_URL": DOWN_URL})
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "unreachable" in line
    assert "127.0.0.1:1" in line
    assert "Traceback" not in result.output
    assert "hunter2" not in result.output


def test_unreachable_redis_says_the_connection_was_refused(runner: CliRunner) -> None:
    # connection.describe_redis_error has a "connection refused" reason for exactly this.
    result = invoke(runner, "configs", "list", env={"REDIS_URL": DOWN_URL})
    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith(": connection refused"), result.stderr


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("localhost:6379", id="no-scheme"),
        pytest.param("redis://:hunter2@127.0.0.1:notaport/0", id="bad-port"),
    ],
)
def test_malformed_redis_url_is_one_line_not_a_traceback(runner: CliRunner, url: str) -> None:
    # Not `invoke()`: an uncaught exception is what this test checks for, with a message.
    result = runner.invoke(cli, ["configs", "list"], env={"REDIS_URL": url})
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert result.exit_code != 0
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "hunter2" not in result.output


def test_invalid_setting_names_the_variable(runner: CliRunner) -> None:
    result = invoke(runner, "configs", "list", env={"SWITCHBOARD_KEY_PREFIX": "bad prefix"})
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Invalid settings")
    assert "SWITCHBOARD_KEY_PREFIX" in line


def test_key_prefix_separates_deployments(runner: CliRunner, raw_redis: redis.Redis) -> None:
    config_id = add(runner, name="Mine")
    assert raw_redis.hexists(f"{PREFIX}:configs", config_id) == 1
    assert listed_ids(runner, env={"SWITCHBOARD_KEY_PREFIX": "elsewhere"}) == []


# -- the installed console script ----------------------------------------------------------


def _run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "switchboard"
    assert script.is_file(), f"no console script at {script}"
    return subprocess.run(
        [str(script), *args],
        env={**os.environ, "PYTHONPATH": str(TESTS_DIR), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_console_script_adds_and_lists(env: dict[str, str]) -> None:
    added = _run_script(env, "configs", "add", SAMPLE_ID, "--name", "Script", "--set", "retries=6")
    assert added.returncode == 0, added.stderr
    config_id = added.stdout.strip()
    assert config_id.startswith("cfg_")

    listed = _run_script(env, "configs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [record] = orjson.loads(listed.stdout)
    assert record["id"] == config_id
    assert record["name"] == "Script"
    assert record["integration_id"] == SAMPLE_ID
    assert record["settings"]["retries"] == 6
    assert record["orphaned"] is False


def test_console_script_unreachable_redis_prints_no_traceback(env: dict[str, str]) -> None:
    result = _run_script({**env, "REDIS_URL": DOWN_URL}, "configs", "list")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "unreachable" in line
    assert "127.0.0.1:1" in line
    assert "hunter2" not in result.stderr


# -- secret keys -------------------------------------------------------------------


def test_generate_key_prints_a_usable_key(runner: CliRunner) -> None:
    key = ok(runner, "secrets", "generate-key").strip()
    box = SecretBox([key])
    assert box.decrypt(box.encrypt({"a": 1})) == {"a": 1}
    assert ok(runner, "secrets", "generate-key").strip() != key


def test_rotate_re_encrypts_with_the_new_key(
    runner: CliRunner, secret_id: str, raw_redis: redis.Redis, env: dict[str, str]
) -> None:
    new_key = ok(runner, "secrets", "generate-key").strip()
    both = {**env, "SWITCHBOARD_SECRET_KEY": f"{new_key},{TEST_SECRET_KEY}"}
    only_new = {**env, "SWITCHBOARD_SECRET_KEY": new_key}
    # Before the rotation, the new key alone cannot read the record.
    listing = invoke(runner, "configs", "list", env=only_new)
    assert f'"{secret_id}" cannot be read' in listing.stderr
    assert "cannot be decrypted with any key" in listing.stderr
    assert "re-encrypted 1 configurations" in ok(runner, "secrets", "rotate", env=both)
    assert show(runner, secret_id, env=only_new)["settings"]["api_token"] == MASK
    token = orjson.loads(raw_record(raw_redis, secret_id))["settings"]["api_token"]
    assert SecretBox([new_key]).decrypt(token) == "s3cret-value"


def test_rotate_without_a_key_is_refused(runner: CliRunner, env: dict[str, str]) -> None:
    result = invoke(runner, "secrets", "rotate", env={**env, "SWITCHBOARD_SECRET_KEY": ""})
    assert result.exit_code == 1
    assert "SWITCHBOARD_SECRET_KEY is not set" in result.stderr


def test_a_secret_needs_a_key_to_be_stored(runner: CliRunner, env: dict[str, str]) -> None:
    keyless = {**env, "SWITCHBOARD_SECRET_KEY": ""}
    result = invoke(
        runner, "configs", "add", SAMPLE_ID, "--name", "x", "--set", "api_token=t", env=keyless
    )
    assert result.exit_code == 1
    assert "SWITCHBOARD_SECRET_KEY is not set" in result.stderr
    assert "api_token" in result.stderr


@pytest.mark.parametrize("stored_as", ["endpoint sealed", "whole request sealed"])
def test_rotate_re_encrypts_the_requests_of_dead_letters_too(
    runner: CliRunner, raw_redis: redis.Redis, env: dict[str, str], stored_as: str
) -> None:
    """Otherwise dropping the old key would strand every pending retry and dead letter;
    records from before ``RequestSealer`` hold the whole request encrypted."""
    request = DeliveryRequest("https://hooks.example.com/p", b"{}")
    box = SecretBox([TEST_SECRET_KEY])
    sealed: str | dict[str, Any] = RequestSealer(box).seal(request)
    if stored_as == "whole request sealed":
        sealed = box.encrypt({"url": request.url, "method": "POST", "headers": {}, "body": ""})
    record = DeliveryRecord(
        id="dlv_old", event_id="evt_1", event_type="a.b", config_id="cfg_1",
        integration_id="x.y", request=sealed, status="dead", created_at=1.0, updated_at=1.0,
    )  # fmt: skip
    keys = RedisKeys(PREFIX)
    raw_redis.set(keys.delivery("dlv_old"), record.model_dump_json(), ex=3600)
    raw_redis.zadd(keys.dead_letters, {"dlv_old": 1000})
    new_key = ok(runner, "secrets", "generate-key").strip()
    out = ok(
        runner, "secrets", "rotate",
        env={**env, "SWITCHBOARD_SECRET_KEY": f"{new_key},{TEST_SECRET_KEY}"},
    )  # fmt: skip
    assert "1 pending or dead deliveries" in out
    stored = DeliveryRecord.model_validate_json(raw_redis.get(keys.delivery("dlv_old")) or b"")
    assert stored.open_request(SecretBox([new_key])).url == "https://hooks.example.com/p"
    assert 0 < cast("int", raw_redis.ttl(keys.delivery("dlv_old"))) <= 3600


# -- what failed, said as it is -----------------------------------------------------


def _without_sample(env: dict[str, str]) -> dict[str, str]:
    """For a ``switchboard`` process, which has no tests/ on its path for the sample."""
    return {key: value for key, value in env.items() if key != "SWITCHBOARD_INTEGRATIONS"}


def test_a_closed_stdout_ends_the_command_quietly(env: dict[str, str]) -> None:
    """``switchboard configs list | head -1`` when head has gone: no 'Redis is unreachable',
    no traceback; 141 (128 + SIGPIPE), as a Unix tool ends."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "switchboard"), "status"],
        env={**os.environ, **_without_sample(env)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the command writes a byte
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 141, stderr
    assert stderr == b""


def test_a_file_that_cannot_be_written_is_named_not_blamed_on_redis(
    env: dict[str, str], tmp_path: Path
) -> None:
    """``switchboard dev`` with its data folder under a file: the folder is the fault (dev
    writes its secret key there, as no SWITCHBOARD_SECRET_KEY is set)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {key: value for key, value in env.items() if key != "SWITCHBOARD_SECRET_KEY"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "switchboard"), "dev"],
        env={**os.environ, **_without_sample(env), "SWITCHBOARD_DATA_DIR": str(blocker / "data")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "unreachable" not in result.stderr
    assert f"error: Not a directory: {blocker / 'data'}" in result.stderr


def test_redis_unreachable_says_where_its_url_came_from(runner: CliRunner) -> None:
    result = invoke(runner, "configs", "list", env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.exit_code == 1
    assert result.stderr == (
        "error: Redis is unreachable at redis://127.0.0.1:1/0 (REDIS_URL): connection refused\n"
    )
