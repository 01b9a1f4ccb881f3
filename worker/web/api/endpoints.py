"""The API's routes as data: each ``Endpoint`` names its method, path, scope and the
pydantic models of its query, body and answer. ``add`` registers one with aiohttp and
keeps it for the OpenAPI document (``openapi.py``), so the document is the routes.

``read_body``, ``read_query`` and ``respond`` are how handlers use those models: input
validated (bad JSON: 400; a field: 422 with ``errors``), output shaped by the model that
documents it. ``validated`` is that reading alone, for the admin UI's forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPMethod
from typing import Any, Final, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from switchboard.config.field_errors import field_errors, plain_reason
from switchboard.config.tokens import Scope
from switchboard.integrations import ConfigValidationError

from ...errors import ApiError

__all__ = ["ENDPOINTS", "Endpoint", "add", "read_body", "read_query", "respond", "validated"]

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    method: HTTPMethod
    path: str
    handler: Handler
    summary: str
    tag: str
    #: Who may call it; ``None``: anyone (the document and its page).
    scope: Scope | None = Scope.ADMIN
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    #: The success answer's media type and, with no ``response`` model, its schema
    #: (``None``: no body, as a 204).
    content_type: str = "application/json"
    content_schema: dict[str, Any] | None = None
    status: int = 200
    #: Request headers it reads (name -> description).
    headers: dict[str, str] = field(default_factory=dict)
    #: Problem statuses it may answer besides the authentication ones and those its input
    #: implies (``openapi.py``: a body 400, 413 and 422; a query 422; a path's id 404).
    problems: tuple[int, ...] = ()


ENDPOINTS: Final = web.AppKey("api_endpoints", list[Endpoint])


def add(app: web.Application, endpoint: Endpoint) -> None:
    app.router.add_route(endpoint.method, endpoint.path, endpoint.handler)
    app.setdefault(ENDPOINTS, []).append(endpoint)


async def read_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        what = "empty" if not raw.strip() else f"not valid JSON ({exc})"
        raise ApiError(
            400, "Bad JSON", f"The request body is {what}: send a JSON object."
        ) from None
    return validated(model, data, "body")


def read_query(request: web.Request, model: type[M]) -> M:
    return validated(model, dict(request.query), "query")


def respond(model: type[BaseModel], data: Any, status: int = 200) -> web.Response:
    """``data`` shaped (and checked) by the model that documents the answer."""
    body = model.model_validate(data).model_dump(mode="json")
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def validated(model: type[M], data: Any, whole: str) -> M:
    """``data`` read by ``model``, or ``ConfigValidationError`` naming each bad field in
    plain words (the admin UI reads its forms' queries with the API's models through it)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = dict(field_errors(exc, reason=plain_reason, whole=whole))
        raise ConfigValidationError(errors, subject="request") from None
