"""The ``switchboard`` pytest plugin as an author meets it: installed, nothing to register,
in pytest-asyncio's strict mode (a project with no configuration of its own)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

AUTHOR_TESTS = """
import pytest
from switchboard.integrations.builtin import WebhookIntegration

pytestmark = pytest.mark.asyncio


async def test_through_a_worker(switchboard_harness, switchboard_sink):
    switchboard_sink.script("/hook", 500, 200)
    async with switchboard_harness(WebhookIntegration) as harness:
        url = switchboard_sink.url("/hook")
        await harness.add_config(WebhookIntegration, settings={"url": url})
        await harness.emit("review.published", {"review_id": 1})
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered" and delivery.attempts == 2


async def test_without_the_network(switchboard_recorder):
    with switchboard_recorder(WebhookIntegration) as recorder:
        recorder.add_config(WebhookIntegration, settings={"url": "https://example.com/"})
        [sent] = await recorder.emit("review.published")
    assert sent.request.url == "https://example.com/"
"""


def test_an_authors_suite_gets_the_fixtures_from_the_installed_package(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_author=AUTHOR_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)
