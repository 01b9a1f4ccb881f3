"""``Event``: the envelope's times are in UTC, whatever zone a worker's machine is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from switchboard.integrations import Event


def test_a_time_with_no_zone_is_utc() -> None:
    event = Event.model_validate_json('{"type": "a.b", "occurred_at": "2026-12-01T10:00:00"}')
    assert event.occurred_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_a_time_with_a_zone_keeps_it() -> None:
    plus_two = timezone(timedelta(hours=2))
    event = Event(type="a.b", occurred_at=datetime(2026, 12, 1, 12, tzinfo=plus_two))
    assert event.occurred_at.utcoffset() == timedelta(hours=2)
    assert event.occurred_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
