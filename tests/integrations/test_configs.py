"""``IntegrationConfig.rate_limit``: the configuration's own, else its integration's default."""

from __future__ import annotations

from typing import ClassVar

from switchboard.integrations import Integration
from switchboard.testing import HandlerRecorder


class Plain(Integration):
    integration_id = "test.plain"


class Throttled(Integration):
    integration_id = "test.throttled"
    default_rate_limit: ClassVar[float | None] = 1.0


def test_a_configuration_without_a_rate_limit_takes_its_integrations_default() -> None:
    with HandlerRecorder(Plain, Throttled) as recorder:
        assert recorder.add_config(Plain).rate_limit is None
        config = recorder.add_config(Throttled)
        assert config.record.rate_limit is None
        assert config.rate_limit == 1.0


def test_an_operators_rate_limit_replaces_the_default() -> None:
    with HandlerRecorder(Throttled) as recorder:
        config = recorder.add_config(Throttled)
        faster = config.record.model_copy(update={"rate_limit": 5.0})
        assert type(config)(faster, config.integration).rate_limit == 5.0
