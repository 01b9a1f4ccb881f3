"""Finding integrations: a real installed entry point, and dotted paths from the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from switchboard.integrations import IntegrationLoadError, IntegrationManager

PLUGIN_SOURCE = Path(__file__).resolve().parents[1] / "plugins" / "sample_plugin"

REPORT_SCRIPT = """
import orjson, sys
from switchboard.integrations import IntegrationManager
manager = IntegrationManager()
errors = manager.load_plugins(sys.argv[1:])
print(orjson.dumps({
    "registered": [i.integration_id for i in manager.get_integrations()],
    "errors": [{"type": type(e).__name__, "text": str(e)} for e in errors],
}).decode())
"""


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plugin, pip-installed (wheel built, entry points written) into its own folder."""
    target = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-build")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PLUGIN_SOURCE)],
        check=True,
        cwd=build,
        capture_output=True,
    )  # fmt: skip
    assert list(target.glob("switchboard_sample_plugin-1.0.dist-info/entry_points.txt"))
    return target


def discover_in_subprocess(site: Path, *dotted_paths: str) -> dict[str, list[object]]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", REPORT_SCRIPT, *dotted_paths],
        check=True,
        capture_output=True,
        env=env,
        text=True,
    )
    report: dict[str, list[object]] = orjson.loads(result.stdout)
    return report


def test_installed_entry_points_are_discovered_and_broken_ones_reported(plugin_site: Path) -> None:
    report = discover_in_subprocess(plugin_site)
    assert "sample_plugin.integration" in report["registered"]
    assert "sample_plugin.exploding" not in report["registered"]
    texts = {str(e["text"]) for e in report["errors"]}  # type: ignore[index]
    by_name = {
        name: next(t for t in texts if name in t)
        for name in ("broken_import", "not_an_integration", "sample_plugin.exploding")
    }
    assert "ModuleNotFoundError" in by_name["broken_import"]
    assert "not a subclass of Integration" in by_name["not_an_integration"]
    assert "missing API key" in by_name["sample_plugin.exploding"]
    assert {e["type"] for e in report["errors"]} == {  # type: ignore[index]
        "IntegrationLoadError",
        "IntegrationRegistrationError",
    }


def test_dotted_paths_add_to_entry_points(plugin_site: Path) -> None:
    tests_dir = str(Path(__file__).resolve().parents[1])
    env_site = f"{plugin_site}{os.pathsep}{tests_dir}"
    report = discover_in_subprocess(Path(env_site), "support.sample.SampleIntegration")
    assert {"sample_plugin.integration", "tests.sample"} <= set(report["registered"])  # type: ignore[arg-type]


def test_bad_dotted_paths_are_reported_and_the_rest_load() -> None:
    manager = IntegrationManager()
    errors = manager.load_plugins(
        ["support.sample.SampleIntegration", "no.such.module.Thing", "support.sample.nothing",
         "support.sample.SampleForm", "notdotted"]
    )  # fmt: skip
    assert manager.is_registered("tests.sample")
    assert all(isinstance(e, IntegrationLoadError) for e in errors)
    assert [e.source for e in errors if isinstance(e, IntegrationLoadError)] == [
        "no.such.module.Thing",
        "support.sample.nothing",
        "support.sample.SampleForm",
        "notdotted",
    ]
    assert "no attribute 'nothing'" in str(errors[1])
    assert "not a subclass of Integration" in str(errors[2])


def test_the_same_class_found_twice_registers_once() -> None:
    manager = IntegrationManager()
    errors = manager.load_plugins(
        ["support.sample.SampleIntegration", "support.sample:SampleIntegration"]
    )
    assert errors == []
    ids = [i.integration_id for i in manager.get_integrations()]
    assert ids.count("tests.sample") == 1
    # Entry points add the rest: the built-in integrations from this package's own, and
    # whatever else is installed (scripts/test installs examples/zulip).
    builtin = {"switchboard.webhook", "switchboard.slack", "switchboard.mattermost"}
    assert builtin | {"switchboard.discord"} <= set(ids)
    assert "tests.sample" in ids
