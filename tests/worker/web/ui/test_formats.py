"""How pages write times (UTC, whatever the zone given) and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from switchboard.worker.web.ui.formats import duration, prose, utc


def test_times_are_utc_to_the_second() -> None:
    assert utc(1_700_000_000.9) == "2023-11-14 22:13:20"
    assert utc(datetime(2025, 1, 31, 9, 0, 5, tzinfo=timezone(timedelta(hours=2)))) == (
        "2025-01-31 07:00:05"
    )
    assert utc(datetime(2025, 1, 31, 9, 0, 5)) == "2025-01-31 09:00:05"  # naive: UTC
    assert utc(datetime(2025, 1, 31, 9, 0, 5, tzinfo=UTC)) == "2025-01-31 09:00:05"
    assert utc(None) == "-"


def test_durations_read_as_a_person_would() -> None:
    cases = {0.04: "0.0 s", 4.25: "4.2 s", -1: "0.0 s", 42.9: "42 s", 185: "3 min 05 s",
             7380: "2 h 03 min", 273_600: "3 d 4 h"}  # fmt: skip
    assert {seconds: duration(seconds) for seconds in cases} == cases
    assert duration(None) == "-"


def test_prose_marks_code_spans_and_escapes_everything_else() -> None:
    shown = prose("Patterns: `review.*` or <b>`<script>`</b> & more")
    assert str(shown) == (
        "Patterns: <code>review.*</code> or &lt;b&gt;<code>&lt;script&gt;</code>"
        "&lt;/b&gt; &amp; more"
    )
    assert str(prose(None)) == ""
