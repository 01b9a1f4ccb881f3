"""``HandlerRecorder``: a handler's requests, recorded, with no Redis and no network."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from switchboard.integrations import ConfigValidationError, DeliveryResponse
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import HandlerRecorder

MakeRecorder = Callable[..., HandlerRecorder]


async def test_a_handler_s_request_is_recorded_as_it_would_be_sent(
    switchboard_recorder: MakeRecorder,
) -> None:
    with switchboard_recorder(WebhookIntegration) as recorder:
        config = recorder.add_config(
            WebhookIntegration, settings={"url": "https://hooks.example.com/in"}
        )
        [sent] = await recorder.emit("review.published", {"review_id": 3})
    assert sent.config.id == config.id
    assert sent.request.url == "https://hooks.example.com/in"
    assert sent.request.headers["Content-Type"] == "application/json"
    assert sent.json["data"] == {"review_id": 3}
    assert sent.result.delivered


async def test_scripted_answers_reach_the_handler_in_turn(
    switchboard_recorder: MakeRecorder,
) -> None:
    with switchboard_recorder(WebhookIntegration) as recorder:
        recorder.add_config(WebhookIntegration, settings={"url": "https://a.example.com/"})
        recorder.deliverer.answer(500, DeliveryResponse(410, {}, b"gone"))
        [first] = await recorder.emit("a.b")
        [second] = await recorder.emit("a.b")
        [third] = await recorder.emit("a.b")
    assert (first.result.delivered, first.result.error) == (False, "HTTP 500")
    assert second.result.response is not None
    assert second.result.response.status == 410
    assert third.result.delivered  # nothing scripted: 200


async def test_tenants_and_conditions_decide_what_is_sent(
    switchboard_recorder: MakeRecorder,
) -> None:
    only_alice = {"mode": "all", "conditions": [{"choice": "author", "op": "is", "value": "alice"}]}
    with switchboard_recorder(WebhookIntegration) as recorder:
        recorder.add_config(
            WebhookIntegration,
            settings={"url": "https://acme.example.com/"},
            tenant="acme",
            conditions=only_alice,
        )
        assert await recorder.emit("a.b", {"author": "alice"}) == []  # no tenant
        assert await recorder.emit("a.b", {"author": "bob"}, tenant="acme") == []
        [sent] = await recorder.emit("a.b", {"author": "alice"}, tenant="acme")
    assert sent.event.tenant == "acme"


def test_an_invalid_configuration_fails_with_the_field_named(
    switchboard_recorder: MakeRecorder,
) -> None:
    with (
        switchboard_recorder(WebhookIntegration) as recorder,
        pytest.raises(ConfigValidationError) as caught,
    ):
        recorder.add_config(WebhookIntegration, settings={"url": "ftp://x"})
    assert list(caught.value.errors) == ["url"]
