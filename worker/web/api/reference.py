"""``GET /api/docs``: the OpenAPI document rendered as one self-contained HTML page on the
server (no script, no CDN: the page works offline): each path and method with its
parameters, body and answers, the problem statuses (``#problem-<status>``, the problems'
``type``), and every schema."""

from __future__ import annotations

import html
import re
from http import HTTPMethod
from typing import Any, Final

import orjson
from aiohttp import web

from .endpoints import ENDPOINTS, Endpoint, add
from .openapi import openapi_document

__all__ = ["render", "routes"]

#: The descriptions' one piece of markup: `code`, as in docs/api.md.
_CODE: Final = re.compile(r"`([^`]+)`")

_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
    "code,pre{font:13px ui-monospace,monospace}pre{background:#f4f4f4;padding:.6em;"
    "overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;"
    "text-align:left}.m{font-weight:bold;text-transform:uppercase}"
)


def routes(app: web.Application) -> None:
    add(
        app,
        Endpoint(
            method=HTTPMethod.GET,
            path="/api/docs",
            handler=_page,
            scope=None,
            tag="reference",
            content_type="text/html",
            content_schema={"type": "string"},
            summary="This page: the API reference.",
        ),
    )


async def _page(request: web.Request) -> web.Response:
    page = render(openapi_document(request.app[ENDPOINTS]))
    return web.Response(text=page, content_type="text/html")


def render(document: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Switchboard API</title>"
        f"<style>{_STYLE}</style><h1>Switchboard API</h1>"
        "<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. The machine-readable "
        "document: <a href=/api/openapi.json>/api/openapi.json</a>.</p>"
    ]
    statuses: set[str] = set()
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            parts.append(f"<h2><span class=m>{e(method)}</span> <code>{e(path)}</code></h2>")
            parts.append(f"<p>{_text(op['summary'])} {_text(op.get('description', ''))}</p>")
            if op["parameters"]:
                rows = "".join(
                    f"<tr><td><code>{e(p['name'])}</code><td>{e(p['in'])}<td>"
                    f"{'yes' if p['required'] else 'no'}<td>{_shape(p['schema'])}"
                    f"<td>{_text(p.get('description', ''))}"
                    for p in op["parameters"]
                )
                parts.append(
                    f"<table><tr><th>parameter<th>in<th>required<th>type<th>meaning{rows}</table>"
                )
            body = op.get("requestBody")
            if body:
                parts.append(f"<p>Body: {_schema_link(body['content']['application/json'])}</p>")
            answers = []
            for status, answer in op["responses"].items():
                content = next(iter(answer.get("content", {}).values()), None)
                shown = f" {_schema_link(content)}" if content else ""
                answers.append(f"<li><b>{e(status)}</b> {_text(answer['description'])}{shown}")
                if int(status) >= 400:
                    statuses.add(status)
            parts.append(f"<ul>{''.join(answers)}</ul>")
    parts.append(
        "<h2>Problems</h2><p>Every 4xx and 5xx answer is an RFC 9457 problem "
        "(<code>application/problem+json</code>): <code>type</code>, <code>title"
        "</code>, <code>status</code>, <code>detail</code>, and <code>errors</code> "
        "(field: reason).</p>"
    )
    parts += [f"<h3 id=problem-{e(s)}>{e(s)}</h3>" for s in sorted(statuses)]
    parts.append("<h2>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        parts.append(f"<h3 id=schema-{e(name)}>{e(name)}</h3><pre>{e(_json(schema, 2))}</pre>")
    return "".join(parts)


def _text(words: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(words))


def _shape(schema: dict[str, Any]) -> str:
    """A parameter's schema in a few words: ``integer, 1 to 500, default 50``."""
    kinds = [
        _schema_link({"schema": s})
        if "$ref" in s
        else html.escape(s.get("format", s.get("type", "any")))
        for s in schema.get("anyOf", [schema])
        if s.get("type") != "null"
    ]
    words = []
    if "minimum" in schema or "maximum" in schema:
        words.append(f"{schema.get('minimum', '')} to {schema.get('maximum', '')}".strip())
    if "enum" in schema:
        words.append("one of " + ", ".join(map(str, schema["enum"])))
    if schema.get("default") is not None:
        words.append(f"default {schema['default']}")
    return ", ".join([" or ".join(kinds), *(html.escape(w) for w in words)])


def _schema_link(content: dict[str, Any]) -> str:
    ref = str(content["schema"].get("$ref", ""))
    name = ref.rsplit("/", 1)[-1]
    return f"<a href=#schema-{html.escape(name)}><code>{html.escape(name)}</code></a>"


def _json(value: Any, indent: int = 0) -> str:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option).decode()
