"""The event envelope: what an app emits and what every handler receives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchboard.config.clock import utc_now
from switchboard.config.ids import new_id

__all__ = ["EVENT_TYPE_PATTERN", "Event", "new_event_id"]

#: Hierarchical, dot-separated, lowercase: ``review.published``, ``ci.build.failed``
#: (the Standard Webhooks convention).
EVENT_TYPE_PATTERN: Final = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"


def new_event_id() -> str:
    return new_id("evt")


class Event(BaseModel):
    """One thing that happened in an app.

    ``id`` is generated unless the producer gives one (to make emitting
    idempotent). ``tenant`` scopes the event to one tenant of a multi-tenant
    app (Review Board's local site); configurations only see their tenant's
    events. ``config_id`` addresses it to one configuration: only that one (if
    enabled and of the event's tenant) receives it, whatever its conditions and
    event types; Switchboard's test events (``switchboard.test``) are sent so.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_event_id, min_length=1, max_length=200)
    type: str = Field(pattern=EVENT_TYPE_PATTERN, max_length=200)
    tenant: str | None = Field(default=None, min_length=1, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime = Field(default_factory=utc_now)
    config_id: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("occurred_at")
    @classmethod
    def _in_utc_when_naive(cls, value: datetime) -> datetime:
        # A time with no zone (an app's "2026-12-01T10:00:00") is UTC, as the API's
        # since/until read it, never whatever zone a worker's machine is in.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
