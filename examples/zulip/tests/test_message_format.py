"""Each request against Zulip's send-message API (https://zulip.com/api/send-message),
handlers run by the plugin's recorder: no Redis, no network."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from switchboard.testing import HandlerRecorder
from switchboard_zulip import MAX_CONTENT_BYTES, MAX_TOPIC_CHARS, ZulipIntegration

MakeRecorder = Callable[..., HandlerRecorder]
ZulipSettings = Callable[..., dict[str, Any]]
FormFields = Callable[[bytes], dict[str, str]]


async def test_a_review_event_is_a_stream_message_in_zulip_s_format(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, form_fields: FormFields
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(ZulipIntegration, settings=zulip_settings())
        [sent] = await recorder.emit("review.published", {"review_id": 42, "author": "alice"})
    request = sent.request
    assert (request.method, request.url) == ("POST", "https://chat.example.com/api/v1/messages")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    scheme, credentials = request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == (
        "reviews-bot@chat.example.com:abcd1234EFGH5678ijkl9012MNOP3456"
    )
    assert form_fields(request.body) == {
        "type": "stream",
        "to": "code review",
        "topic": "review.published",  # the default topic, "{type}"
        "content": "**review.published**\n- **review_id**: 42\n- **author**: alice",
    }


async def test_a_site_under_a_path_keeps_it(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(ZulipIntegration, settings=zulip_settings("https://example.org/zulip/"))
        [sent] = await recorder.emit("review.published")
    assert sent.request.url == "https://example.org/zulip/api/v1/messages"


async def test_the_topic_template_names_the_type_and_is_cut_to_60_characters(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, form_fields: FormFields
) -> None:
    long_type = "review." + "x" * 100
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(ZulipIntegration, settings=zulip_settings(topic="Reviews: {type}"))
        [short] = await recorder.emit("review.published")
        [long] = await recorder.emit(long_type)
    assert form_fields(short.request.body)["topic"] == "Reviews: review.published"
    topic = form_fields(long.request.body)["topic"]
    assert len(topic) == MAX_TOPIC_CHARS == 60
    assert topic == ("Reviews: " + long_type)[:59] + "…"


async def test_content_is_cut_to_10000_bytes_without_splitting_a_character(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, form_fields: FormFields
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(ZulipIntegration, settings=zulip_settings())
        [sent] = await recorder.emit("review.published", {"comment": "é" * 20_000})
    content = form_fields(sent.request.body)["content"]
    assert len(content.encode()) <= MAX_CONTENT_BYTES == 10_000
    assert len(content.encode()) >= MAX_CONTENT_BYTES - 4
    assert content.startswith("**review.published**\n- **comment**: éé")
    assert content.endswith("é…")


async def test_values_stay_on_their_line_and_the_tenant_is_named(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, form_fields: FormFields
) -> None:
    data = {"title": "Fix\nthe   bug", "files": ["a.py", "b.py"], "draft": False}
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(ZulipIntegration, settings=zulip_settings(), tenant="acme")
        [sent] = await recorder.emit("review.published", data, tenant="acme")
    assert form_fields(sent.request.body)["content"].splitlines() == [
        "**review.published** (tenant `acme`)",
        "- **title**: Fix the bug",
        '- **files**: ["a.py","b.py"]',
        "- **draft**: false",
    ]


async def test_event_types_choose_the_events_of_each_configuration(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        reviews = recorder.add_config(ZulipIntegration, name="reviews", settings=zulip_settings())
        builds = recorder.add_config(
            ZulipIntegration, name="builds", settings=zulip_settings(event_types=["ci.*"])
        )
        everything = recorder.add_config(
            ZulipIntegration, name="all", settings=zulip_settings(event_types=["*"])
        )
        to_review = {s.config.id for s in await recorder.emit("review_request.created")}
        to_ci = {s.config.id for s in await recorder.emit("ci.build.failed")}
        # Switchboard's own events go only where a pattern names them, "*" or not.
        own = await recorder.emit("switchboard.delivery.dead")
    assert to_review == {reviews.id, everything.id}
    assert to_ci == {builds.id, everything.id}
    assert own == []


async def test_switchboard_s_own_events_reach_a_configuration_that_names_them(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings
) -> None:
    settings = zulip_settings(event_types=["switchboard.delivery.*"])
    with switchboard_recorder(ZulipIntegration) as recorder:
        config = recorder.add_config(ZulipIntegration, settings=settings)
        [sent] = await recorder.emit("switchboard.delivery.dead", {"delivery_id": "dlv_x"})
    assert sent.config.id == config.id


async def test_every_configuration_gets_its_message(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings, form_fields: FormFields
) -> None:
    with switchboard_recorder(ZulipIntegration) as recorder:
        for stream in ("one", "two", "three"):
            recorder.add_config(
                ZulipIntegration, name=stream, settings=zulip_settings(stream=stream)
            )
        sent = await recorder.emit("review.published")
    assert sorted(form_fields(s.request.body)["to"] for s in sent) == ["one", "three", "two"]


async def test_conditions_and_tenants_decide_who_is_told(
    switchboard_recorder: MakeRecorder, zulip_settings: ZulipSettings
) -> None:
    only_alice = {"mode": "all", "conditions": [{"choice": "author", "op": "is", "value": "alice"}]}
    with switchboard_recorder(ZulipIntegration) as recorder:
        recorder.add_config(
            ZulipIntegration, settings=zulip_settings(), tenant="acme", conditions=only_alice
        )
        assert await recorder.emit("review.published", {"author": "alice"}) == []
        assert await recorder.emit("review.published", {"author": "bob"}, tenant="acme") == []
        [sent] = await recorder.emit("review.published", {"author": "alice"}, tenant="acme")
    assert sent.event.tenant == "acme"
