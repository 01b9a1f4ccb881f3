"""``switchboard worker``'s options: --processes takes a number of at least 1, or auto."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from switchboard.worker.cli import cli
from switchboard.worker.cli.worker import _Processes


@pytest.mark.parametrize(
    ("given", "reason"), [("0", "0 is fewer than 1"), ("many", "'many' is neither a number")]
)
def test_a_bad_number_of_processes_is_refused_in_one_line(given: str, reason: str) -> None:
    result = CliRunner().invoke(cli, ["worker", "--processes", given])
    assert result.exit_code == 2
    assert reason in result.output


def test_auto_is_one_process_a_cpu_this_process_may_use() -> None:
    assert _Processes().convert("auto", None, None) == len(os.sched_getaffinity(0))
    assert _Processes().convert(" 3 ", None, None) == 3
