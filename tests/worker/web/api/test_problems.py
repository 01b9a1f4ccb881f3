"""Every failure under /api as an RFC 9457 problem, and Switchboard's errors mapped once."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient
from support.api import AS_ADMIN, problem

from switchboard.config import (
    ConfigConflictError,
    ConfigNotFoundError,
    InvalidArgumentError,
    RedisUnavailableError,
    SwitchboardError,
)
from switchboard.integrations import ConfigValidationError, IntegrationNotRegisteredError
from switchboard.worker import InvalidEventError
from switchboard.worker.web.api.problems import problem_for


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ConfigValidationError({"name": "this field is required"}), 422),
        (InvalidEventError("evt_1", "too big"), 422),
        (IntegrationNotRegisteredError("nope.x"), 422),
        (InvalidArgumentError("bad"), 422),
        (ConfigNotFoundError("cfg_1"), 404),
        (ConfigConflictError("cfg_1", 25), 409),
        (RedisUnavailableError("redis://h", "refused"), 503),
        (redis.exceptions.ConnectionError("down"), 503),
        (SwitchboardError("odd"), 500),
        (RuntimeError("a bug"), 500),
    ],
)
def test_each_error_has_its_status(exc: BaseException, status: int) -> None:
    assert problem_for(exc).status == status


def test_a_validation_error_keeps_its_fields_in_the_clis_words() -> None:
    exc = ConfigValidationError({"settings.url": "not a URL", "name": "this field is required"})
    found = problem_for(exc)
    assert found.errors == exc.errors
    assert found.detail == str(exc)


def test_an_unexpected_error_says_nothing_of_itself() -> None:
    assert "secret" not in problem_for(RuntimeError("secret value")).detail


@pytest.mark.parametrize("body", [b"{", b"", b"not json", b"{'a': 1}"])
async def test_bad_json_is_400(client: TestClient[Any, Any], body: bytes) -> None:
    response = await client.post("/api/configs", data=body, headers=AS_ADMIN)
    detail = (await problem(response, 400))["detail"]
    assert detail.startswith("The request body is ")


async def test_a_body_that_is_not_an_object_is_422(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/configs", json=[1, 2], headers=AS_ADMIN)
    assert "body" in (await problem(response, 422))["errors"]


async def test_unknown_routes_and_methods_are_problems(client: TestClient[Any, Any]) -> None:
    await problem(await client.get("/api/nothing-here", headers=AS_ADMIN), 404)
    response = await client.put("/api/configs", headers=AS_ADMIN)
    await problem(response, 405)
    assert "GET" in response.headers["Allow"]


async def test_routes_outside_the_api_are_left_alone(client: TestClient[Any, Any]) -> None:
    response = await client.get("/no-such-page")
    assert response.status == 404
    assert response.content_type != "application/problem+json"


async def test_no_answer_of_the_api_is_kept_by_a_cache(client: TestClient[Any, Any]) -> None:
    for response in (
        await client.get("/api/configs", headers=AS_ADMIN),
        await client.get("/api/configs"),  # a problem too
        await client.get("/api/openapi.json"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
