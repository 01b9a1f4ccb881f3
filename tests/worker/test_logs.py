"""Logs: one line per event and per delivery at INFO, text or JSON, never a secret."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import orjson
import pytest
from support.webhooks import add_webhook
from support.workers import WorkerProcess

from switchboard.config import ConfigStore, Redis, Settings
from switchboard.testing import RecordingSink
from switchboard.worker import EventClient
from switchboard.worker.logs import JsonFormatter, TextFormatter, fields

SECRETS = ("s3cr3t-path-token", "Bearer tok-123", "pw-456")
#: The INFO lines a worker writes besides its one line per event and per delivery.
LIFECYCLE = ("worker started", "stopping:", "worker stopped", "Integration ")


def _record(message: str, **values: object) -> logging.LogRecord:
    record = logging.LogRecord("switchboard.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in fields(**values).items():
        setattr(record, key, value)
    return record


def test_text_lines_are_key_value_and_leave_out_missing_values() -> None:
    line = TextFormatter().format(
        _record("event dispatched", event_id="evt_1", tenant=None, reason="two words")
    )
    assert line.endswith("INFO event dispatched event_id=evt_1 reason='two words'")
    assert "tenant" not in line


def test_a_text_line_reads_as_through_logging_own_template() -> None:
    formatter = TextFormatter(process="worker-2")
    record = _record("delivery %s", event_id="evt_1", ms=1.5)
    record.args = ("delivered",)
    fast = formatter.format(record)
    assert fast == logging.Formatter.format(formatter, record)  # the %-style template's line
    assert fast.endswith(" INFO worker-2 delivery delivered event_id=evt_1 ms=1.5")


def test_a_text_line_with_a_traceback_keeps_its_fields_and_the_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record("handler failed", integration="x.y")
        record.exc_info = sys.exc_info()
    first, *rest = TextFormatter().format(record).splitlines()
    assert first.endswith("INFO handler failed integration=x.y")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "RuntimeError: boom"


@pytest.mark.parametrize("created", [0.0, 1.9995, 1_764_000_000.123, 1_764_000_000.9999])
def test_text_lines_are_stamped_as_logging_stamps_them(created: float) -> None:
    formatter, logging_own = TextFormatter(), logging.Formatter("%(asctime)s")
    for moment in (created, created + 1, created):  # the cached second, a new one, back
        record = _record("m")
        record.created, record.msecs = moment, float(int((moment - int(moment)) * 1000))
        assert formatter.formatTime(record) == logging_own.formatTime(record)


def test_json_lines_carry_the_fields_and_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record("handler failed", integration="x.y", event_id="evt_2")
        record.exc_info = sys.exc_info()
    entry = orjson.loads(JsonFormatter().format(record))
    assert entry["message"] == "handler failed"
    assert entry["level"] == "info"
    assert (entry["integration"], entry["event_id"]) == ("x.y", "evt_2")
    assert "RuntimeError: boom" in entry["exception"]


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_worker_logs_one_line_per_delivery_and_no_secret(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    redis_url: str,
    tmp_path: Path,
    log_format: str,
) -> None:
    env = {
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": "sbtest",
        "SWITCHBOARD_LOG_FORMAT": log_format,
    }
    async with RecordingSink() as sink:
        await add_webhook(
            store,
            "secretive",
            sink.url("/hooks/s3cr3t-path-token"),
            settings={"headers": {"Authorization": "Bearer tok-123"}},
        )
        worker = WorkerProcess(env, tmp_path / "worker.log")
        try:
            await worker.wait_for_log("worker started")
            async with EventClient(settings) as client:
                for n in range(3):
                    await client.emit("user.updated", {"password": "pw-456", "n": n})
            received = await sink.wait_for_count(3)
            assert received[0].headers["Authorization"] == "Bearer tok-123"  # it was sent
            worker.signal(signal.SIGTERM)
            assert await worker.wait_exit() == 0
        finally:
            worker.kill()

    log = worker.log
    for secret in SECRETS:
        assert secret not in log
    # At rest too: the secret header is nowhere in Redis (the event data is the app's own).
    assert b"Bearer tok-123" not in await _everything_in(redis_client)
    lines = log.splitlines()
    if log_format == "json":
        entries = [orjson.loads(line) for line in lines]  # every line is one JSON object
        info = [e["message"] for e in entries if e["level"] == "info"]
        deliveries = [e for e in entries if e["message"] == "delivery delivered"]
        assert {e["host"] for e in deliveries} == {"127.0.0.1"}
        assert all(e["status"] == 200 for e in deliveries)
    else:
        info = [line.split(" INFO ", 1)[1] for line in lines if " INFO " in line]
    per_event = [m for m in info if not m.startswith(LIFECYCLE)]
    # An event delivered everywhere is told by its deliveries: its own line is DEBUG.
    assert sorted(m.split(" ")[1] for m in per_event) == ["delivered"] * 3


async def _everything_in(client: Redis) -> bytes:
    """Every key and value in the database, as one blob to search."""
    blob = bytearray()
    async for key in client.scan_iter():
        blob += key
        kind = (await client.type(key)).decode()
        if kind == "string":
            blob += await client.get(key) or b""
        elif kind == "hash":
            for field, value in (await client.hgetall(key)).items():
                blob += field + value
        elif kind == "list":
            blob += b"".join(await client.lrange(key, 0, -1))
        elif kind in ("set", "zset"):
            blob += b"".join(
                await client.zrange(key, 0, -1) if kind == "zset" else await client.smembers(key)
            )
    return bytes(blob)
