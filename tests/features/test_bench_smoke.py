"""The benchmark suite runs end to end and writes well-formed results (not speed: CI is noisy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_smoke_run_writes_json_markdown_and_a_chart(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    results = orjson.loads((tmp_path / "latest.json").read_bytes())
    for section in ("http_ceiling", "queue_ceiling", "naive"):
        assert results[section]["per_second"] > 0
    # nginx where it is installed (the cheapest sink), and the report says which ran.
    sink = results["http_ceiling"]["sink"]
    installed = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    assert sink.startswith("nginx/") if installed else sink == "bench.sink"
    assert len(results["http_ceiling"]["runs_per_second"]) == 3
    for fanout in ("fanout_1", "fanout_10"):
        section = results[fanout]
        assert section["events_per_second"] > 0
        fanout_n = int(fanout.split("_")[1])
        expected = section["events_per_second"] * fanout_n
        assert section["deliveries_per_second"] == pytest.approx(expected)
        assert 0 < section["latency_p50_ms"] <= section["latency_p99_ms"]
        assert section["latency_samples"] > 0
        assert "latencies_ms" not in section  # the samples go to the chart only
    for failing in ("one_failing", "one_hanging"):
        section = results[failing]
        assert section["healthy_endpoints"] == 9
        assert len(section["round_ratios"]) == section["rounds"] >= 1
        assert section["healthy_vs_all_healthy"] > 0
        assert 0 < section["latency_p50_ms"] <= section["latency_p99_ms"]
        # Under the all-healthy run's load, so that the latencies compare.
        offered = results["fanout_10"]["offered_events_per_second"]
        assert section["offered_events_per_second"] == offered
    assert results["sync"]["sync_median_ms"] > 200  # ten endpoints of 20 ms, one after another
    # Switchboard against Apprise, each service (the Slack fallback until the Mattermost
    # and Matrix integrations are installed): every sender ran, and each message it counts
    # arrived at the sink (Apprise's gathered Matrix sends may repeat a transaction id).
    versus = results["versus_apprise"]
    for service in ("mattermost", "matrix"):
        runs = versus[service]
        for run in (value for value in runs.values() if isinstance(value, dict)):
            assert 0 < run["delivered"] <= run["messages"], (service, run)
            assert run["messages_per_second"] > 0
            assert run["cpu_ms_per_message"] > 0
        for key in ("switchboard", "apprise_notify", "apprise_async_notify"):
            assert runs[key]["delivered"] == versus["messages"] == 20, (service, key)
        integration = runs["switchboard"]["integration"]
        assert integration == ("switchboard.slack" if runs["switchboard"]["fallback"]
                               else f"switchboard.{service}")  # fmt: skip
    assert len(results["targets"]) == 20
    markdown = (tmp_path / "latest.md").read_text()
    for target in results["targets"]:
        # A smoke run keeps no history: its range is its own figure.
        measured = f"{target['measured']:,.2f}"
        row = (
            f"| {target['what']} | {measured} | {measured} to {measured} (1) | {target['target']} |"
        )
        if target["target"] == "stated":  # a figure to state, no bound
            assert f"{row} — |" in markdown
            continue
        # Each target's "met" is what its measure says against its bound, here and in the table.
        op, bound = target["target"].split()
        measured, limit = target["measured"], float(bound)
        met = {"≥": measured >= limit, "≤": measured <= limit, "<": measured < limit}[op]
        assert target["met"] is met, target
        assert f"{row} {'yes' if met else '**no**'} |" in markdown
    assert len(results["drain"]["slices_per_second"]) == 10
    assert results["drain"]["peak_rss_mb"] > 0
    configs = results["many_configs"]
    assert configs["lookup_us"] > 0
    assert configs["redis_commands_per_event"] > 0
    assert configs["change_propagation_ms"] > 0
    assert results["scale_out"]["two_vs_one"] > 0
    assert results["scale_out"]["processes_2_vs_1"] > 0
    ceiling = results["http_ceiling"]
    assert ceiling["reqwest_per_second"] == max(ceiling["reqwest_runs_per_second"]) > 0
    assert ceiling["transport_per_second"] == max(ceiling["transport_runs_per_second"]) > 0
    assert results["fanout_10"]["worker_cpu_ms_per_delivery"] > 0
    paired = results["paired"]
    assert len(paired["round_figures"]) == paired["rounds"] == 1
    assert paired["vs_aiohttp"] == pytest.approx(
        paired["deliveries_per_second"] / paired["aiohttp_per_second"]
    )
    assert paired["vs_transport"] == pytest.approx(
        paired["deliveries_per_second"] / paired["transport_per_second"]
    )
    assert paired["worker_cpu_ms_per_delivery"] > 0
    # The killed worker's 20 events were on the wire: each reached the sink twice.
    recovery = results["recovery"]
    assert recovery["requests"] == 2 * recovery["events"] == 40
    assert 0 < recovery["sent_again_seconds"] < recovery["recorded_seconds"]
    assert not (tmp_path / "history").exists()  # only full runs are kept
    assert "| target | measured | last full runs (count) | wanted | met |" in markdown
    assert "| Matrix | Apprise `await async_notify()`, one after another |" in markdown
    assert f"sink: {sink} for the HTTP ceiling" in markdown
    assert (tmp_path / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
