"""A third party's integrations: one that works, and ways a plugin can be broken."""

from typing import Any

from switchboard.integrations import Event, Integration

NOT_AN_INTEGRATION = "just a string"


class PluginIntegration(Integration):
    integration_id = "sample_plugin.integration"
    name = "Sample plugin"
    description = "Installed through an entry point."

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        pass


class ExplodingIntegration(Integration):
    integration_id = "sample_plugin.exploding"

    def __init__(self, *args: Any) -> None:
        raise RuntimeError("missing API key")
