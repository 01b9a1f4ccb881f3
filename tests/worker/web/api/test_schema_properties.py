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
from typing import Final

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis.errors import Unsatisfiable
from hypothesis import settings as hypothesis_settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.api import AS_ADMIN, serving

from switchboard.config import Settings

pytestmark = pytest.mark.slow

#: Examples per operation and generation mode: enough to reach each validation path.
_EXAMPLES: Final = 12
_CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _run(base_url: str, seen: set[tuple[str, int]]) -> dict[str, str]:
    """Each operation and mode that failed, with schemathesis's report of why; ``seen``
    gathers each operation's answered statuses."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    failures: dict[str, str] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _exercise(operation, mode, base_url, seen)
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE or _takes_input(operation):
                    raise
            except Exception as exc:
                failures[f"{operation.label} ({mode.value})"] = str(exc)
    return failures


def _takes_input(operation: APIOperation) -> bool:
    """Whether a request to it can be made invalid (else there is no negative case)."""
    return bool(operation.definition.raw.get("parameters") or operation.body)


def _exercise(
    operation: APIOperation, mode: GenerationMode, base_url: str, seen: set[tuple[str, int]]
) -> None:
    checks = [*_CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else _CHECKS

    @hypothesis_settings(
        max_examples=_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Case) -> None:
        response = case.call(base_url=base_url, headers=AS_ADMIN, timeout=10)
        seen.add((operation.label, response.status_code))
        case.validate_response(response, checks=checks, headers=AS_ADMIN)

    check()


async def test_the_served_document_holds_for_generated_requests(api_settings: Settings) -> None:
    async with serving(api_settings) as client:
        base_url = str(client.make_url("")).rstrip("/")
        seen: set[tuple[str, int]] = set()
        failures = await asyncio.to_thread(_run, base_url, seen)
    print(sorted(seen))
    assert not failures, "\n\n".join(f"== {name}\n{report}" for name, report in failures.items())
