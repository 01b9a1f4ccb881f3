"""Sample integrations used across the tests (importable as ``support.sample``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, HttpUrl, SecretStr

from switchboard.integrations import ConfigForm, Event, Fieldset, Integration


class SampleForm(ConfigForm):
    endpoint_url: HttpUrl = Field(title="Endpoint URL")
    client_id: str = Field(title="Client ID")
    retries: int = Field(default=3, ge=0, le=10, title="Retries")
    api_token: SecretStr | None = Field(default=None, title="API token")

    fieldsets = [
        Fieldset(description="Where to send things.", fields=["endpoint_url", "client_id"]),
    ]


class SampleIntegration(Integration):
    """Records what happens to it, so tests can look."""

    integration_id = "tests.sample"
    name = "Sample"
    description = "An integration for the tests."
    default_settings = {"endpoint_url": "https://example.com/endpoint/", "client_id": "abc123"}
    config_form_cls = SampleForm
    icon_static_urls = {"1x": "/static/sample.png", "2x": "/static/sample@2x.png"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: list[str] = []
        self.received: list[Event] = []

    def initialize(self) -> None:
        self.calls.append("initialize")
        self.subscribe("review.published", self.on_event)
        self.subscribe("review.*", self.on_event)

    def shutdown(self) -> None:
        self.calls.append("shutdown")

    async def on_event(self, event: Event) -> None:
        self.received.append(event)


class OtherIntegration(Integration):
    """No metadata at all: every default."""

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        pass
