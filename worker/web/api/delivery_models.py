"""The pydantic models of ``/api/deliveries``, ``/api/dead-letters`` and ``/api/rejected``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ...delivery import DeliveryRecord, DeliveryStatus
from ...rejected import RejectedEvent
from .config_models import PageQuery

__all__ = [
    "DeadLetterList",
    "DeliveryList",
    "DeliveryOut",
    "DeliveryPage",
    "RejectedList",
    "RejectedPage",
    "ReplayFilter",
    "ReplayReportOut",
]


#: A time as the listings take it: ISO 8601, or epoch seconds (pydantic reads both), and
#: the document says both, so a number is not "a request the schema forbids".
Moment = Annotated[
    datetime,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]}),
]


class DeliveryList(PageQuery):
    status: DeliveryStatus | None = Field(default=None, description="Only in this state.")
    config_id: str | None = Field(default=None, description="Only this configuration's.")
    integration_id: str | None = Field(default=None, description="Only this integration's.")
    tenant: str | None = Field(default=None, description="Only this tenant's.")
    since: Moment | None = Field(
        default=None,
        description="Only those updated at or after this time: ISO 8601 (no zone: UTC) or "
        "epoch seconds. On the record's `updated_at`, its last change.",
    )
    until: Moment | None = Field(
        default=None, description="Only those updated before this time (as `since`)."
    )


class DeadLetterList(PageQuery):
    config_id: str | None = Field(default=None, description="Only this configuration's.")


class DeliveryOut(DeliveryRecord):
    """A delivery and its attempt log, as `switchboard deliveries show --json` prints it."""

    request: dict[str, Any] = Field(
        description='Its method and host only (`{"method": "POST", "host": "..."}`), or '
        '`{"sealed": true}` where this process cannot open it: URLs and headers hold secrets.'
    )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="The `cursor` of the next page; `null`: last.")


class ReplayFilter(BaseModel):
    """Which dead letters to send again: these ids, a configuration's, or all."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="Delivery ids (at most 1,000 a request; `all` or `config_id` for more).",
    )
    config_id: str | None = Field(default=None, description="Every dead letter of this one.")
    all: bool = Field(default=False, description="Every dead letter (of the token's tenant).")


class ReplayReportOut(BaseModel):
    replayed: list[str]
    not_dead: list[str] = Field(description="Named, but no dead letter: not replayed.")


class RejectedList(PageQuery):
    pass


class RejectedPage(BaseModel):
    items: list[RejectedEvent]
    total: int = Field(description="How many rejected events are kept in all.")
    next_cursor: str | None
