"""``Exchange``: what one attempt came to, as the transport reports it and the policy reads it."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.integrations import DeliveryOutcome, DeliveryResponse, DeliveryResult

from .vocabulary import ErrorClass

__all__ = ["Exchange"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """An answer (``response``), or how the attempt failed (``error``, ``error_class``).

    ``error`` is plain words without the URL or a secret, for the attempt log.
    """

    host: str
    response: DeliveryResponse | None = None
    error: str | None = None
    error_class: ErrorClass | None = None
    #: Seconds from the request's start to its end.
    duration: float = 0.0
    #: Trying again cannot help (a blocked address, an invalid URL).
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self, delivery_id: str, outcome: DeliveryOutcome, attempt: int) -> DeliveryResult:
        return DeliveryResult(
            delivery_id=delivery_id,
            outcome=outcome,
            attempt=attempt,
            duration=self.duration,
            response=self.response,
            error=self.error,
            permanent=self.permanent,
        )
