"""A pydantic ``ValidationError`` as ``(field, reason)`` pairs: the one flattening that
settings, records, forms, conditions and the queue share.

A field is the error's location dotted (``conditions.0.value``), after a
``prefix`` when given, or ``whole`` when the error is about the input as a
whole. The reason is pydantic's message unless the caller passes its own words
(``plain_reason`` is the common start)::

    field_errors(exc, reason=plain_reason, whole="event")
    # [("type", "..."), ("data.review_id", "this field is required")]

Nothing here imports pydantic when it runs (the errors only need ``.errors()``),
so any module may use it without the cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

__all__ = ["errors_text", "field_errors", "plain_reason", "pydantic_reason"]


def pydantic_reason(error: ErrorDetails) -> str:
    """pydantic's own message."""
    return error["msg"]


def plain_reason(error: ErrorDetails) -> str:
    """pydantic's message in plain words: no jargon, a validator's own message as it is."""
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "value_error" and "ctx" in error:
        return str(error["ctx"]["error"])
    return error["msg"]


def field_errors(
    exc: ValidationError,
    *,
    reason: Callable[[ErrorDetails], str] = pydantic_reason,
    prefix: Sequence[str] = (),
    whole: str = "",
) -> list[tuple[str, str]]:
    """``(field, reason)`` for each of ``exc``'s errors, in pydantic's order."""
    return [
        (".".join([*prefix, *(str(part) for part in error["loc"])]) or whole, reason(error))
        for error in exc.errors()
    ]


def errors_text(errors: Iterable[tuple[str, str]]) -> str:
    """``field: reason; field: reason``."""
    return "; ".join(f"{field}: {reason}" for field, reason in errors)
