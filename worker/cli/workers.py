"""``switchboard workers``: the fleet, from the workers' heartbeats (``worker/heartbeat.py``)."""

from __future__ import annotations

import time

import click

from switchboard.config import RedisKeys, Settings, open_redis

from ..heartbeat import Heartbeat, alive_within, read_heartbeats
from .common import run
from .output import echo_json, echo_table, plural

__all__ = ["workers"]


def _row(beat: Heartbeat, now: float) -> list[object]:
    load = beat.load
    return [
        beat.worker_id,
        beat.host,
        beat.pid,
        beat.version,
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(beat.started_at)),
        f"{beat.age(now):.1f} s",
        load.jobs_in_flight,
        load.retries_in_flight,
        load.attempts_in_background,
        load.events_done,
        load.deliveries_done,
    ]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def workers(as_json: bool) -> None:
    """List the workers alive (from their heartbeats): id, host, pid, version, start, last
    beat, and load."""

    async def main(settings: Settings) -> None:
        now = time.time()
        async with open_redis(settings) as redis:
            keys = RedisKeys(settings.key_prefix)
            beats = await read_heartbeats(redis, keys, now=now, window=alive_within(settings))
        if as_json:
            echo_json([{**beat.model_dump(), "age_s": round(beat.age(now), 3)} for beat in beats])
            return
        if not beats:
            click.echo(f"No worker alive (no heartbeat within {alive_within(settings):g} s).")
            return
        echo_table(
            [
                "ID",
                "HOST",
                "PID",
                "VERSION",
                "STARTED (UTC)",
                "LAST BEAT",
                "JOBS",
                "RETRIES",
                "BACKGROUND",
                "EVENTS",
                "DELIVERIES",
            ],
            [_row(beat, now) for beat in beats],
        )
        click.echo(plural(len(beats), "worker", "workers"))

    run(main)
