"""One attempt (``Attempter``) and the webhook integration, against real HTTP servers.

Everything runs in this process against aiohttp servers on 127.0.0.1: the
shared ``RecordingSink``, and ``HoldingServer`` below, which holds each request of
``/hold`` until the test releases that one request, to watch the
concurrency limits at work.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Self

import aiohttp
import pytest
from aiohttp import web

from switchboard.config import (
    ConfigCache,
    ConfigRecord,
    ConfigStore,
    Redis,
    Settings,
    new_config_id,
    utc_now,
)
from switchboard.integrations import (
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResult,
    Event,
    Integration,
    IntegrationConfig,
    IntegrationManager,
    IntegrationStateError,
    delivery_id,
)
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for
from switchboard.worker.delivery import (
    RESPONSE_BODY_LIMIT,
    AddressPolicy,
    Attempter,
    DeliveryTuning,
    HttpLimits,
    Wait,
    WaitReason,
)

WEBHOOK = "switchboard.webhook"


class SenderIntegration(Integration):
    """An integration that sends nothing by itself: the tests call ``send()`` on it."""

    integration_id = "tests.engine.sender"


def _config(integration: Integration, name: str = "endpoint") -> IntegrationConfig:
    """A configuration view of ``integration``, as the manager would build from a record."""
    now = utc_now()
    record = ConfigRecord(
        id=new_config_id(),
        integration_id=integration.integration_id,
        name=name,
        created_at=now,
        updated_at=now,
    )
    return IntegrationConfig(record, integration)


@pytest.fixture
def manager() -> IntegrationManager:
    manager = IntegrationManager()
    manager.register(SenderIntegration)
    manager.register(WebhookIntegration)
    return manager


@pytest.fixture
def sender_config(manager: IntegrationManager) -> IntegrationConfig:
    return _config(manager.get_integration(SenderIntegration.integration_id))


@pytest.fixture
def event() -> Event:
    return Event(type="review.published", data={"review_id": 42})


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    async with RecordingSink() as sink:
        yield sink


@pytest.fixture
async def deliverer(settings: Settings) -> AsyncIterator[Attempter]:
    async with Attempter.for_settings(settings) as deliverer:
        yield deliverer


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound (so nobody else takes it) but not listening: connects are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# -- outcomes of one request ---------------------------------------------------------


async def test_2xx_is_delivered_with_status_duration_and_first_4_kib_of_the_body(
    deliverer: Attempter, sink: RecordingSink, sender_config: IntegrationConfig, event: Event
) -> None:
    """A 2xx answer: DELIVERED, its status, a positive duration, the body cut at 4 KiB."""
    sink.on("/big", status=201, body=b"x" * 10 * 1024)
    request = DeliveryRequest.post_json(sink.url("/big"), {"hello": "world"})

    result = await deliverer.deliver(sender_config, event, request)

    assert result.outcome is DeliveryOutcome.DELIVERED
    assert result.delivered
    assert result.error is None
    assert result.attempt == 1
    assert result.duration > 0
    assert result.response is not None
    assert result.response.status == 201
    assert result.response.body == b"x" * RESPONSE_BODY_LIMIT
    assert len(result.response.body) == 4096
    [received] = sink.at("/big")
    assert received.method == "POST"
    assert received.json == {"hello": "world"}
    assert received.headers["Content-Type"] == "application/json"


async def test_500_is_failed(
    deliverer: Attempter, sink: RecordingSink, sender_config: IntegrationConfig, event: Event
) -> None:
    """An error status is a failed delivery that still carries the response."""
    sink.on("/broken", status=500, body=b"boom")

    result = await deliverer.deliver(sender_config, event, DeliveryRequest(sink.url("/broken")))

    assert result.outcome is DeliveryOutcome.FAILED
    assert not result.delivered
    assert result.error == "HTTP 500"
    assert result.response is not None
    assert result.response.status == 500
    assert result.response.body == b"boom"
    assert len(sink.at("/broken")) == 1


async def test_302_is_failed_and_the_redirect_is_not_followed(
    deliverer: Attempter, sink: RecordingSink, sender_config: IntegrationConfig, event: Event
) -> None:
    """A redirect is a failure; the payload never goes to the Location."""
    sink.on("/moved", status=302, headers={"Location": sink.url("/elsewhere")})

    result = await deliverer.deliver(
        sender_config, event, DeliveryRequest(sink.url("/moved"), b"payload")
    )

    assert result.outcome is DeliveryOutcome.FAILED
    assert result.error == "HTTP 302"
    assert result.response is not None
    assert result.response.status == 302
    assert len(sink.at("/moved")) == 1
    assert sink.at("/elsewhere") == []
    assert sink.arrived == 1


async def test_refused_connection_is_failed(
    deliverer: Attempter, closed_port: int, sender_config: IntegrationConfig, event: Event
) -> None:
    """Nothing listening: FAILED, "cannot connect", no response, and the URL is not in the error."""
    url = f"http://127.0.0.1:{closed_port}/secret-path"

    result = await deliverer.deliver(sender_config, event, DeliveryRequest(url))

    assert result.outcome is DeliveryOutcome.FAILED
    assert result.response is None
    assert result.error is not None
    assert result.error.startswith("cannot connect")
    assert "secret-path" not in result.error


async def test_endpoint_slower_than_http_timeout_is_failed(
    settings: Settings, sink: RecordingSink, sender_config: IntegrationConfig, event: Event
) -> None:
    """An endpoint that holds the request past ``http_timeout``: FAILED, "timed out"."""
    gate = asyncio.Event()  # never set here: RecordingSink releases it on exit
    sink.on("/slow", gate=gate)
    quick = settings.model_copy(update={"http_timeout": 0.3})

    async with Attempter.for_settings(quick) as deliverer:
        result = await deliverer.deliver(sender_config, event, DeliveryRequest(sink.url("/slow")))

    assert result.outcome is DeliveryOutcome.FAILED
    assert result.error == "timed out after 0.3 s"
    assert result.response is None
    assert 0.3 <= result.duration < 5
    assert sink.arrived == 1  # it reached the endpoint, which never answered in time
    assert sink.at("/slow") == []


async def test_delivery_id_is_stable_and_differs_per_key(
    deliverer: Attempter, sink: RecordingSink, sender_config: IntegrationConfig, event: Event
) -> None:
    """The id is derived from (event, config, key): the same again, another for another key."""
    url = sink.url("/ids")
    first = await deliverer.deliver(sender_config, event, DeliveryRequest(url))
    again = await deliverer.deliver(sender_config, event, DeliveryRequest(url))
    keyed = await deliverer.deliver(sender_config, event, DeliveryRequest(url, key="reply"))
    other_event = Event(type="review.published")
    other = await deliverer.deliver(sender_config, other_event, DeliveryRequest(url))

    assert first.delivery_id == delivery_id(event.id, sender_config.id, "")
    assert again.delivery_id == first.delivery_id
    assert keyed.delivery_id == delivery_id(event.id, sender_config.id, "reply")
    assert keyed.delivery_id != first.delivery_id
    assert other.delivery_id not in {first.delivery_id, keyed.delivery_id}
    assert first.delivery_id.startswith("dlv_")


async def test_deliver_needs_an_open_deliverer(
    settings: Settings, sender_config: IntegrationConfig, event: Event
) -> None:
    """Outside ``async with`` there is no session to use."""
    deliverer = Attempter.for_settings(settings)
    with pytest.raises(RuntimeError, match="async with"):
        await deliverer.deliver(sender_config, event, DeliveryRequest("http://127.0.0.1:9/"))


# -- concurrency limits -----------------------------------------------------------------


@dataclass
class Held:
    path: str
    gate: asyncio.Event


class HoldingServer:
    """Each request to ``/hold`` waits for its own release; every other path answers at once.

    It counts the requests it is holding or answering, in all (``max_in_flight``)
    and per ``Host`` header (``max_in_flight_by_host``), leaving out ``/barrier``.
    """

    def __init__(self) -> None:
        self.held: list[Held] = []
        self.answered: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_host: Counter[str] = Counter()
        self.max_in_flight_by_host: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def release(self, index: int) -> None:
        self.held[index].gate.set()

    def holding(self, count: int) -> Callable[[], bool]:
        """A ``wait_for`` check: ``count`` requests have reached ``/hold`` so far."""
        return lambda: len(self.held) >= count

    async def _handle(self, request: web.Request) -> web.Response:
        counted = request.path != "/barrier"
        host = request.host
        if counted:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.in_flight_by_host[host] += 1
            self.max_in_flight_by_host[host] = max(
                self.max_in_flight_by_host[host], self.in_flight_by_host[host]
            )
        try:
            await request.read()
            if request.path == "/hold":
                held = Held(request.path, asyncio.Event())
                self.held.append(held)
                await held.gate.wait()
            self.answered.append(request.path)
            return web.Response(text="ok")
        finally:
            if counted:
                self.in_flight -= 1
                self.in_flight_by_host[host] -= 1

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for held in self.held:
            held.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()


async def _barrier(server: HoldingServer) -> None:
    """One request through a session of its own: when it is answered, earlier requests had time.

    The deliveries under test were started before it, on the same loopback; had a
    limit not held them back, they would have reached the server by now.
    """
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.url("/barrier")) as answer,
    ):
        assert answer.status == 200


async def test_per_host_limit_holds_extra_requests_for_that_host_only(
    settings: Settings, sender_config: IntegrationConfig, event: Event
) -> None:
    """``http_max_connections_per_host=2``: 5 requests to one host, never more than 2 at once.

    A request to another host name (``localhost``, the same server) is not held back.
    """
    limited = settings.model_copy(update={"http_max_connections_per_host": 2})
    async with HoldingServer() as server, Attempter.for_settings(limited) as deliverer:
        tasks = [
            asyncio.create_task(
                deliverer.deliver(
                    sender_config, event, DeliveryRequest(server.url("/hold"), key=str(n))
                )
            )
            for n in range(5)
        ]
        await wait_for(lambda: len(server.held) >= 2, what="2 requests held")

        other_host = await deliverer.deliver(
            sender_config, event, DeliveryRequest(server.url("/free", host="localhost"))
        )
        await _barrier(server)
        assert other_host.delivered
        assert len(server.held) == 2  # the other three still wait for a slot
        assert not any(task.done() for task in tasks)

        # Let them through one at a time: each release lets exactly one more in.
        for released in range(5):
            expected_held = min(released + 2, 5)
            await wait_for(server.holding(expected_held), what=f"{expected_held} requests held")
            assert len(server.held) - released <= 2
            server.release(released)
        results: list[DeliveryResult] = await asyncio.gather(*tasks)

    assert all(result.delivered for result in results)
    assert len({result.delivery_id for result in results}) == 5
    assert len(server.held) == 5
    assert server.answered.count("/hold") == 5
    assert server.max_in_flight_by_host[f"127.0.0.1:{server.port}"] == 2
    assert server.max_in_flight_by_host[f"localhost:{server.port}"] == 1


async def test_global_limit_holds_requests_to_every_host(
    settings: Settings, sender_config: IntegrationConfig, event: Event
) -> None:
    """``http_max_connections=2``: with 2 requests held, a third waits though its host has room."""
    limited = settings.model_copy(
        update={"http_max_connections": 2, "http_max_connections_per_host": 10}
    )
    async with HoldingServer() as server, Attempter.for_settings(limited) as deliverer:
        held = [
            asyncio.create_task(
                deliverer.deliver(
                    sender_config, event, DeliveryRequest(server.url("/hold"), key=str(n))
                )
            )
            for n in range(2)
        ]
        await wait_for(lambda: len(server.held) == 2, what="2 requests held")
        # Same host, but per host 10 are allowed: only the global limit can hold this one.
        waiting = asyncio.create_task(
            deliverer.deliver(sender_config, event, DeliveryRequest(server.url("/free")))
        )

        await _barrier(server)
        await _barrier(server)
        assert "/free" not in server.answered
        assert not waiting.done()

        server.release(0)
        result = await asyncio.wait_for(waiting, timeout=10)
        assert result.delivered
        assert server.answered.count("/free") == 1
        assert not held[1].done()
        server.release(1)
        assert all(r.delivered for r in await asyncio.gather(*held))

    assert server.max_in_flight == 2


# -- Integration.send() ---------------------------------------------------------------


async def test_send_without_a_delivery_engine_raises(
    manager: IntegrationManager, sender_config: IntegrationConfig, event: Event
) -> None:
    """No worker, no deliverer: ``send()`` says so instead of failing quietly."""
    sender = manager.get_integration(SenderIntegration.integration_id)
    assert manager.deliverer is None
    with pytest.raises(IntegrationStateError, match="no delivery engine"):
        await sender.send(sender_config, event, DeliveryRequest("http://127.0.0.1:9/"))


async def test_send_with_another_integrations_config_raises(
    manager: IntegrationManager,
    deliverer: Attempter,
    store: ConfigStore,
    redis_client: Redis,
    sink: RecordingSink,
    sender_config: IntegrationConfig,
    event: Event,
) -> None:
    """An integration cannot send on behalf of another's configuration; nothing goes out."""
    async with ConfigCache(store, redis_client, poll_interval=1) as cache:
        with manager.running(cache, deliverer=deliverer):
            webhook = manager.get_integration(WEBHOOK)
            with pytest.raises(IntegrationStateError, match="belongs to"):
                await webhook.send(sender_config, event, DeliveryRequest(sink.url("/x")))
            assert sink.arrived == 0

            # Its own configuration goes through the same engine.
            sender = manager.get_integration(SenderIntegration.integration_id)
            result = await sender.send(sender_config, event, DeliveryRequest(sink.url("/x")))
    assert result.delivered
    assert result.delivery_id == delivery_id(event.id, sender_config.id)
    assert len(sink.at("/x")) == 1


