"""How a delivery's request is stored: URL and headers sealed, made once per endpoint."""

from __future__ import annotations

import pytest
from support.env import TEST_SECRET_KEY

from switchboard.config import SecretBox, is_encrypted
from switchboard.integrations import DeliveryRequest
from switchboard.worker.delivery import DeliveryRecord
from switchboard.worker.delivery.sealing import RequestSealer

SECRET_URL = "https://hooks.example.com/services/T000/B000/s3cret-path"
HEADERS = {"Authorization": "Bearer t0ken"}


def _record(request: str | dict[str, object]) -> DeliveryRecord:
    return DeliveryRecord(
        id="dlv_1", event_id="evt_1", event_type="a.b", config_id="cfg_1",
        integration_id="x.y", request=request, created_at=1.0, updated_at=1.0,
    )  # fmt: skip


def test_url_and_headers_are_sealed_and_the_rest_kept_as_is() -> None:
    box = SecretBox([TEST_SECRET_KEY])
    stored = RequestSealer(box).seal(DeliveryRequest(SECRET_URL, b'{"a": 1}', headers=HEADERS))
    assert set(stored) == {"method", "body", "key", "endpoint"}
    assert is_encrypted(stored["endpoint"])
    assert "s3cret" not in str(stored)
    assert "t0ken" not in str(stored)
    opened = _record(stored).open_request(box)
    assert (opened.url, dict(opened.headers), opened.body) == (SECRET_URL, HEADERS, b'{"a": 1}')


def test_one_endpoint_is_encrypted_once_and_another_separately() -> None:
    sealer = RequestSealer(SecretBox([TEST_SECRET_KEY]))
    first = sealer.seal(DeliveryRequest(SECRET_URL, b"1", headers=HEADERS))
    second = sealer.seal(DeliveryRequest(SECRET_URL, b"2", headers=HEADERS))
    other_token = sealer.seal(DeliveryRequest(SECRET_URL, b"1", headers={"Authorization": "x"}))
    other_url = sealer.seal(DeliveryRequest(SECRET_URL + "2", b"1", headers=HEADERS))
    assert first["endpoint"] == second["endpoint"]
    assert first["body"] != second["body"]
    assert len({first["endpoint"], other_token["endpoint"], other_url["endpoint"]}) == 3


def test_each_body_is_stored_as_its_own_whichever_came_before() -> None:
    box = SecretBox([TEST_SECRET_KEY])
    sealer = RequestSealer(box)
    shared, other = b'{"event": 1}', bytes(bytearray(b'{"event": 2}'))
    bodies = [shared, shared, other, shared, b"", other]  # one event's body to two, ...
    stored = [sealer.seal(DeliveryRequest(SECRET_URL, body, headers=HEADERS)) for body in bodies]
    assert [_record(each).open_request(box).body for each in stored] == bodies


def test_without_a_key_the_request_is_stored_in_the_clear() -> None:
    stored = RequestSealer(None).seal(DeliveryRequest(SECRET_URL, b"x", headers=HEADERS))
    assert stored["url"] == SECRET_URL
    assert _record(stored).open_request(None).headers == HEADERS


def test_a_request_stored_whole_before_the_sealer_still_opens() -> None:
    box = SecretBox([TEST_SECRET_KEY])
    whole = box.encrypt(
        {"url": SECRET_URL, "method": "PUT", "headers": HEADERS, "body": "eA==", "key": "k"}
    )
    opened = _record(whole).open_request(box)
    assert (opened.url, opened.method, opened.body, opened.key) == (SECRET_URL, "PUT", b"x", "k")


def test_a_sealed_request_needs_the_key() -> None:
    stored = RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(DeliveryRequest(SECRET_URL, b""))
    with pytest.raises(ValueError, match="SWITCHBOARD_SECRET_KEY is not set"):
        _record(stored).open_request(None)
