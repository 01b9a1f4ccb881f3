"""How a delivery's request is stored to be sent again: its URL and headers, where secrets
live (a Slack webhook's URL, a token), encrypted; its method, body and key as they are.

``RequestSealer.seal`` makes the stored form, ``open_request`` reads it back,
including the form from before the sealer (the whole request encrypted as one).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final

from switchboard.config import SecretBox, is_encrypted
from switchboard.integrations import ENGINE_HEADERS, DeliveryRequest

from ..errors import SealedRequestError

__all__ = ["RequestSealer", "open_request"]


class RequestSealer:
    """The URL and headers go encrypted as ``endpoint`` when there is a key; the method,
    body (base64) and key as they are.

    Every delivery to one configuration has the same URL and headers, so their
    encryption is made once and reused (``ENDPOINTS_KEPT`` of them at most): the
    Fernet encryption of every request was 6% of a delivery's CPU (bench/). The
    records share a token where they share an endpoint, which tells no more than
    their configuration id does.
    """

    ENDPOINTS_KEPT: Final = 4096

    def __init__(self, secrets: SecretBox | None) -> None:
        self._secrets = secrets
        self._endpoints: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        #: The last body and its base64: a handler sends one body object to every
        #: configuration of an event, so it is encoded once, not once per delivery.
        self._last_body: tuple[bytes, str] = (b"", "")

    def seal(self, request: DeliveryRequest) -> dict[str, Any]:
        body, encoded = self._last_body
        if request.body is not body:
            body, encoded = request.body, base64.b64encode(request.body).decode()
            self._last_body = (body, encoded)
        stored: dict[str, Any] = {"method": request.method, "body": encoded, "key": request.key}
        if self._secrets is None:
            stored["url"], stored["headers"] = request.url, dict(request.headers)
            return stored
        endpoint = (request.url, tuple(request.headers.items()))
        sealed = self._endpoints.get(endpoint)
        if sealed is None:
            if len(self._endpoints) >= self.ENDPOINTS_KEPT:
                self._endpoints.clear()  # rare: that many endpoints in one worker
            sealed = self._secrets.encrypt({"url": request.url, "headers": dict(request.headers)})
            self._endpoints[endpoint] = sealed
        stored["endpoint"] = sealed
        return stored

    def reseal(self, stored: str | dict[str, Any]) -> str | dict[str, Any] | None:
        """``stored`` encrypted again with the first key (after a rotation), or ``None`` when
        nothing in it is encrypted."""
        secrets = self._secrets
        if secrets is None:
            return None
        if is_encrypted(stored):
            return secrets.encrypt(secrets.decrypt(stored))
        if isinstance(stored, dict) and is_encrypted(endpoint := stored.get("endpoint")):
            return {**stored, "endpoint": secrets.encrypt(secrets.decrypt(endpoint))}
        return None


def open_request(stored: str | dict[str, Any], secrets: SecretBox | None) -> DeliveryRequest:
    """The request ``seal`` stored; ``SealedRequestError`` (a ``ValueError``) or
    ``SecretKeyError`` if it cannot be opened here."""
    data: Any = stored
    if is_encrypted(data):  # stored whole, as before RequestSealer (CHANGELOG)
        data = _decrypt(data, secrets)
    if not isinstance(data, dict):
        raise SealedRequestError("the stored request is not an object")
    if is_encrypted(data.get("endpoint")):
        data = {**data, **_decrypt(data["endpoint"], secrets)}
    return DeliveryRequest(
        url=data["url"],
        body=base64.b64decode(data["body"]),
        method=data["method"],
        headers=_without_engine_headers(data["headers"]),
        key=data.get("key", ""),
    )


def _without_engine_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Requests stored before ``DeliveryRequest`` refused the engine's headers may carry one."""
    return {name: value for name, value in headers.items() if name.lower() not in ENGINE_HEADERS}


def _decrypt(sealed: str, secrets: SecretBox | None) -> Any:
    if secrets is None:
        raise SealedRequestError("the request is encrypted and SWITCHBOARD_SECRET_KEY is not set")
    return secrets.decrypt(sealed)
