"""docs/grafana-dashboard.json: valid JSON, and every expression names metrics /metrics serves."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from switchboard.worker.web.metrics import FleetCollector, FleetSnapshot

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def _served() -> set[str]:
    registry = CollectorRegistry(auto_describe=False)
    snapshot = FleetSnapshot(
        counters={"deliveries|x|delivered": 1},
        queued_jobs=0,
        oldest_job_age_s=0.0,
        retries_scheduled=0,
        dead_letters=0,
    )
    registry.register(FleetCollector(snapshot))
    text = generate_latest(registry).decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_every_panel_queries_a_served_metric() -> None:
    dashboard = orjson.loads(DASHBOARD.read_bytes())
    served = _served()
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        names = set(re.findall(r"switchboard_[a-z_]+", expr))
        assert names, expr
        assert names <= served, (expr, names - served)
    mentioned = {m for e in exprs for m in re.findall(r"switchboard_[a-z_]+", e)}
    assert {"switchboard_workers_alive", "switchboard_delivery_latency_seconds_bucket"} <= mentioned
