"""``GET /api/openapi.json``: the OpenAPI 3.1 document, built from the registered
``Endpoint``s and the pydantic models that validate their requests and shape their answers
(``model_json_schema``), never written by hand. ``GET /api/docs`` renders it (``reference.py``).
"""

from __future__ import annotations

import re
from http import HTTPMethod
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .endpoints import ENDPOINTS, Endpoint, add
from .problems import Problem

__all__ = ["openapi_document", "routes"]

_REF: Final = "#/components/schemas/{model}"
_PATH_PARAM: Final = re.compile(r"{(\w+)}")
#: What a problem answer of a status always carries besides its body.
_PROBLEM_HEADERS: Final = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: the scheme the API takes.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the request would be within the tenant's quota.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
}
_AUTH_PROBLEMS: Final = {
    401: "No token, or one nobody knows.",
    403: "Not this token's to do.",
    429: "The tenant is over its quota (a tenant's token, or its events): `Retry-After`.",
    503: "The API is off (no token set), or Redis is unreachable.",
}
_PROBLEMS: Final = {
    400: "The body is not JSON.",
    404: "No such resource (for this token).",
    409: "The resource's state does not allow it.",
    413: "The body is too large.",
    422: "A field is invalid (`errors`).",
}


def routes(app: web.Application) -> None:
    add(
        app,
        Endpoint(
            method=HTTPMethod.GET,
            path="/api/openapi.json",
            handler=_document,
            scope=None,
            tag="reference",
            content_schema={"type": "object"},
            summary="This API's OpenAPI 3.1 document.",
        ),
    )


async def _document(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[ENDPOINTS]))


def openapi_document(endpoints: list[Endpoint]) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for e in endpoints:
        if e.body is not None:
            models.append((e.body, "validation"))
        if e.response is not None:
            models.append((e.response, "serialization"))
    refs, schemas = models_json_schema(models, ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchboard", "version": "1", "description": "See docs/api.md."},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(e: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{e.method.lower()}_{_slug(e.path)}",
        "summary": e.summary,
        "tags": [e.tag],
        "parameters": _parameters(e),
        "responses": _responses(e, refs),
    }
    if e.scope is not None:
        operation["security"] = [{"bearer": []}]
        operation["description"] = f"Scope: `{e.scope}`."
    if e.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(e.body, "validation")]}},
        }
    return operation


def _parameters(e: Endpoint) -> list[dict[str, Any]]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(e.path)
    ]
    if e.query is not None:
        properties = e.query.model_json_schema()["properties"]
        for name, field in e.query.model_fields.items():
            schema = dict(properties[name])
            description = schema.pop("description", None)
            parameter = {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "schema": schema,
            }
            if description:
                parameter["description"] = description
            found.append(parameter)
    found += [
        {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": text,
        }
        for name, text in e.headers.items()
    ]
    return found


def _responses(e: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": e.summary}
    schema = refs[(e.response, "serialization")] if e.response is not None else e.content_schema
    if schema is not None:
        ok["content"] = {e.content_type: {"schema": schema}}
    problem = {"application/problem+json": {"schema": refs[(Problem, "serialization")]}}
    answers = {str(e.status): ok}
    statuses = {
        **(_AUTH_PROBLEMS if e.scope is not None else {}),
        **{s: _PROBLEMS[s] for s in (*_implied_problems(e), *e.problems)},
    }
    statuses[500] = "An unexpected failure (the server's log says why)."
    for status, text in sorted(statuses.items()):
        answers[str(status)] = {"description": text, "content": problem}
        if status in _PROBLEM_HEADERS:
            answers[str(status)]["headers"] = _PROBLEM_HEADERS[status]
    return answers


def _implied_problems(e: Endpoint) -> tuple[int, ...]:
    """What its input alone may answer: a body that is not JSON, too large or invalid; an
    invalid query; a path's id that names nothing."""
    implied: list[int] = []
    if e.body is not None:
        implied += [400, 413, 422]
    if e.query is not None:
        implied.append(422)
    if _PATH_PARAM.search(e.path):
        implied.append(404)
    return tuple(implied)


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.removeprefix("/api/").lower()).strip("_")
