"""The webhook integration: its body, headers, filters and settings, against a real sink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from support.webhooks import WebhookRig, webhook_rig

from switchboard.config import (
    ConfigStore,
    Redis,
    Settings,
)
from switchboard.integrations import (
    ConfigValidationError,
    Event,
    IntegrationManager,
)
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for

WEBHOOK = "switchboard.webhook"


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    async with RecordingSink() as sink:
        yield sink


@pytest.fixture
async def rig(
    settings: Settings, store: ConfigStore, redis_client: Redis
) -> AsyncIterator[WebhookRig]:
    async with webhook_rig(settings, store, redis_client) as rig:
        yield rig


async def test_webhook_posts_the_standard_body_with_extra_headers(
    rig: WebhookRig, sink: RecordingSink
) -> None:
    """The body is exactly id, type, timestamp, tenant, data; JSON; extra headers are sent."""
    await rig.create(
        name="hook",
        tenant="acme",
        settings={
            "url": sink.url("/hook"),
            "headers": {"Authorization": "Bearer s3cret", "X-Trace": "abc"},
        },
    )
    event = Event(type="review.published", tenant="acme", data={"review_id": 7, "tags": ["a"]})

    await rig.webhook.on_event(event)

    [received] = sink.at("/hook")
    assert received.method == "POST"
    assert received.json == {
        "id": event.id,
        "type": "review.published",
        "timestamp": event.occurred_at.isoformat(),
        "tenant": "acme",
        "data": {"review_id": 7, "tags": ["a"]},
    }
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Authorization"] == "Bearer s3cret"
    assert received.headers["X-Trace"] == "abc"
    assert orjson.loads(received.body).keys() == {"id", "type", "timestamp", "tenant", "data"}


@pytest.mark.parametrize(
    "owned", ["Host", "content-type", "Webhook-Id", "webhook-signature", "Content-Length"]
)
async def test_webhook_headers_cannot_set_what_switchboard_sets(
    rig: WebhookRig, sink: RecordingSink, owned: str
) -> None:
    """A forged webhook-id, a second Content-Type, a Host: refused at save, naming it."""
    with pytest.raises(ConfigValidationError) as caught:
        await rig.create(
            name="hook", settings={"url": sink.url("/hook"), "headers": {owned: "x", "X-Ok": "1"}}
        )
    assert list(caught.value.errors) == ["headers"]
    assert caught.value.errors["headers"].startswith(f"{owned}: set by Switchboard")


async def test_a_refused_header_is_named_by_its_place_never_quoted(
    rig: WebhookRig, sink: RecordingSink
) -> None:
    """The headers are a secret: what was typed in them is in no error message."""
    for headers, says in (
        ({"X-Ok": "1", "Bearer sk_live_S3CRET": "1"}, "header 2: its name"),
        ({"Authorization": "Bearer S3CRET\r\nX-Evil: 1"}, "header 1: its value"),
    ):
        with pytest.raises(ConfigValidationError) as caught:
            await rig.create(name="hook", settings={"url": sink.url("/"), "headers": headers})
        assert caught.value.errors["headers"].startswith(says)
        assert "S3CRET" not in str(caught.value)


def test_an_expiry_that_is_no_time_with_a_zone_is_left_to_the_form() -> None:
    """A typed previous_secret_expires_at that does not parse, or has no zone, raised in
    prepare_settings_update (a 500 in the UI); it is kept for the form to refuse."""
    webhook = WebhookIntegration(IntegrationManager())
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for typed in ("not a date", "2020-01-01T00:00:00"):
        given = {"previous_secret": "whsec_x", "previous_secret_expires_at": typed}
        assert webhook.prepare_settings_update({}, dict(given), now) == given
    expired = {"previous_secret": "whsec_x", "previous_secret_expires_at": "2020-01-01T00:00Z"}
    assert webhook.prepare_settings_update({}, dict(expired), now) == {}


@pytest.mark.parametrize(
    ("event_types", "says"),
    [(["a.b"] * 101, "at most 100 items"), (["a" * 201], "longer than an event type can be")],
)
async def test_webhook_event_types_are_bounded(
    rig: WebhookRig, sink: RecordingSink, event_types: list[str], says: str
) -> None:
    """Each event is matched against every pattern: a tenant cannot make that long."""
    with pytest.raises(ConfigValidationError) as caught:
        await rig.create(name="hook", settings={"url": sink.url("/"), "event_types": event_types})
    assert says in caught.value.errors["event_types"]


async def test_a_stored_header_switchboard_sets_is_left_out_not_sent(
    rig: WebhookRig, sink: RecordingSink
) -> None:
    """Stored before the form refused it: the delivery goes out with the engine's values."""
    config_id = await rig.create(name="hook", settings={"url": sink.url("/hook")})
    forged = {"webhook-id": "forged", "Content-Type": "text/plain", "X-Kept": "yes"}
    await rig.store.update(
        config_id, lambda record: {"settings": {**record.settings, "headers": forged}}
    )
    await rig.caught_up()

    await rig.webhook.on_event(Event(type="review.published"))

    [received] = sink.at("/hook")
    assert received.all_of("webhook-id") == [received.headers["webhook-id"]]
    assert received.headers["webhook-id"].startswith("dlv_")
    assert received.all_of("Content-Type") == ["application/json"]
    assert received.headers["X-Kept"] == "yes"


