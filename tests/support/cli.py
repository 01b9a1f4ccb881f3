"""Driving the ``switchboard`` command in-process (click's CliRunner), for the CLI tests."""

from __future__ import annotations

from click.testing import CliRunner, Result

from switchboard.worker.cli import cli


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(cli, list(args), env=env)
    # The CLI ends by returning or through sys.exit, never with an uncaught exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: uncaught {result.exception!r}"
    )
    return result


def ok(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> str:
    """The command's stdout; fails unless it exits 0."""
    result = invoke(runner, *args, env=env)
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return result.stdout
