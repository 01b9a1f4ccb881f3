"""The run's results as JSON, a Markdown table of the targets, and a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

__all__ = ["targets", "write_reports"]


def targets(results: dict[str, Any]) -> list[tuple[str, float, str, bool]]:
    """(what, measured, target, met) for each target of the issue that this run measures."""
    f1, f10 = results["fanout_1"], results["fanout_10"]
    http = results["http_ceiling"]["per_second"]
    queue = results["queue_ceiling"]["per_second"]
    naive = results["naive"]["per_second"]
    sync = results["sync"]
    rows = [
        ("fan-out 10 deliveries/s ÷ HTTP ceiling", f10["deliveries_per_second"] / http, "≥ 0.6"),
        ("fan-out 10 deliveries/s ÷ naive design", f10["deliveries_per_second"] / naive, "≥ 5"),
        (
            "fan-out 10 deliveries/s ÷ bare pyreqwest ceiling",
            f10["deliveries_per_second"] / results["http_ceiling"]["reqwest_per_second"],
            "stated",
        ),
        ("worker CPU per delivery at fan-out 10 (ms)", f10["worker_cpu_ms_per_delivery"], "≤ 0.15"),
        ("fan-out 1 events/s ÷ raw arq no-op jobs/s", f1["events_per_second"] / queue, "≥ 1.0"),
        ("p99 emit-to-delivery at half load, fan-out 1 (ms)", f1["latency_p99_ms"], "< 50"),
        ("p99 emit-to-delivery at half load, fan-out 10 (ms)", f10["latency_p99_ms"], "< 50"),
        (
            "sync design ÷ Switchboard, time to 10 slow endpoints",
            sync["sync_median_ms"] / sync["switchboard_median_ms"],
            "≥ 5",
        ),
        *(
            (
                f"the healthy 9 of 10 with one endpoint {label}, ÷ the same 9 all healthy",
                results[key]["healthy_vs_all_healthy"],
                "≥ 0.9",
            )
            for key, label in _FAILURES
            if key in results
        ),
        *_scale_rows(results),
        *_apprise_rows(results),
    ]
    out = []
    for what, value, target in rows:
        out.append((what, value, target, _met(value, target)))
    return out


def _met(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (``"≥ 0.6"``, ``"< 50"``; ``"stated"``: a figure
    the issue asks to state, with no bound)."""
    if target == "stated":
        return True
    op, bound = target.split(" ")
    return {"≥": value >= float(bound), "≤": value <= float(bound), "<": value < float(bound)}[op]


_FAILURES = (("one_failing", "answering 500"), ("one_hanging", "hanging"))


def _scale_rows(results: dict[str, Any]) -> list[tuple[str, float, str]]:
    drain, configs = results["drain"], results["many_configs"]
    events, count = f"{drain['events']:,}", f"{configs['configs']:,}"
    return [
        (f"draining {events} events: peak worker RSS (MB)", drain["peak_rss_mb"], "< 250"),
        (f"draining {events} events: last slice ÷ first", drain["last_slice_vs_first"], "≥ 0.9"),
        (
            f"Redis commands per event added by {count} configurations",
            configs["redis_commands_per_event"] - configs["redis_commands_per_event_one_config"],
            "< 1",
        ),
    ]


_SERVICES = (("mattermost", "Mattermost"), ("matrix", "Matrix"))
_SENDERS = (
    ("apprise_notify", "Apprise `notify()`, one after another"),
    ("apprise_async_notify", "Apprise `await async_notify()`, one after another"),
    ("apprise_async_gather", "Apprise `async_notify()`, all at once (`asyncio.gather`)"),
    ("apprise_notify_as_shipped", "Apprise `notify()`, as shipped (its pacing on)"),
    ("apprise_async_notify_as_shipped", "Apprise `await async_notify()`, as shipped"),
)


def _apprise_rows(results: dict[str, Any]) -> list[tuple[str, float, str]]:
    versus = results.get("versus_apprise")
    if versus is None:
        return []
    rows = []
    for key, label in _SERVICES:
        runs = versus[key]
        which = " (Switchboard by the Slack fallback)" if runs["switchboard"]["fallback"] else ""
        rows += [
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise's pacing "
             f"off{which}", runs["switchboard_vs_apprise_async_notify"], "≥ 10"),
            (f"{label}: Switchboard ÷ Apprise async_notify, messages/s, Apprise as "
             f"shipped{which}", runs["switchboard_vs_apprise_async_notify_as_shipped"], "≥ 10"),
        ]  # fmt: skip
    return rows


def _apprise_table(results: dict[str, Any]) -> list[str]:
    """Each sender's messages/s and CPU per message, per service, as measured in this run."""
    versus = results.get("versus_apprise")
    if versus is None:
        return []
    lines = [
        "",
        f"Against Apprise: {versus['messages']:,} messages to each service "
        f"({versus['as_shipped_messages']:,} for Apprise as shipped), one sink process for "
        "both sides, a message counted once it arrived:",
        "",
        "| service | sender | messages/s | CPU ms per message | arrived / sent |",
        "|---|---|---:|---:|---:|",
    ]
    for key, label in _SERVICES:
        runs = versus[key]
        board = runs["switchboard"]
        name = f"Switchboard (`{board['integration']}`"
        name += ", the fallback)" if board["fallback"] else ")"
        for run_key, sender in (*_SENDERS, ("switchboard", name)):
            run = runs[run_key]
            lines.append(
                f"| {label} | {sender} | {run['messages_per_second']:,.0f} | "
                f"{run['cpu_ms_per_message']:.2f} | {run['delivered']:,} / {run['messages']:,} |"
            )
    return lines


