"""The targets of the issues that a run measures, each with its bound: (what, measured,
wanted, met). ``report.py`` writes them out; the history keeps each run's as measured."""

from __future__ import annotations

from typing import Any

__all__ = ["FAILURES", "SERVICES", "targets"]

FAILURES = (("one_failing", "answering 500"), ("one_hanging", "hanging"))
SERVICES = (("mattermost", "Mattermost"), ("matrix", "Matrix"))


def targets(results: dict[str, Any]) -> list[tuple[str, float, str, bool]]:
    """(what, measured, target, met) for each target of the issue that this run measures."""
    f1, f10, paired = results["fanout_1"], results["fanout_10"], results["paired"]
    sync = results["sync"]
    rows = [
        ("fan-out 10 deliveries/s ÷ HTTP ceiling (paired rounds)", paired["vs_aiohttp"],
         "≥ 0.6"),
        ("fan-out 10 deliveries/s ÷ naive design (paired rounds)", paired["vs_naive"], "≥ 5"),
        ("fan-out 10 deliveries/s ÷ bare pyreqwest ceiling (paired rounds)",
         paired["vs_reqwest"], "stated"),
        ("fan-out 10 deliveries/s ÷ its httptools transport alone (paired rounds)",
         paired["vs_transport"], "stated"),
        ("worker CPU per delivery at fan-out 10 (ms, paired rounds)",
         paired["worker_cpu_ms_per_delivery"], "≤ 0.15"),
        ("fan-out 1 events/s ÷ raw arq no-op jobs/s",
         f1["events_per_second"] / results["queue_ceiling"]["per_second"], "≥ 1.0"),
        ("p99 emit-to-delivery at half load, fan-out 1 (ms)", f1["latency_p99_ms"], "< 50"),
        ("p99 emit-to-delivery at half load, fan-out 10 (ms)", f10["latency_p99_ms"], "< 50"),
        ("sync design ÷ Switchboard, time to 10 slow endpoints",
         sync["sync_median_ms"] / sync["switchboard_median_ms"], "≥ 5"),
        *(
            (f"the healthy 9 of 10 with one endpoint {label}, ÷ the same 9 all healthy",
             results[key]["healthy_vs_all_healthy"], "≥ 0.9")
            for key, label in FAILURES
            if key in results
        ),
        ("`--processes 2` ÷ `--processes 1`, events/s",
         results["scale_out"]["processes_2_vs_1"], "stated"),
        ("SIGKILL recovery: the killed worker's in-flight events sent again (s)",
         results["recovery"]["sent_again_seconds"], "< 15"),
        *_scale_rows(results),
        *_apprise_rows(results),
    ]  # fmt: skip
    return [(what, float(value), target, _met(value, target)) for what, value, target in rows]


def _met(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (``"≥ 0.6"``, ``"< 50"``; ``"stated"``: a figure
    the issue asks to state, with no bound)."""
    if target == "stated":
        return True
    op, bound = target.split(" ")
    return {"≥": value >= float(bound), "≤": value <= float(bound), "<": value < float(bound)}[op]


def _scale_rows(results: dict[str, Any]) -> list[tuple[str, float, str]]:
    drain, configs = results["drain"], results["many_configs"]
    events, count = f"{drain['events']:,}", f"{configs['configs']:,}"
    added = configs["redis_commands_per_event"] - configs["redis_commands_per_event_one_config"]
    return [
        (f"draining {events} events: peak worker RSS (MB)", drain["peak_rss_mb"], "< 250"),
        (f"draining {events} events: last slice ÷ first", drain["last_slice_vs_first"], "≥ 0.9"),
        (f"Redis commands per event added by {count} configurations", added, "< 1"),
    ]


def _apprise_rows(results: dict[str, Any]) -> list[tuple[str, float, str]]:
    versus = results.get("versus_apprise")
    if versus is None:
        return []
    rows = []
    for key, label in SERVICES:
        runs = versus[key]
        which = " (Switchboard by the Slack fallback)" if runs["switchboard"]["fallback"] else ""
        rows += [
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise's pacing "
             f"off{which}", runs["switchboard_vs_apprise_async_notify"], "≥ 10"),
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise as "
             f"shipped{which}", runs["switchboard_vs_apprise_async_notify_as_shipped"], "≥ 10"),
        ]  # fmt: skip
    return rows
