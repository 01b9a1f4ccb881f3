"""The bench's history: the last three full runs kept, and each target's range over them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``bench.report``: the bench is a folder of the repository, not an installed package."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.report

    return bench.report


def _run(scale: str, measured: float) -> dict[str, object]:
    return {"scale": scale, "targets": [{"what": "a figure", "measured": measured}]}


def test_full_runs_are_kept_three_at_a_time_and_smoke_runs_never(
    tmp_path: Path, report: ModuleType
) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    for n, measured in enumerate([1.0, 5.0, 2.0, 3.0]):  # named by when they ran
        (folder / f"2026-01-0{n + 1}.json").write_bytes(orjson.dumps(_run("full", measured)))
    history = report._history(_run("smoke", 100.0), folder)
    assert [run["targets"][0]["measured"] for run in history] == [5.0, 2.0, 3.0]
    assert len(list(folder.iterdir())) == report.HISTORY_KEPT == 3
    assert report._range("a figure", 100.0, history) == "2.00 to 5.00 (3)"
    assert report._range("a new figure", 7.0, history) == "7.00 to 7.00 (1)"


def test_a_full_run_joins_its_history(tmp_path: Path, report: ModuleType) -> None:
    folder = tmp_path / "history"
    history = report._history(_run("full", 4.0), folder)
    assert len(history) == 1
    assert len(list(folder.glob("*.json"))) == 1
    assert report._range("a figure", 4.0, history) == "4.00 to 4.00 (1)"
