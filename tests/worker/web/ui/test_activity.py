"""A configuration's recent attempts as the list shows them: the last outcome, and 24
hourly bars of the last day (green the share that succeeded, red the share that failed,
grey an hour without attempts), a share too small for a pixel still drawn."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.worker.web.ui.activity import CHART_HEIGHT, Outcome, activity

NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC).timestamp()


def _attempt(ago: float, *, ok: bool = True, status: int | None = 200) -> dict[str, object]:
    return {"at": NOW - ago, "status": status, "error_class": None if ok else "timeout"}


def test_no_attempts() -> None:
    shown = activity([], NOW)
    assert shown.last_outcome is Outcome.NONE
    assert shown.last_at is None
    assert len(shown.bars) == 24
    assert all([s.outcome for s in bar.segments] == [Outcome.NONE] for bar in shown.bars)
    assert shown.title == "Last 24 hours: no attempts (from the latest 100 attempts kept)."


def test_bars_are_the_last_24_clock_hours() -> None:
    attempts = [
        _attempt(60, ok=False, status=None),
        _attempt(120),
        _attempt(3600),
        _attempt(23 * 3600),
        _attempt(25 * 3600),
    ]
    shown = activity(attempts, NOW)
    assert shown.last_outcome is Outcome.FAILED
    assert shown.last_detail == "timeout"
    assert shown.last_at == datetime(2024, 5, 1, 12, 29, tzinfo=UTC)
    assert shown.bars[0].start == datetime(2024, 4, 30, 13, tzinfo=UTC)
    assert shown.bars[-1].start == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert [(b.ok, b.failed) for b in shown.bars if b.ok or b.failed] == [(1, 0), (1, 0), (1, 1)]
    assert (shown.ok, shown.failed) == (3, 1)  # 25 hours ago is not in the chart
    last = shown.bars[-1]
    assert last.title == "12:00 UTC: 1 succeeded, 1 failed"
    assert [(s.outcome, s.y, s.height) for s in last.segments] == [
        (Outcome.FAILED, 0, CHART_HEIGHT // 2),
        (Outcome.OK, CHART_HEIGHT // 2, CHART_HEIGHT // 2),
    ]
    assert shown.title == (
        "Last 24 hours: 3 of 4 attempts succeeded (75%), 1 failed "
        "(from the latest 100 attempts kept)."
    )


def test_a_small_share_still_shows() -> None:
    attempts = [_attempt(10, ok=False, status=500)] + [_attempt(20) for _ in range(99)]
    [failed, ok] = activity(attempts, NOW).bars[-1].segments
    assert (failed.outcome, failed.height) == (Outcome.FAILED, 1)
    assert (ok.outcome, ok.height) == (Outcome.OK, CHART_HEIGHT - 1)
    assert activity(attempts, NOW).last_detail == "HTTP 500"
