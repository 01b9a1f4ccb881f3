"""Integrations whose handlers misbehave, to prove they cannot hurt the others."""

from __future__ import annotations

import asyncio

from switchboard.integrations import Event, Integration


class RaisingIntegration(Integration):
    integration_id = "tests.raising"

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        raise RuntimeError(f"broken handler (event {event.id})")


class HangingIntegration(Integration):
    integration_id = "tests.hanging"

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        await asyncio.Event().wait()  # never set: only the handler timeout ends this
