"""The targets of the issues that a run measures, each with its bound: (what, measured,
wanted, met). ``report.py`` writes them out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["FAILURES", "SERVICES", "targets"]


def targets(results: dict[str, Any]) -> list[tuple[str, float, str, bool]]:
    """(what, measured, target, met) for each target of the issue that this run measures
    (a run from before a target existed lacks it)."""
    out = []
    for what, measure, target in _rows(results):
        try:
            value = measure()
        except KeyError:
            continue
        out.append((what, value, target, _met(value, target)))
    return out


def _rows(results: dict[str, Any]) -> list[tuple[str, Callable[[], float], str]]:
    def get(*path: str) -> Callable[[], float]:
        def measure() -> float:
            value: Any = results
            for key in path:
                value = value[key]
            return float(value)

        return measure

    def ratio(top: Callable[[], float], bottom: Callable[[], float]) -> Callable[[], float]:
        return lambda: top() / bottom()

    f1_events = get("fanout_1", "events_per_second")
    sync = ratio(get("sync", "sync_median_ms"), get("sync", "switchboard_median_ms"))
    rows: list[tuple[str, Callable[[], float], str]] = [
        ("fan-out 10 deliveries/s ÷ HTTP ceiling (paired rounds)", get("paired", "vs_aiohttp"),
         "≥ 0.6"),
        ("fan-out 10 deliveries/s ÷ naive design (paired rounds)", get("paired", "vs_naive"),
         "≥ 5"),
        ("fan-out 10 deliveries/s ÷ bare pyreqwest ceiling (paired rounds)",
         get("paired", "vs_reqwest"), "stated"),
        ("worker CPU per delivery at fan-out 10 (ms, paired rounds)",
         get("paired", "worker_cpu_ms_per_delivery"), "≤ 0.15"),
        ("fan-out 1 events/s ÷ raw arq no-op jobs/s",
         ratio(f1_events, get("queue_ceiling", "per_second")), "≥ 1.0"),
        ("p99 emit-to-delivery at half load, fan-out 1 (ms)", get("fanout_1", "latency_p99_ms"),
         "< 50"),
        ("p99 emit-to-delivery at half load, fan-out 10 (ms)",
         get("fanout_10", "latency_p99_ms"), "< 50"),
        ("sync design ÷ Switchboard, time to 10 slow endpoints", sync, "≥ 5"),
        *(
            (f"the healthy 9 of 10 with one endpoint {label}, ÷ the same 9 all healthy",
             get(key, "healthy_vs_all_healthy"), "≥ 0.9")
            for key, label in FAILURES
        ),
        ("`--processes 2` ÷ `--processes 1`, events/s", get("scale_out", "processes_2_vs_1"),
         "stated"),
        ("SIGKILL recovery: the killed worker's in-flight events sent again (s)",
         get("recovery", "sent_again_seconds"), "< 15"),
    ]  # fmt: skip
    return [*rows, *_scale_rows(results), *_apprise_rows(results)]


def _met(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (``"≥ 0.6"``, ``"< 50"``; ``"stated"``: a figure
    the issue asks to state, with no bound)."""
    if target == "stated":
        return True
    op, bound = target.split(" ")
    return {"≥": value >= float(bound), "≤": value <= float(bound), "<": value < float(bound)}[op]


FAILURES = (("one_failing", "answering 500"), ("one_hanging", "hanging"))


def _scale_rows(results: dict[str, Any]) -> list[tuple[str, Callable[[], float], str]]:
    drain, configs = results["drain"], results["many_configs"]
    events, count = f"{drain['events']:,}", f"{configs['configs']:,}"
    added = configs["redis_commands_per_event"] - configs["redis_commands_per_event_one_config"]
    return [
        (f"draining {events} events: peak worker RSS (MB)", lambda: drain["peak_rss_mb"],
         "< 250"),
        (f"draining {events} events: last slice ÷ first", lambda: drain["last_slice_vs_first"],
         "≥ 0.9"),
        (f"Redis commands per event added by {count} configurations", lambda: added, "< 1"),
    ]  # fmt: skip


SERVICES = (("mattermost", "Mattermost"), ("matrix", "Matrix"))


def _apprise_rows(results: dict[str, Any]) -> list[tuple[str, Callable[[], float], str]]:
    versus = results.get("versus_apprise")
    if versus is None:
        return []
    rows = []
    for key, label in SERVICES:
        runs = versus[key]
        which = " (Switchboard by the Slack fallback)" if runs["switchboard"]["fallback"] else ""
        off, shipped = (
            runs[f"switchboard_vs_apprise_async_notify{end}"] for end in ("", "_as_shipped")
        )
        rows += [
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise's pacing "
             f"off{which}", _given(off), "≥ 10"),
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise as "
             f"shipped{which}", _given(shipped), "≥ 10"),
        ]  # fmt: skip
    return rows


def _given(value: float) -> Callable[[], float]:
    return lambda: float(value)
