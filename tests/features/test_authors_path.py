"""An integration author's path, on a fresh virtual environment with Switchboard installed
from its wheel (not this checkout's editable install): scaffold a package, pip install
it, run its tests (they pass), see it listed, and type-check it with ``mypy --strict``.

The environment is a module fixture, so other authors' packages (the examples) can be
installed and tested in it too. Every command runs from a folder outside the
repository, with no PYTHONPATH, so nothing of this checkout is importable there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "worker" / "scaffold" / "package-template"
#: Generous: pip fetches from the registry when its cache is cold.
INSTALL_TIMEOUT = 600
STEP_TIMEOUT = 180
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".switchboard", ".coverage*"
)


@dataclass(kw_only=True)
class FreshVenv:
    """A virtual environment with Switchboard's wheel (``[testing]``) and mypy installed."""

    root: Path
    wheel: Path
    #: Seconds each step of the set-up took, for the report.
    timings: dict[str, float] = field(default_factory=dict)

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def run(
        self, *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """A command of this environment; fails the test, with its output, unless it exits 0."""
        result = subprocess.run(
            [str(arg) for arg in args], cwd=cwd, env={**_clean_environment(), **(env or {})},
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, (
            f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
        return result

    def pip_install(self, *args: str | Path, cwd: Path) -> None:
        self.run(self.bin("python"), "-m", "pip", "install", "--quiet", *args, cwd=cwd,
                 timeout=INSTALL_TIMEOUT)  # fmt: skip


def _clean_environment() -> dict[str, str]:
    """This process's environment without what points into this checkout or its venv."""
    leaks = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "REDIS_URL")
    return {
        name: value
        for name, value in os.environ.items()
        if name not in leaks and not name.startswith(("COVERAGE_", "COV_CORE_", "SWITCHBOARD_"))
    }


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    work = tmp_path_factory.mktemp("fresh-venv")
    started = time.monotonic()
    # Built from a copy: an in-tree build would write build/ and *.egg-info into the
    # checkout, and a stale build/lib could put files in the wheel that are gone.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(work / "wheels"), str(source)],
        cwd=work, check=True, capture_output=True, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    [wheel] = (work / "wheels").glob("switchboard-*.whl")
    built = time.monotonic()
    # The base interpreter's venv module, without system site packages: nothing of this
    # checkout's .venv (its editable install) is visible there.
    subprocess.run(
        [sys.executable, "-m", "venv", str(work / "venv")], cwd=work, check=True,
        env=_clean_environment(), timeout=STEP_TIMEOUT,
    )  # fmt: skip
    venv = FreshVenv(root=work / "venv", wheel=wheel)
    venv.pip_install(f"{wheel}[testing]", "mypy>=1.13", cwd=work)
    venv.timings = {"wheel": built - started, "venv and install": time.monotonic() - built}
    return venv


def test_the_wheel_holds_every_template(fresh_venv: FreshVenv) -> None:
    with zipfile.ZipFile(fresh_venv.wheel) as wheel:
        names = set(wheel.namelist())
    templates = [p.relative_to(ROOT) for p in TEMPLATES.rglob("*") if p.is_file()]
    assert len(templates) == 8
    missing = [str(p) for p in templates if f"switchboard/{p.as_posix()}" not in names]
    assert missing == []


def test_the_fresh_venv_imports_switchboard_from_the_wheel_not_this_checkout(
    fresh_venv: FreshVenv, tmp_path: Path
) -> None:
    where = fresh_venv.run(
        fresh_venv.bin("python"), "-c",
        "import switchboard.worker.scaffold as s, importlib.util as u; "
        "print(s.__file__); print(u.find_spec('config'))",
        cwd=tmp_path, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    module_file, bare_config = where.stdout.splitlines()
    assert Path(module_file).is_relative_to(fresh_venv.root)
    assert bare_config == "None"


def test_scaffold_install_test_and_list_a_new_integration(
    fresh_venv: FreshVenv, tmp_path: Path, redis_url: str
) -> None:
    steps: dict[str, float] = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.monotonic()
        steps[step] = now - clock
        clock = now

    package = tmp_path / "acme-chat"
    fresh_venv.run(fresh_venv.bin("switchboard"), "new-integration", "acme-chat", "--dir", package,
                   cwd=tmp_path, timeout=STEP_TIMEOUT)  # fmt: skip
    lap("new-integration")
    fresh_venv.pip_install(package, cwd=tmp_path)  # not editable: a wheel built, installed
    lap("pip install")
    tests = fresh_venv.run(fresh_venv.bin("pytest"), "-p", "no:cacheprovider", cwd=package,
                           timeout=STEP_TIMEOUT)  # fmt: skip
    assert "2 passed" in tests.stdout
    lap("its tests")
    listed = fresh_venv.run(
        fresh_venv.bin("switchboard"), "integrations", "list", "--json",
        cwd=tmp_path, env={"REDIS_URL": redis_url}, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    lap("integrations list")
    report = orjson.loads(listed.stdout)
    assert report["load_errors"] == []
    [acme] = [i for i in report["integrations"] if i["id"] == "acme-chat"]
    assert acme["name"] == "Acme Chat"
    assert acme["icon_static_urls"] == {
        "1x": "/static/switchboard_acme_chat/icon.png",
        "2x": "/static/switchboard_acme_chat/icon@2x.png",
    }
    installed = fresh_venv.run(
        fresh_venv.bin("python"), "-c",
        "import switchboard_acme_chat as p; print(p.__file__)", cwd=tmp_path, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    assert Path(installed.stdout.strip()).is_relative_to(fresh_venv.root)

    total = sum(steps.values())
    figures = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items())
    setup = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in fresh_venv.timings.items())
    print(f"\nscaffold to green: {total:.1f} s ({figures}); set-up: {setup}")


def test_mypy_strict_passes_on_a_new_integration_against_the_installed_wheel(
    fresh_venv: FreshVenv, tmp_path: Path
) -> None:
    package = tmp_path / "acme-chat"
    fresh_venv.run(fresh_venv.bin("switchboard"), "new-integration", "acme-chat", "--dir", package,
                   cwd=tmp_path, timeout=STEP_TIMEOUT)  # fmt: skip
    started = time.monotonic()
    checked = fresh_venv.run(fresh_venv.bin("mypy"), "--strict", cwd=package, timeout=STEP_TIMEOUT)
    assert "Success: no issues found in 3 source files" in checked.stdout
    print(f"\nmypy --strict: {time.monotonic() - started:.1f} s")


# -- the example integration, as its users install it --------------------------------------

EXAMPLE = ROOT / "examples" / "zulip"


@pytest.fixture(scope="module")
def installed_example(fresh_venv: FreshVenv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/zulip copied out of the checkout and pip installed (not editable)."""
    copy = tmp_path_factory.mktemp("example") / "zulip"
    shutil.copytree(EXAMPLE, copy, ignore=_NOT_SOURCE)
    fresh_venv.pip_install(f"{copy}[test]", cwd=copy.parent)
    return copy


def test_the_example_installs_passes_its_tests_and_is_listed(
    fresh_venv: FreshVenv, installed_example: Path, redis_url: str
) -> None:
    tests = fresh_venv.run(fresh_venv.bin("pytest"), "-q", "-p", "no:cacheprovider",
                           cwd=installed_example, timeout=STEP_TIMEOUT)  # fmt: skip
    summary = tests.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in [\d.]+s", summary), summary  # none failed or skipped
    listed = fresh_venv.run(
        fresh_venv.bin("switchboard"), "integrations", "list", "--json",
        cwd=installed_example.parent, env={"REDIS_URL": redis_url}, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    report = orjson.loads(listed.stdout)
    assert report["load_errors"] == []
    [zulip] = [i for i in report["integrations"] if i["id"] == "zulip"]
    assert set(zulip["icon_static_urls"]) == {"1x", "2x"}
    where = fresh_venv.run(fresh_venv.bin("python"), "-c",
                           "import switchboard_zulip as z; print(z.__file__)",
                           cwd=installed_example.parent, timeout=STEP_TIMEOUT)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(fresh_venv.root)


def test_mypy_strict_passes_on_the_example_against_the_installed_wheel(
    fresh_venv: FreshVenv, installed_example: Path
) -> None:
    # The installed package (its py.typed, from site-packages: run outside the copy), then
    # the tests beside it, as a user checks them.
    package = fresh_venv.run(fresh_venv.bin("mypy"), "--strict", "-p", "switchboard_zulip",
                             cwd=installed_example.parent, timeout=STEP_TIMEOUT)  # fmt: skip
    assert "Success: no issues found" in package.stdout
    tests = fresh_venv.run(fresh_venv.bin("mypy"), "--strict", "tests",
                           cwd=installed_example, timeout=STEP_TIMEOUT)  # fmt: skip
    assert "Success: no issues found" in tests.stdout
