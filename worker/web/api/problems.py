"""4xx and 5xx bodies in one shape: RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail", "errors"}``; ``errors`` maps a field
(``settings.url``, ``events.0.type``) to a reason in the words the CLI prints for an
invalid configuration. ``problem_for`` is the one place Switchboard's exceptions become
HTTP statuses; the ``problems`` middleware applies it to every request under ``/api/``
(aiohttp's own 404, 405 and 413 included).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

import orjson
from aiohttp import web
from pydantic import BaseModel, Field

from switchboard.config import (
    ConfigConflictError,
    ConfigNotFoundError,
    InvalidArgumentError,
    RedisUnavailableError,
    SwitchboardError,
)
from switchboard.config.connection import REDIS_DOWN_ERRORS, describe_redis_error
from switchboard.integrations import ConfigValidationError, IntegrationNotRegisteredError

from ...errors import ApiError, InvalidEventError, UntestableConfigError

__all__ = ["PROBLEM_TYPE", "Problem", "problem_for", "problem_response", "problems"]

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
#: Every problem's ``type``: the reference page's section on problems, with the status.
PROBLEM_TYPE: Final = "/api/docs#problem-{status}"


class Problem(BaseModel):
    """An RFC 9457 problem: what every 4xx and 5xx answer of the API holds."""

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="The kind of problem, in a few words.")
    status: int = Field(description="The HTTP status, repeated.")
    detail: str = Field(description="What went wrong with this request.")
    errors: dict[str, str] = Field(
        default_factory=dict, description="Per field: what is wrong with it (when fields are)."
    )


def problem_for(exc: BaseException) -> ApiError:
    """The HTTP problem that ``exc`` is (anything unexpected: a 500 with no details)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ConfigValidationError):
        return ApiError(422, "Invalid input", str(exc), errors=exc.errors)
    if isinstance(exc, InvalidEventError):
        return ApiError(422, "Invalid event", str(exc), errors={"event": exc.reason})
    if isinstance(exc, IntegrationNotRegisteredError):
        return ApiError(422, "Invalid input", str(exc), errors={"integration_id": str(exc)})
    if isinstance(exc, InvalidArgumentError):
        return ApiError(422, "Invalid input", str(exc))
    if isinstance(exc, ConfigNotFoundError):
        return ApiError(404, "Not found", str(exc))
    if isinstance(exc, ConfigConflictError | UntestableConfigError):
        return ApiError(409, "Conflict", str(exc))
    if isinstance(exc, RedisUnavailableError):
        return ApiError(503, "Redis is unavailable", str(exc))
    if isinstance(exc, REDIS_DOWN_ERRORS):
        return ApiError(503, "Redis is unavailable", describe_redis_error(exc))
    if isinstance(exc, SwitchboardError):
        return ApiError(500, "Internal error", str(exc))
    return ApiError(500, "Internal error", "The request failed; the server's log says why.")


def problem_response(problem: ApiError) -> web.Response:
    body = Problem(
        type=PROBLEM_TYPE.format(status=problem.status),
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        errors=problem.errors,
    )
    return web.Response(
        body=orjson.dumps(body.model_dump()),
        status=problem.status,
        headers=problem.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api/``, every failure answers as a problem; elsewhere nothing changes."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    response = await _answered(request, handler)
    # Answers name tenants, configurations and (the reveal) secrets: no cache keeps them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _answered(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else ""
        return problem_response(
            ApiError(
                exc.status,
                exc.reason,
                detail or _HTTP_DETAIL.get(exc.status, exc.reason),
                headers=headers,
            )
        )
    except Exception as exc:
        problem = problem_for(exc)
        if problem.status >= 500:
            logger.error(
                "%s %s failed: %s",
                request.method,
                request.path,
                problem.detail,
                exc_info=not isinstance(exc, SwitchboardError | OSError),
            )
        return problem_response(problem)


_HTTP_DETAIL: Final = {
    404: "No such route in the API: /api/openapi.json lists them.",
    405: "The route does not take this method (the Allow header lists those it takes).",
    413: "The request body is larger than the API accepts.",
}
