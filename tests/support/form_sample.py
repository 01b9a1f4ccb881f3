"""An integration whose form has a field of every kind the admin UI draws (installed in a
test's app by its dotted path, ``SAMPLE_PATH``), and one that leaves its configurations
orphaned once the app that lists them does not install it."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import Field, SecretStr

from switchboard.integrations import ConfigForm, Event, Fieldset, Integration

__all__ = ["GONE_PATH", "SAMPLE_PATH", "Colour", "GoneIntegration", "SampleIntegration"]

SAMPLE_PATH = "support.form_sample.SampleIntegration"
GONE_PATH = "support.form_sample.GoneIntegration"


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class SampleForm(ConfigForm):
    count: int = Field(title="Count", description="How many.")
    ratio: float = Field(default=0.5, title="Ratio")
    loud: bool = Field(default=False, title="Loud")
    level: Literal["low", "high"] = Field(default="low", title="Level")
    colour: Colour | None = Field(default=None, title="Colour")
    tags: list[str] = Field(default_factory=list, title="Tags")
    labels: dict[str, str] = Field(default_factory=dict, title="Labels")
    ports: list[int] = Field(default_factory=list, title="Ports")
    token: SecretStr | None = Field(default=None, title="Token")

    fieldsets = (
        Fieldset(fields=("count", "ratio", "loud"), title="Numbers", description="Figures."),
        Fieldset(fields=("level", "colour", "tags", "labels"), title="Words"),
    )


class SampleIntegration(Integration):
    integration_id = "tests.sample"
    name = "Sample"
    description = "A field of every kind."
    config_form_cls = SampleForm

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        pass


class GoneIntegration(SampleIntegration):
    integration_id = "tests.gone"
    name = "Gone"
