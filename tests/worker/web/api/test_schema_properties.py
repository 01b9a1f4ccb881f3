"""A property-based run: schemathesis generates requests from the OpenAPI document the live
server serves (``/api/openapi.json``), valid ones and invalid ones, for every operation,
sends them as the admin token, and checks each answer against the document: no 5xx, a
documented status, a documented content type, a body and headers in its schema.

The app is a real one on 127.0.0.1 (``support.api.serving``) over the suite's Redis; the
run is deterministic (``derandomize``) and bounded (``_EXAMPLES`` a mode and operation),
so a failure reproduces. schemathesis calls synchronously (requests), so it runs in a
thread while the server's event loop answers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import pytest
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from support.api import AS_ADMIN, serving
from support.env import TEST_SECRET_KEY

from switchboard.config import Redis, RedisKeys, SecretBox, Settings
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import Attempt, DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.delivery.sealing import RequestSealer

pytestmark = pytest.mark.slow

#: Examples per operation and generation mode: enough to reach each validation path.
_EXAMPLES: Final = 12
WEBHOOK: Final = "switchboard.webhook"


@schemathesis.check
def body_is_documented(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A body where the document's answer for that status declares none contradicts it
    (``content_type_conformance`` passes any body there)."""
    responses = case.operation.definition.raw["responses"]
    answer = responses.get(str(response.status_code)) or responses.get("default")
    if response.content and answer is not None and not answer.get("content"):
        content_type = response.headers.get("content-type", ["?"])[0]
        raise AssertionError(
            f"{response.status_code} answered a body ({content_type}), "
            "but the document declares none for it"
        )
    return None


_CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
    unsupported_method,
    allow_header_conformance,
    missing_required_header,
    body_is_documented,
]
# Not positive_data_acceptance: a schema-valid request may rightly be a 422 here, where
# the document cannot say what is valid (an opaque cursor; settings an integration's form
# validates).


def _run(base_url: str, seeds: dict[str, str], seen: set[tuple[str, int]]) -> dict[str, str]:
    """Each operation and pass that failed, with schemathesis's report of why; ``seen``
    gathers each operation's answered statuses.

    Generated ids are unknown ones (404), so a first, positive pass sends the ``seeds``
    (a configuration, a dead letter) as the path's ids and a real integration's id in a
    new configuration (a valid type in an event): the answers that show and change what
    exists are checked too (deletes last, so the others find what they change)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    failures: dict[str, str] = {}
    for operation in sorted(operations, key=lambda o: o.method.upper() == "DELETE"):
        strategy = _seeded(operation, seeds)
        if strategy is None:
            continue
        try:
            _exercise(operation, strategy, base_url, seen)
        except (Exception, BaseExceptionGroup) as exc:
            failures[f"{operation.label} (seeded)"] = str(exc)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _exercise(operation, operation.as_strategy(generation_mode=mode), base_url, seen)
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE or _takes_input(operation):
                    raise
            except (Exception, BaseExceptionGroup) as exc:
                failures[f"{operation.label} ({mode.value})"] = str(exc)
    return failures


def _seeded(operation: APIOperation, seeds: dict[str, str]) -> SearchStrategy[Case] | None:
    path = {name: seeds[name] for name in ("config_id", "delivery_id") if name in operation.path}
    if path:
        return operation.as_strategy(path_parameters=path)
    if operation.label == "POST /api/configs":
        return operation.as_strategy().map(_of_webhook)
    if operation.label == "POST /api/events":
        return operation.as_strategy().map(_typed)
    return None


def _typed(case: Case) -> Case:
    if isinstance(case.body, dict):
        case.body["type"] = "review.published"
    return case


def _of_webhook(case: Case) -> Case:
    if isinstance(case.body, dict):
        case.body["integration_id"] = WEBHOOK
        case.body["settings"] = {"url": "https://example.com/hook"}
    return case


def _takes_input(operation: APIOperation) -> bool:
    """Whether a request to it can be made invalid (else there is no negative case)."""
    return bool(operation.definition.raw.get("parameters") or operation.body)


def _exercise(
    operation: APIOperation,
    strategy: SearchStrategy[Case],
    base_url: str,
    seen: set[tuple[str, int]],
) -> None:

    @hypothesis_settings(
        max_examples=_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Case) -> None:
        response = case.call(base_url=base_url, headers=AS_ADMIN, timeout=10)
        seen.add((operation.label, response.status_code))
        negative = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
        checks = [*_CHECKS, negative_data_rejection] if negative else _CHECKS
        case.validate_response(response, checks=checks, headers=AS_ADMIN)

    check()


async def _seed(
    client: TestClient[Any, Any], redis_client: Redis, keys: RedisKeys
) -> dict[str, str]:
    """A webhook configuration, and a dead letter of it (with one attempt)."""
    created = await client.post(
        "/api/configs",
        json={
            "integration_id": WEBHOOK,
            "name": "seed",
            "settings": {"url": "https://example.com/h"},
        },
        headers=AS_ADMIN,
    )
    assert created.status == 201, await created.text()
    config_id = (await created.json())["id"]
    request = DeliveryRequest(url="https://example.com/h", headers={}, body=b"{}")
    now = time.time()
    attempt = Attempt(number=1, at=now, status=500, ms=3.0)
    record = DeliveryRecord(
        id=delivery_id("evt_seed", config_id), event_id="evt_seed", event_type="a.b",
        tenant=None, config_id=config_id, integration_id=WEBHOOK,
        request=RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(request),
        status=DeliveryStatus.DEAD, attempts=(attempt,), created_at=now, updated_at=now,
        dead_reason="HTTP 500",
    )  # fmt: skip
    async with redis_client.pipeline(transaction=True) as pipe:
        DeliveryLog(redis_client, keys, retention=3600).write(pipe, record, attempt)
        await pipe.execute()
    return {"config_id": config_id, "delivery_id": record.id}


async def test_the_served_document_holds_for_generated_requests(
    api_settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    async with serving(api_settings) as client:
        base_url = str(client.make_url("")).rstrip("/")
        seeds = await _seed(client, redis_client, keys)
        seen: set[tuple[str, int]] = set()
        failures = await asyncio.to_thread(_run, base_url, seeds, seen)
    # Every operation was called, and answered a success at least once.
    assert {label for label, _ in seen} == {label for label, status in seen if status < 300}
    assert len({label for label, _ in seen}) >= 16
    assert not failures, "\n\n".join(f"== {name}\n{report}" for name, report in failures.items())
