"""``records.py``: ``stored_json`` writes what pydantic's ``model_dump_json`` writes."""

from __future__ import annotations

import math

import orjson
import pytest

from switchboard.worker.delivery.records import Attempt, DeliveryRecord, stored_json
from switchboard.worker.delivery.vocabulary import DeliveryStatus, ErrorClass, WaitReason

ATTEMPTS = [
    Attempt(number=1, at=1764806400.123456, status=204, ms=1.2),
    Attempt(
        number=2,
        at=1764806405.5,
        status=None,
        ms=30000.0,
        error="timed out after 30 s",
        error_class=ErrorClass.TIMEOUT,
        next_attempt_at=1764806705.25,
    ),
    # Text that JSON escapes, or may: quotes, control characters, U+2028, non-ASCII.
    Attempt(
        number=3,
        at=0.0,
        status=500,
        ms=-0.0,
        error='"quoted"\n\ttab',
        error_class=ErrorClass.HTTP,
        body="é\u2028\x00\x1f ☃ 𝄞",
        manual=True,
    ),
    Attempt(number=4, at=1e16, status=429, ms=math.inf, body="x" * 4096),
    Attempt(number=5, at=1.0, ms=math.nan),
]


def _record(status: DeliveryStatus, **fields: object) -> DeliveryRecord:
    base: dict[str, object] = {
        "id": "dlv_abc",
        "event_id": "evt_1",
        "event_type": "review.published",
        "config_id": "cfg_1",
        "integration_id": "switchboard.webhook",
        "request": {"method": "POST", "body": "e30=", "key": "", "endpoint": "gAAAAAB..."},
        "status": status,
        "created_at": 1764806400.0,
        "updated_at": 1764806401.75,
    }
    return DeliveryRecord.model_validate({**base, **fields})


RECORDS = [
    *[_record(status) for status in DeliveryStatus],
    _record(DeliveryStatus.DELIVERED, attempts=ATTEMPTS[:1], emitted_at=1764806399.9),
    _record(
        DeliveryStatus.RETRYING,
        attempts=ATTEMPTS,
        tenant="acme",
        next_attempt_at=1764806705.25,
        waiting_for=WaitReason.RATE_LIMIT,
        rate_slot_at=1764806705.0,
        replay_pending=True,
    ),
    _record(DeliveryStatus.DEAD, attempts=ATTEMPTS[1:3], dead_reason="gave up: ünreachable"),
    # Unsealed (no secret key): the URL and headers as they are; and a sealed token.
    _record(
        DeliveryStatus.PENDING,
        request={"method": "POST", "url": "https://h/p?q=1", "headers": {"X-A": "b"}},
    ),
    _record(DeliveryStatus.PENDING, request="gAAAAABsealed"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r.status}-{len(r.attempts)}")
def test_a_record_is_stored_as_pydantic_would_store_it(record: DeliveryRecord) -> None:
    assert stored_json(record) == record.model_dump_json().encode()
    if all(math.isfinite(attempt.ms) for attempt in record.attempts):  # else null, as pydantic
        assert DeliveryRecord.model_validate_json(stored_json(record)) == record


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: f"attempt-{a.number}")
def test_an_attempt_is_stored_as_pydantic_would_store_it(attempt: Attempt) -> None:
    assert stored_json(attempt) == attempt.model_dump_json().encode()
    # As the attempt log's entries were made before: orjson of the dumped fields.
    assert orjson.loads(stored_json(attempt)) == orjson.loads(orjson.dumps(attempt.model_dump()))


def test_something_a_record_cannot_hold_is_refused() -> None:
    record = _record(DeliveryStatus.PENDING, request={"method": "POST", "body": ""})
    # Built past validation, as no caller does: orjson is not asked to guess.
    broken = record.model_copy(update={"request": {"body": object()}})
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        stored_json(broken)
