"""``switchboard status``: the queue, retries, dead letters, rejected events and configurations."""

from __future__ import annotations

import click

from switchboard.config import Settings, open_redis, redact_url

from ..status import StatusReport, read_status
from .common import run
from .output import echo_json

__all__ = ["status"]


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _lines(report: StatusReport, settings: Settings) -> list[tuple[str, str]]:
    return [
        ("redis", redact_url(settings.effective_redis_url)),
        ("queue", settings.effective_queue_name),
        ("queued jobs", str(report.queued_jobs)),
        ("oldest queued job", _age(report.oldest_job_age_s)),
        ("retries scheduled", f"{report.retries_scheduled} ({report.retries_due} due now)"),
        ("dead letters", str(report.dead_letters)),
        ("rejected events", str(report.rejected_events)),
        ("configurations", f"{report.configs_enabled} enabled of {report.configs_total}"),
        ("workers alive", str(report.workers_alive)),
    ]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def status(as_json: bool) -> None:
    """Show the queue's depth and oldest job, retries, dead letters, rejected events,
    configurations and workers alive (read from Redis; exit 1 when it is unreachable)."""

    async def main(settings: Settings) -> None:
        async with open_redis(settings) as redis:
            report = await read_status(redis, settings)
        if as_json:
            echo_json(report.as_dict())
            return
        lines = _lines(report, settings)
        width = max(len(label) for label, _ in lines)
        for label, value in lines:
            click.echo(f"{label + ':':<{width + 1}} {value}")

    run(main)