async def test_an_attempt_gives_up_on_a_slow_host_but_waits_for_a_quick_one(
    settings: Settings, sender_config: IntegrationConfig, sink: RecordingSink
) -> None:
    """A host whose slots are all held by a request over a second old is slow: an attempt
    to it comes back "host_busy" (the engine defers it) having sent nothing. A host that is
    merely busy is waited for."""
    # One slot; queueing for it gives up after 0.3 s (not the default 5), so that the held
    # request is soon "slow" and the attempt comes back after at least host_busy_delay.
    limits = HttpLimits(per_host=1, queue_wait_max=0.3, slow_host_after=0.2)
    tuning = replace(DeliveryTuning.from_settings(settings), limits=limits)
    gate = sink.on("/hold", gate=asyncio.Event()).gate
    assert gate is not None
    policy = AddressPolicy(settings.allow_cidrs)
    async with Attempter(tuning, policy) as deliverer, RecordingSink() as quick:
        holding = asyncio.create_task(
            deliverer.attempt(sender_config, "dlv_a", DeliveryRequest(sink.url("/hold"), b"{}"))
        )
        await wait_for(lambda: sink.arrived == 1, what="the slot to be taken")
        busy = await deliverer.attempt(
            sender_config, "dlv_b", DeliveryRequest(sink.url("/next"), b"{}"), may_defer=True
        )
        assert isinstance(busy, Wait)
        assert busy.reason is WaitReason.HOST_BUSY
        assert busy.seconds >= 1.0  # at least host_busy_delay, more for an older request
        assert sink.arrived == 1
        gate.set()
        assert (await holding).ok
        both = await asyncio.gather(
            *(
                deliverer.attempt(
                    sender_config,
                    f"dlv_{n}",
                    DeliveryRequest(quick.url("/q"), b"{}"),
                    may_defer=True,
                )
                for n in range(5)
            )
        )
        assert all(result.ok for result in both)  # one slot, five requests: all waited
