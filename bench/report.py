"""The run's results as JSON, a Markdown table of the targets, and a PNG chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .targets import FAILURES, SERVICES, targets

__all__ = ["HISTORY_KEPT", "write_reports"]


_SENDERS = (
    ("apprise_notify", "Apprise `notify()`, one after another"),
    ("apprise_async_notify", "Apprise `await async_notify()`, one after another"),
    ("apprise_async_gather", "Apprise `async_notify()`, all at once (`asyncio.gather`)"),
    ("apprise_notify_as_shipped", "Apprise `notify()`, as shipped (its pacing on)"),
    ("apprise_async_notify_as_shipped", "Apprise `await async_notify()`, as shipped"),
)


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
    for key, label in SERVICES:
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


def _markdown(results: dict[str, Any], history: list[dict[str, Any]]) -> str:
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
        "| HTTP ceiling (Switchboard's httptools transport alone) | "
        f"{results['http_ceiling']['transport_per_second']:,.0f} |",
        f"| queue ceiling (raw arq no-op jobs) | {results['queue_ceiling']['per_second']:,.0f} |",
        f"| Switchboard fan-out 1: events | {f1['events_per_second']:,.0f} |",
        f"| Switchboard fan-out 10: deliveries | {f10['deliveries_per_second']:,.0f} |",
        f"| naive design (arq job + session per delivery) | {naive:,.0f} |",
        "",
        "| target | measured | last full runs (count) | wanted | met |",
        "|---|---:|---:|---|---|",
    ]
    for what, value, target, met in targets(results):
        shown = "—" if target == "stated" else ("yes" if met else "**no**")
        spread = _range(what, value, history)
        lines.append(f"| {what} | {value:,.2f} | {spread} | {target} | {shown} |")
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
        for key, label in FAILURES
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


#: Full runs whose figures the Markdown table's range covers (this one included).
HISTORY_KEPT = 3


def write_reports(results: dict[str, Any], out: Path) -> list[Path]:
    """``latest.json``, ``latest.md`` and ``latest.png`` in ``out``; a full run's figures
    also go to ``out/history/`` (the last ``HISTORY_KEPT`` kept), and the table shows
    each target's range over them."""
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
    history = _history(slim, out / "history")
    markdown = out / "latest.md"
    markdown.write_text(_markdown(results, history))
    return [json_path, markdown, chart]


def _history(slim: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """The last ``HISTORY_KEPT`` full runs, this one included if it is one, oldest first."""
    if slim["scale"] == "full":
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        (folder / f"{stamp}.json").write_bytes(orjson.dumps(slim, option=orjson.OPT_INDENT_2))
    runs = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for old in runs[:-HISTORY_KEPT]:
        old.unlink()
    return [orjson.loads(path.read_bytes()) for path in runs[-HISTORY_KEPT:]]


def _range(what: str, value: float, history: list[dict[str, Any]]) -> str:
    """``what``'s lowest to highest over ``history`` (this run's ``value`` if it has none)."""
    values = [
        target["measured"]
        for run in history
        for target in run.get("targets", [])
        if target["what"] == what
    ] or [value]
    low, high = min(values), max(values)
    return f"{low:,.2f} to {high:,.2f} ({len(values)})"
