"""``RecordingSink``: what it records, and how it answers when scripted."""

from __future__ import annotations

import aiohttp

from switchboard.testing import Answer, RecordingSink


async def test_a_script_answers_in_turn_and_its_last_answer_repeats(
    switchboard_sink: RecordingSink,
) -> None:
    switchboard_sink.script("/s", 500, Answer(status=429, headers={"Retry-After": "7"}), 200)
    async with aiohttp.ClientSession() as session:
        answers = []
        for _ in range(4):
            async with session.post(switchboard_sink.url("/s?x=1"), data=b"{}") as answer:
                answers.append((answer.status, answer.headers.get("Retry-After")))
    assert answers == [(500, None), (429, "7"), (200, None), (200, None)]
    assert [r.query for r in switchboard_sink.at("/s")] == [{"x": "1"}] * 4


async def test_on_sets_how_a_path_always_answers_and_headers_are_kept(
    switchboard_sink: RecordingSink,
) -> None:
    switchboard_sink.on("/p", status=202, body=b"queued")
    async with (
        aiohttp.ClientSession() as session,
        session.put(switchboard_sink.url("/p"), data=b"hi", headers={"X-A": "1"}) as answer,
    ):
        assert (answer.status, await answer.read()) == (202, b"queued")
    [received] = await switchboard_sink.wait_for_count(1)
    assert (received.method, received.body, received.header("x-a")) == ("PUT", b"hi", "1")
