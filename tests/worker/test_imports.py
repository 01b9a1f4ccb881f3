"""What an import costs: an app that only emits loads the producer and what it needs,
and ``switchboard --help`` loads none of the commands' dependencies.

Each test asks a fresh interpreter (this one has imported the whole suite), from a
folder outside the repository. The bounds are in modules, not seconds: the speed
figures are in docs/performance.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: What the worker, the store and secrets at rest need: never loaded to emit or to list
#: the commands.
NOT_TO_EMIT = (
    "arq",
    "aiohttp",
    "cryptography.fernet",
    "jinja2",
    "switchboard.worker.scaffold",
    "switchboard.worker.delivery",
    "switchboard.worker.runner",
    "switchboard.integrations.manager",
    "switchboard.config.store",
    "switchboard.config.cache",
    "switchboard.config.secrets",
)
#: What the producer needs from its dependencies: the floor of what emitting costs.
PRODUCER_DEPENDENCIES = "import orjson, pydantic, pydantic_settings, redis, redis.asyncio"
#: Switchboard's own modules on the producer's path: the producer, the queue's encoder,
#: the event envelope, settings (and their HTTP part), the connection, errors, keys, ids,
#: and the packages.
OWN_MODULES_MAX = 21


#: ``switchboard --help``, in-process (the console script's ``main``).
HELP = (
    "import sys\nsys.argv = ['switchboard', '--help']\n"
    "from switchboard.worker.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
)


def _run(code: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout


def _loaded(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    return set(json.loads(_run(probe, cwd).splitlines()[-1]))


def _not_to_emit(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded for w in NOT_TO_EMIT if m == w or m.startswith(f"{w}."))


@pytest.mark.parametrize("client", ["SyncEventClient", "EventClient"])
def test_importing_a_client_loads_the_producer_not_the_worker(client: str, tmp_path: Path) -> None:
    loaded = _loaded(f"from switchboard.worker import {client}", tmp_path)
    dependencies = _loaded(PRODUCER_DEPENDENCIES, tmp_path)
    assert _not_to_emit(loaded) == []
    added = loaded - dependencies
    own = sorted(m for m in added if m.split(".")[0] == "switchboard")
    assert len(own) <= OWN_MODULES_MAX, own
    # No other package than the dependencies' (the standard library aside).
    other = {m.split(".")[0] for m in added} - {"switchboard", *sys.stdlib_module_names}
    assert sorted(name for name in other if not name.startswith("_")) == []
    # Switchboard's own cryptography (Fernet, for secrets at rest) is out (NOT_TO_EMIT);
    # redis-py 5.3 imports PyJWT, which imports cryptography's primitives: the floor.


def test_switchboard_help_imports_no_commands_dependencies(tmp_path: Path) -> None:
    loaded = _loaded(HELP, tmp_path)
    assert _not_to_emit(loaded) == []
    assert sorted(m for m in loaded if m.split(".")[0] in {"redis", "pydantic"}) == []


def test_switchboard_help_lists_each_command_as_its_own_help_says(tmp_path: Path) -> None:
    """The summaries that list the commands unimported are the commands' own words."""
    every_command_imported = (
        "import click\nfrom switchboard.worker.cli import cli\n"
        "ctx = click.Context(cli)\n"
        "for name in cli.list_commands(ctx):\n    cli.get_command(ctx, name)\n"
    )
    listed = _run(HELP, tmp_path)
    assert re.search(r"\n  configs +Operators' configurations", listed)
    assert _run(every_command_imported + HELP, tmp_path) == listed
