"""The exceptions the worker layer raises: events refused where they enter, stored
requests that cannot be opened, addresses the SSRF guard refuses, and requests the web
API refuses.

They derive from ``switchboard.config.SwitchboardError``; the whole tree is drawn
in ``switchboard.config.errors``. This module imports nothing heavier than that,
so the producer's import path stays light.
"""

from __future__ import annotations

from switchboard.config.errors import SwitchboardError
from switchboard.config.ids import shown_id

__all__ = [
    "ApiError",
    "BlockedAddressError",
    "InvalidEventError",
    "SealedRequestError",
    "UntestableConfigError",
]


class InvalidEventError(SwitchboardError):
    """An event was refused where it entered: bad type, bad data, too large.

    Producers raise it before anything is written; a worker records it in
    the rejected-events log instead (``switchboard rejected list``).
    """

    def __init__(self, event_id: str | None, reason: str) -> None:
        self.event_id = event_id
        self.reason = reason
        subject = f'Event "{shown_id(event_id)}"' if event_id else "The event"
        super().__init__(f"{subject} was rejected: {reason}")


class UntestableConfigError(SwitchboardError):
    """A test event cannot reach this configuration: it is disabled, or its integration is
    not installed (``switchboard configs test``, ``POST /api/configs/{id}/test``)."""

    def __init__(self, config_id: str, reason: str) -> None:
        self.config_id = config_id
        self.reason = reason
        super().__init__(f'Configuration "{shown_id(config_id)}" cannot be tested: {reason}.')


class SealedRequestError(SwitchboardError, ValueError):
    """A delivery's stored request cannot be opened here: it is not a request, or it is
    encrypted and ``SWITCHBOARD_SECRET_KEY`` is not set. A ``ValueError`` too."""


class BlockedAddressError(SwitchboardError, OSError):
    """The host is, or resolves to, an address the SSRF guard refuses.

    An ``OSError`` too: that is what aiohttp expects a resolver to raise, and it
    hands it back as the connection error's ``os_error``.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        shown = host if host == address else f"{host} ({address})"
        super().__init__(
            f"blocked by the SSRF guard: {shown} is {reason} (SWITCHBOARD_ALLOW_CIDRS can allow it)"
        )


class ApiError(SwitchboardError):
    """A request to the web API was refused (no token, a scope it lacks, a body it cannot
    read): the HTTP status, and the words of its problem (RFC 9457; ``worker/web/api``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__(detail)
