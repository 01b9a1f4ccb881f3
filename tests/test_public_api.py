"""The packages' promises about themselves: public API, exception tree, layering."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.config import errors

ROOT = Path(__file__).parent.parent
PACKAGES = ["switchboard.config", "switchboard.integrations", "switchboard.worker"]
LAYERS = {"config": 0, "integrations": 1, "worker": 2}


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_exist_and_are_sorted(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize(
    "package", ["switchboard.config", "switchboard.integrations", "switchboard.worker"]
)
def test_every_public_name_of_every_module_is_reexported(package: str) -> None:
    """A name a module declares public is reachable from its package."""
    module = importlib.import_module(package)
    folder = ROOT / package.split(".")[1]
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        submodule = importlib.import_module(f"{package}.{path.stem}")
        for name in getattr(submodule, "__all__", []):
            if name.isupper() and name not in module.__all__:
                continue  # constants may stay in their module
            assert name in module.__all__, f"{package}.{path.stem}.{name} is not re-exported"


def test_authoring_api_imports_as_documented() -> None:
    from switchboard.integrations import ConfigForm, Event, Fieldset, Integration

    assert all(inspect.isclass(c) for c in (ConfigForm, Event, Fieldset, Integration))


def _tree_from_docstring() -> dict[str, str]:
    """child -> parent, as drawn in errors.py's docstring."""
    doc = errors.__doc__ or ""
    lines = [line for line in doc.splitlines() if re.search(r"\w+(Error)$", line.strip())]
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        name = re.search(r"(\w+)$", line.strip())
        assert name is not None
        depth = len(line) - len(line.lstrip(" │├└─"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name.group(1)] = stack[-1][1]
        stack.append((depth, name.group(1)))
    return parents


def test_the_drawn_exception_tree_is_the_real_one() -> None:
    drawn = _tree_from_docstring()
    real = {
        cls.__name__: cls.__mro__[1].__name__
        for cls in vars(errors).values()
        if inspect.isclass(cls)
        and issubclass(cls, errors.SwitchboardError)
        and cls is not errors.SwitchboardError
    }
    assert drawn == real
    assert sorted([*real, "SwitchboardError"]) == sorted(errors.__all__)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", list(LAYERS))
def test_imports_point_one_way(layer: str) -> None:
    """worker -> integrations -> config, never back; and never a bare top-level layer name."""
    for path in (ROOT / layer).rglob("*.py"):
        for module in _imported_modules(path):
            top = module.split(".")[0]
            assert top not in LAYERS, f"{path}: bare import of {module}"
            if module.startswith("switchboard."):
                target = module.split(".")[1]
                assert LAYERS[target] <= LAYERS[layer], f"{path} imports upwards: {module}"


def test_installed_modules_come_from_the_repository_folders(tmp_path: Path) -> None:
    """The editable install maps switchboard.* to the folders, and claims no bare names."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        assert module.__file__ is not None
        folder = package.split(".")[1]
        assert Path(module.__file__).resolve() == (ROOT / folder / "__init__.py").resolve()
    # Away from the repository root (which `python -m` puts on sys.path):
    names = ("config", "worker", "integrations", "switchboard.config")
    probe = f"import importlib.util as u; print([bool(u.find_spec(n)) for n in {names!r}])"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[False, False, False, True]"
