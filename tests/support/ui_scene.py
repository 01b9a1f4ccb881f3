"""What the admin UI's tour runs against: a worker, a receiver and the web app, all real,
on one Redis; a failing endpoint with a dead letter, a tenant with its own token and
configuration, and hostile text in a configuration's name, a receiver's answer and a
rejected event (``ui_tour.py`` walks it; the browser tests and ``scripts/ui-screenshots``
set it up through ``scene``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import SecretStr

from switchboard.config import ConfigStore, Scope, Settings, TokenStore, open_redis
from switchboard.integrations import ConfigAdmin
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for_async
from switchboard.worker import EventClient
from switchboard.worker.delivery import DeliveryAdmin, DeliveryStatus
from switchboard.worker.queue import EventEncoder, QueuedJob

from .ui_site import serving_site
from .workers import running_worker

__all__ = ["ADMIN_TOKEN", "HOSTILE", "Scene", "scene"]

ADMIN_TOKEN = "ui-tour-admin-token"
#: Text that would run, or load, were it rendered as HTML.
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
#: The configuration whose endpoint fails (its delivery a dead letter), and acme's.
FAILING = "Flaky deploys"
TENANT_CONFIG = "Acme reviews"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    base: str
    sink: RecordingSink
    tenant_token: str
    other_tenant_config_id: str
    #: The names of the configurations set up before the tour.
    failing: str = FAILING
    tenant_config: str = TENANT_CONFIG

    def heal(self) -> None:
        """The failing endpoint answers 200 from now on."""
        self.sink.on("/down", status=200)


@asynccontextmanager
async def scene(settings: Settings) -> AsyncIterator[Scene]:
    """``settings`` with an admin token, one retry, no circuit breaker: the scene set up."""
    tour_settings = settings.model_copy(
        update={
            "admin_token": SecretStr(ADMIN_TOKEN),
            "retry_schedule": (0,),
            "circuit_breaker_failures": 0,
            "heartbeat_interval": 1.0,
        }
    )
    async with (
        RecordingSink() as sink,
        running_worker(tour_settings) as manager,
        open_redis(tour_settings) as redis,
        EventClient(tour_settings) as events,
        serving_site(tour_settings) as base,
    ):
        sink.on("/down", status=503, body=b"upstream is down")
        sink.on("/hostile", status=200, body=HOSTILE.encode())
        admin = ConfigAdmin(manager, ConfigStore.for_settings(redis, tour_settings))
        webhook = "switchboard.webhook"
        await admin.create(webhook, name=FAILING, settings={"url": sink.url("/down"),
                           "event_types": ["deploy.*"]})  # fmt: skip
        await admin.create(webhook, name=HOSTILE, settings={"url": sink.url("/hostile"),
                           "event_types": ["review.*"]})  # fmt: skip
        await admin.create(webhook, name=TENANT_CONFIG, tenant="acme",
                           settings={"url": sink.url("/acme")})  # fmt: skip
        other = await admin.create(webhook, name="Globex builds", tenant="globex",
                                   settings={"url": sink.url("/globex")})  # fmt: skip
        _, tenant_token = await TokenStore.for_settings(redis, tour_settings).create(
            Scope.ADMIN, "acme"
        )
        await events.emit("deploy.finished", {"service": "api", "by": "alice"})
        await events.emit("review.published", {"review_id": 42, "summary": HOSTILE})
        await events.emit("review.published", {"review_id": 43}, tenant="acme")
        async with redis.pipeline(transaction=True) as pipe:  # a payload no worker can read
            EventEncoder(tour_settings).queue(pipe, [QueuedJob([f'{{"type": "{HOSTILE}"}}'])])
            await pipe.execute()
        deliveries = DeliveryAdmin.for_settings(redis, tour_settings)

        async def dead() -> bool:
            page = await deliveries.find(status=DeliveryStatus.DEAD)
            return bool(page.records)

        await wait_for_async(dead, timeout=30, what="the failing endpoint's dead letter")
        yield Scene(
            base=base, sink=sink, tenant_token=tenant_token, other_tenant_config_id=other.id
        )
