"""``switchboard new-integration``: what it writes and says, what it refuses, and that the
package's own tests and checks pass as written (in this environment: installing it and
seeing it listed is tests/features/test_authors_path.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.cli import invoke, ok

BIN = Path(sys.executable).parent


def test_it_writes_into_dot_name_and_says_what_and_what_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = ok(CliRunner(), "new-integration", "acme-chat")
    assert (tmp_path / "acme-chat" / "src" / "switchboard_acme_chat" / "integration.py").is_file()
    lines = out.splitlines()
    assert lines[0] == "wrote switchboard-acme-chat (AcmeChatIntegration, id acme-chat):"
    assert "  acme-chat/tests/test_switchboard_acme_chat.py" in lines
    assert "  acme-chat/src/switchboard_acme_chat/static/icon@2x.png" in lines
    assert lines[lines.index("next:") + 1 :] == [
        "  cd acme-chat",
        "  python -m pip install -e '.[test]'",
        "  python -m pytest && python -m mypy",
        "  switchboard integrations list",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad name"], "error: 'bad name' is not a valid distribution name: use ASCII letters"),
        (["switchboard"], "error: 'switchboard' is Switchboard's own name"),
        (["1password"], "error: '1password' must start with a letter"),
    ],
)
def test_a_bad_name_is_refused_in_one_line_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke(CliRunner(), "new-integration", *args, "--dir", str(tmp_path / "new"))
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_a_folder_that_is_not_empty_is_refused_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke(CliRunner(), "new-integration", "acme-chat", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path} is not empty: give a new or empty folder (--dir), so nothing "
        "is overwritten\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_help_gives_the_naming_rule() -> None:
    text = ok(CliRunner(), "new-integration", "--help")
    assert "switchboard_acme_chat" in text
    assert "AcmeChatIntegration" in text


def test_the_packages_tests_pass_and_its_code_is_ruff_clean_as_written(tmp_path: Path) -> None:
    """Its tests run on this environment's Switchboard and plugin, the package from its
    src folder; the folder is outside the repository, so its own pyproject.toml rules."""
    ok(CliRunner(), "new-integration", "acme-chat", "--dir", str(tmp_path / "acme-chat"))
    package = tmp_path / "acme-chat"
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    tests = subprocess.run(
        [BIN / "pytest", "-p", "no:cacheprovider"],
        cwd=package, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
    for check in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        ruff = subprocess.run([BIN / "ruff", *check], cwd=package, capture_output=True, text=True)
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