def _markdown(results: dict[str, Any]) -> str:
    f1, f10 = results["fanout_1"], results["fanout_10"]
    naive = results["naive"]["per_second"]
    lines = [
        f"Scale: {results['scale']}; machine: {results['machine']['cpus']} CPUs, "
        f"Python {results['machine']['python']}; sink: {results['machine']['sink']}.",
        "",
        "| measure | per second |",
        "|---|---:|",
        f"| HTTP ceiling (bare aiohttp client) | {results['http_ceiling']['per_second']:,.0f} |",
        "| HTTP ceiling (bare pyreqwest client) | "
        f"{results['http_ceiling']['reqwest_per_second']:,.0f} |",
        f"| queue ceiling (raw arq no-op jobs) | {results['queue_ceiling']['per_second']:,.0f} |",
        f"| Switchboard fan-out 1: events | {f1['events_per_second']:,.0f} |",
        f"| Switchboard fan-out 10: deliveries | {f10['deliveries_per_second']:,.0f} |",
        f"| naive design (arq job + session per delivery) | {naive:,.0f} |",
        "",
        "| target | measured | wanted | met |",
        "|---|---:|---|---|",
    ]
    for what, value, target, met in targets(results):
        shown = "—" if target == "stated" else ("yes" if met else "**no**")
        lines.append(f"| {what} | {value:,.2f} | {target} | {shown} |")
    lines += [
        "",
        f"Latency at half load, fan-out 1: p50 {f1['latency_p50_ms']:.1f} ms, "
        f"p99 {f1['latency_p99_ms']:.1f} ms ({f1['latency_samples']} events); fan-out 10: "
        f"p50 {f10['latency_p50_ms']:.1f} ms, p99 {f10['latency_p99_ms']:.1f} ms"
        f"{_failure_latency(results)}. "
        f"Peak worker RSS: {max(f1['peak_rss_mb'], f10['peak_rss_mb']):.0f} MB.",
        "",
        _scale_text(results),
        *_apprise_table(results),
    ]
    return "\n".join(lines) + "\n"


def _failure_latency(results: dict[str, Any]) -> str:
    """The healthy endpoints' latency at the all-healthy run's load, one endpoint failing."""
    parts = [
        f"with one endpoint {label}, p50 {results[key]['latency_p50_ms']:.1f} ms, "
        f"p99 {results[key]['latency_p99_ms']:.1f} ms"
        for key, label in _FAILURES
        if key in results
    ]
    return "; " + "; ".join(parts) if parts else ""


def _scale_text(results: dict[str, Any]) -> str:
    drain, configs, out = results["drain"], results["many_configs"], results["scale_out"]
    slices = ", ".join(f"{rate:,.0f}" for rate in drain["slices_per_second"])
    return (
        f"Draining {drain['events']:,} events (then {drain['uncounted_tail']:,} more, "
        "uncounted, so that the last tenth is not the wind-down): "
        f"{drain['events_per_second']:,.0f} events/s, by tenths {slices}. "
        f"With {configs['configs']:,} configurations: a lookup takes "
        f"{configs['lookup_us']:.1f} µs in the worker's memory "
        f"({configs['lookup_us_one_config']:.1f} µs with one), "
        f"{configs['redis_commands_per_event']:.1f} Redis commands per event in all "
        f"({configs['redis_commands_per_event_one_config']:.1f} with one), and a change "
        f"reached the running worker in {configs['change_propagation_ms']:.0f} ms "
        f"(including one delivery). Two worker processes against one: "
        f"{out['two_workers_events_per_second']:,.0f} against "
        f"{out['one_worker_events_per_second']:,.0f} events/s ({out['two_vs_one']:.2f} times, "
        "on 2 cores shared with Redis, the sink and the benchmark); `--processes 2` (one "
        f"supervisor): {out['processes_2_events_per_second']:,.0f} events/s "
        f"({out['processes_2_vs_1']:.2f} times one)."
    )


def _chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (bars, latency) = plt.subplots(1, 2, figsize=(11, 4))
    names = ["HTTP ceiling", "arq no-op", "SB fan-out 1\n(events)", "SB fan-out 10\n(deliveries)",
             "naive"]  # fmt: skip
    values = [
        results["http_ceiling"]["per_second"],
        results["queue_ceiling"]["per_second"],
        results["fanout_1"]["events_per_second"],
        results["fanout_10"]["deliveries_per_second"],
        results["naive"]["per_second"],
    ]
    bars.bar(names, values, color=["#999", "#999", "#2a7", "#2a7", "#c55"])
    bars.set_ylabel("per second")
    bars.set_title("Throughput, one worker process")
    for key, label in (("fanout_1", "fan-out 1"), ("fanout_10", "fan-out 10")):
        samples = sorted(results[key].get("latencies_ms", []))
        if samples:
            latency.plot(samples, [i / len(samples) for i in range(len(samples))], label=label)
    latency.set_xscale("log")
    latency.set_xlabel("emit to delivery (ms)")
    latency.set_ylabel("fraction of events")
    latency.set_title("Latency at half load")
    latency.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_reports(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    chart = out / "latest.png"
    _chart(results, chart)
    # The raw latencies are in the chart; the JSON keeps the figures.
    slim = {
        key: (
            {k: v for k, v in value.items() if k != "latencies_ms"}
            if isinstance(value, dict)
            else value
        )
        for key, value in results.items()
    }
    slim["targets"] = [
        {"what": what, "measured": value, "target": target, "met": met}
        for what, value, target, met in targets(results)
    ]
    json_path = out / "latest.json"
    json_path.write_bytes(orjson.dumps(slim, option=orjson.OPT_INDENT_2))
    markdown = out / "latest.md"
    markdown.write_text(_markdown(results))
    return [json_path, markdown, chart]
