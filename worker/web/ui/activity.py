"""What a configuration's recent attempts say on the list of configurations: the last
outcome and when, and a chart of the last day's success rate, one bar an hour.

Both come from its ``config_attempts`` (``DeliveryAdmin.recent_attempts``): at most
``CONFIG_ATTEMPTS_KEPT`` are kept, so a busy configuration's chart covers the hours
those reach back to, and its title says so. A bar is green for the share that
succeeded (``error_class`` ``None``), red for the share that failed, grey for an hour
with no attempt. The chart is drawn here as rectangles' geometry; the template writes
the SVG with classes (``.chart .ok`` and so on in ``style.css``), no style attribute.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from switchboard.config import CONFIG_ATTEMPTS_KEPT

__all__ = ["CHART_HEIGHT", "CHART_WIDTH", "Activity", "Bar", "Outcome", "activity"]

HOURS: Final = 24
BAR_WIDTH: Final = 4
BAR_STEP: Final = 5
CHART_WIDTH: Final = HOURS * BAR_STEP - (BAR_STEP - BAR_WIDTH)
CHART_HEIGHT: Final = 20


class Outcome(enum.StrEnum):
    """How attempts ended; also a chart segment's class."""

    OK = "ok"
    FAILED = "failed"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    outcome: Outcome
    y: int
    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One hour: its attempts counted, and the segments drawn for them."""

    start: datetime
    ok: int
    failed: int
    x: int
    segments: tuple[Segment, ...]

    @property
    def title(self) -> str:
        hour = self.start.strftime("%H:00 UTC")
        if not self.ok + self.failed:
            return f"{hour}: no attempts"
        return f"{hour}: {self.ok} succeeded, {self.failed} failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """A configuration's recent attempts, as the list shows them."""

    last_outcome: Outcome
    last_at: datetime | None
    #: The last attempt in a few words: ``HTTP 200``, ``timeout``.
    last_detail: str
    bars: tuple[Bar, ...]
    ok: int
    failed: int

    @property
    def title(self) -> str:
        """The chart's figures in words (its ``<title>``, what a screen reader says)."""
        kept = f"from the latest {CONFIG_ATTEMPTS_KEPT} attempts kept"
        total = self.ok + self.failed
        if not total:
            return f"Last 24 hours: no attempts ({kept})."
        rate = round(100 * self.ok / total)
        return (
            f"Last 24 hours: {self.ok} of {total} attempts succeeded ({rate}%), "
            f"{self.failed} failed ({kept})."
        )


def activity(attempts: Sequence[Mapping[str, Any]], now: float) -> Activity:
    """``attempts`` (newest first, as ``recent_attempts`` gives them) as of ``now``."""
    first_hour = int(now // 3600) * 3600 - (HOURS - 1) * 3600
    counts = [[0, 0] for _ in range(HOURS)]
    for attempt in attempts:
        hour = int((float(attempt["at"]) - first_hour) // 3600)
        if 0 <= hour < HOURS:
            counts[hour][_failed(attempt)] += 1
    bars = tuple(
        Bar(
            start=datetime.fromtimestamp(first_hour + 3600 * n, UTC),
            ok=ok,
            failed=failed,
            x=n * BAR_STEP,
            segments=_segments(ok, failed),
        )
        for n, (ok, failed) in enumerate(counts)
    )
    last = attempts[0] if attempts else None
    return Activity(
        last_outcome=Outcome.NONE if last is None else _outcome(last),
        last_at=None if last is None else datetime.fromtimestamp(float(last["at"]), UTC),
        last_detail="" if last is None else _detail(last),
        bars=bars,
        ok=sum(bar.ok for bar in bars),
        failed=sum(bar.failed for bar in bars),
    )


def _failed(attempt: Mapping[str, Any]) -> int:
    return 0 if attempt.get("error_class") is None else 1


def _outcome(attempt: Mapping[str, Any]) -> Outcome:
    return Outcome.FAILED if _failed(attempt) else Outcome.OK


def _detail(attempt: Mapping[str, Any]) -> str:
    status = attempt.get("status")
    if status is not None:
        return f"HTTP {status}"
    return str(attempt.get("error_class") or "").replace("_", " ")


def _segments(ok: int, failed: int) -> tuple[Segment, ...]:
    if not ok + failed:
        return (Segment(outcome=Outcome.NONE, y=0, height=CHART_HEIGHT),)
    # A share too small to round to a pixel still shows as one.
    ok_height = round(CHART_HEIGHT * ok / (ok + failed))
    ok_height = min(max(ok_height, 1 if ok else 0), CHART_HEIGHT - (1 if failed else 0))
    segments = []
    if failed:  # red on top, green below it
        segments.append(Segment(outcome=Outcome.FAILED, y=0, height=CHART_HEIGHT - ok_height))
    if ok_height:
        segments.append(Segment(outcome=Outcome.OK, y=CHART_HEIGHT - ok_height, height=ok_height))
    return tuple(segments)
