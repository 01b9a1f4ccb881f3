"""``ChatIntegration``: event types per configuration, one message rendered once and sent
to every configuration, retries to the URL as it is now; and the forms' settings."""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
import pytest

from switchboard.integrations import (
    ConfigValidationError,
    DeliveryRequest,
    Event,
    IntegrationConfig,
)
from switchboard.integrations.builtin.chat import (
    ChatForm,
    ChatIntegration,
    ChatMessage,
    WebhookChatForm,
)
from switchboard.testing import HandlerRecorder


class EchoForm(WebhookChatForm):
    webhook_hosts: ClassVar[frozenset[str]] = frozenset({"hooks.example.com"})


class Echo(ChatIntegration):
    """A chat service whose payload is the message's title and the channel."""

    integration_id = "test.echo"
    config_form_cls = EchoForm
    rendered: ClassVar[list[str]] = []

    def message_for(self, event: Event) -> ChatMessage:
        message = super().message_for(event)
        self.rendered.append(message.title)
        return message

    def render(self, message: ChatMessage, config: IntegrationConfig) -> DeliveryRequest:
        payload = {"title": message.title, "channel": config.get("channel")}
        return DeliveryRequest.post_json(self.endpoint(config), payload)


URL = "https://hooks.example.com/T1/B2/secret"


@pytest.fixture(autouse=True)
def _clear() -> None:
    Echo.rendered.clear()


async def test_each_configuration_gets_the_events_its_patterns_take() -> None:
    with HandlerRecorder(Echo) as recorder:
        recorder.add_config(Echo, name="all", settings={"webhook_url": URL, "channel": "all"})
        recorder.add_config(
            Echo,
            name="reviews",
            settings={"webhook_url": URL, "channel": "rv", "event_types": ["review.*"]},
        )
        review = await recorder.emit("review.published", {"title": "R"})
        build = await recorder.emit("ci.build", {"title": "B"})
        own = await recorder.emit("switchboard.delivery.dead", {"title": "D"})
    assert sorted(s.json["channel"] for s in review) == ["all", "rv"]
    assert [s.json["channel"] for s in build] == ["all"]
    assert own == []  # "*" is the app's events, not Switchboard's own
    assert Echo.rendered == ["R", "B"]  # one message an event, however many configurations


async def test_switchboard_events_go_where_a_pattern_names_them() -> None:
    with HandlerRecorder(Echo) as recorder:
        recorder.add_config(Echo, settings={"webhook_url": URL, "event_types": ["switchboard.*"]})
        [sent] = await recorder.emit("switchboard.delivery.dead", {})
    assert sent.json["title"] == "switchboard.delivery.dead"


async def test_a_retry_goes_to_the_url_as_it_is_now() -> None:
    with HandlerRecorder(Echo) as recorder:
        config = recorder.add_config(Echo, settings={"webhook_url": URL})
        [sent] = await recorder.emit("ci.build", {"title": "B"})
        moved = IntegrationConfig(
            config.record.model_copy(
                update={"settings": {**config.settings, "webhook_url": URL + "-new"}}
            ),
            config.integration,
        )
        retry = config.integration.refresh_request(moved, sent.request)  # type: ignore[attr-defined]
    assert retry.url == URL + "-new"
    assert (retry.body, dict(retry.headers)) == (sent.request.body, dict(sent.request.headers))
    assert orjson.loads(retry.body)["title"] == "B"


def test_a_service_must_render() -> None:
    class Unfinished(ChatIntegration):
        integration_id = "test.unfinished"

    with pytest.raises(NotImplementedError, match="Unfinished must define render"):
        Unfinished.render(object.__new__(Unfinished), None, None)  # type: ignore[arg-type]


def validate(form: type[ChatForm], **settings: Any) -> dict[str, Any]:
    return form.validate_config(name="n", enabled=True, settings=settings).settings_json()


def test_the_webhook_url_is_secret_and_https_on_the_services_host() -> None:
    assert "webhook_url" in EchoForm.secret_fields()
    assert validate(EchoForm, webhook_url=URL)["webhook_url"] == URL
    assert validate(EchoForm, webhook_url="http://127.0.0.1:8080/hook")["event_types"] == ["*"]
    for url, reason in [
        ("http://hooks.example.com/x", "must be https://"),
        ("https://evil.example.com/x", "must be a webhook URL on hooks.example.com"),
        ("not a url", "URL"),
    ]:
        with pytest.raises(ConfigValidationError) as refused:
            validate(EchoForm, webhook_url=url)
        assert reason in refused.value.errors["webhook_url"]


def test_event_type_patterns_are_checked() -> None:
    with pytest.raises(ConfigValidationError) as refused:
        validate(EchoForm, webhook_url=URL, event_types=["Review.Bad"])
    assert "event_types" in refused.value.errors
    with pytest.raises(ConfigValidationError):
        validate(EchoForm, webhook_url=URL, event_types=["a" * 201])
    with pytest.raises(ConfigValidationError):
        validate(EchoForm, webhook_url=URL, event_types=[])


def test_the_forms_read_well_in_a_ui() -> None:
    assert [(f.title, tuple(f.fields)) for f in EchoForm.layout()] == [
        ("Basic info", ("name", "enabled")),
        ("Destination", ("webhook_url", "channel", "notify_username")),
        ("Messages", ("event_types",)),
    ]
    assert [(f.title, tuple(f.fields)) for f in ChatForm.layout()][1:] == [
        ("Messages", ("event_types",))
    ]