async def test_webhook_event_types_filter(rig: WebhookRig, sink: RecordingSink) -> None:
    """``review.*`` gets review.published, not ci.build; the default ``*`` gets both."""
    await rig.create(
        name="reviews", settings={"url": sink.url("/reviews"), "event_types": ["review.*"]}
    )
    await rig.create(name="everything", settings={"url": sink.url("/all")})
    review = Event(type="review.published")
    build = Event(type="ci.build")

    await rig.webhook.on_event(review)
    await rig.webhook.on_event(build)

    assert [r.json["id"] for r in sink.at("/reviews")] == [review.id]
    assert sorted(r.json["id"] for r in sink.at("/all")) == sorted([review.id, build.id])


async def test_webhook_follows_an_edit_of_event_types(rig: WebhookRig, sink: RecordingSink) -> None:
    """The compiled patterns are rebuilt when the configuration changes."""
    config_id = await rig.create(
        name="hook", settings={"url": sink.url("/hook"), "event_types": ["ci.*"]}
    )
    await rig.webhook.on_event(Event(type="review.published"))
    assert sink.at("/hook") == []

    await rig.admin.update(config_id, settings={"event_types": ["review.published"]})
    generation = (await rig.store.changes_since(-1)).generation
    await wait_for(lambda: rig.cache.generation >= generation, what="the cache to catch up")
    event = Event(type="review.published")
    await rig.webhook.on_event(event)
    assert [r.json["id"] for r in sink.at("/hook")] == [event.id]


@pytest.mark.parametrize(
    ("settings_given", "field"),
    [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://example.com/", "event_types": ["Review.Published!"]}, "event_types"),
        ({"url": "https://example.com/", "event_types": []}, "event_types"),
        ({"url": "https://example.com/", "headers": {"X-Evil": "a\r\nInjected: 1"}}, "headers"),
        ({"url": "https://example.com/", "headers": {"X-Evil": "a\nb"}}, "headers"),
        ({"url": "https://example.com/", "headers": {"Bad Name": "v"}}, "headers"),
    ],
)
async def test_webhook_settings_are_validated(
    rig: WebhookRig, settings_given: dict[str, Any], field: str
) -> None:
    """A bad URL, pattern or header is refused with the field named, and nothing is stored."""
    with pytest.raises(ConfigValidationError) as caught:
        await rig.admin.create(WEBHOOK, name="bad", settings=settings_given)
    assert field in caught.value.errors
    records, _broken = await rig.store.list()
    assert records == []


async def test_webhook_reports_failed_deliveries_without_raising(
    rig: WebhookRig, sink: RecordingSink
) -> None:
    """One failing endpoint does not stop the webhook's delivery to another."""
    sink.on("/down", status=503)
    await rig.create(name="down", settings={"url": sink.url("/down")})
    await rig.create(name="up", settings={"url": sink.url("/up")})
    event = Event(type="review.published")

    await rig.webhook.on_event(event)

    assert [r.json["id"] for r in sink.at("/down")] == [event.id]
    assert [r.json["id"] for r in sink.at("/up")] == [event.id]
