"""The packages' promises about themselves: public API, exception tree, layering."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from switchboard.config import errors

ROOT = Path(__file__).parent.parent
PACKAGES = [
    "switchboard.config",
    "switchboard.integrations",
    "switchboard.worker",
    "switchboard.testing",
]
LAYERS = {"config": 0, "integrations": 1, "worker": 2, "testing": 3}


def _packages() -> list[str]:
    """Every package and subpackage under the three layers."""
    found = []
    for layer in LAYERS:
        for init in sorted((ROOT / layer).rglob("__init__.py")):
            parts = init.parent.relative_to(ROOT).parts
            if "tests" not in parts:
                found.append(".".join(("switchboard", *parts)))
    return found


def _modules() -> list[str]:
    found = []
    for package in _packages():
        folder = ROOT.joinpath(*package.split(".")[1:])
        found += [f"{package}.{path.stem}" for path in sorted(folder.glob("[!_]*.py"))]
    return found


def test_every_subpackage_is_walked() -> None:
    assert {
        "switchboard.integrations.builtin",
        "switchboard.worker.cli",
        "switchboard.worker.delivery",
    } <= set(_packages())


@pytest.mark.parametrize("package", _packages())
def test_a_packages_all_is_sorted_and_every_name_is_there(package: str) -> None:
    """What a package offers is curated in its ``__all__``: each name in it is real (the
    worker's are imported on first use: asking for each imports it)."""
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


LAZY_PACKAGES = [
    "switchboard.config",
    "switchboard.integrations",
    "switchboard.worker",
    "switchboard.testing",
]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_a_lazy_package_imports_for_mypy_what_it_imports_when_asked(package: str) -> None:
    """The names under ``if TYPE_CHECKING:`` (what mypy and IDEs read) are ``_HOMES`` (what
    runs, on first use), and ``__all__``."""
    module = importlib.import_module(package)
    source = ast.parse(Path(module.__file__ or "").read_text())
    typed: dict[str, tuple[str, ...]] = {}
    for node in source.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imported in node.body:
                assert isinstance(imported, ast.ImportFrom)
                typed["." + (imported.module or "")] = tuple(a.name for a in imported.names)
    assert typed == module._HOMES
    assert sorted(name for names in typed.values() for name in names) == sorted(module.__all__)


@pytest.mark.parametrize("package", _packages())
def test_a_package_exports_only_what_its_modules_declare_public(package: str) -> None:
    """Nothing is made public in passing: a package's names are its modules' public ones."""
    module = importlib.import_module(package)
    declared: set[str] = set()
    for name in _modules():
        if name.rsplit(".", 1)[0] == package:
            declared |= set(importlib.import_module(name).__all__)
    for subpackage in _packages():
        if subpackage.rsplit(".", 1)[0] == package:
            declared |= set(importlib.import_module(subpackage).__all__)
    reexported = set(getattr(importlib.import_module("switchboard.config"), "__all__", ()))
    for name in module.__all__:
        if name in _defined_in(module):  # defined in the package's own __init__
            continue
        origin = getattr(getattr(module, name), "__module__", "") or ""
        if origin.startswith("switchboard.config") and package != "switchboard.config":
            assert name in reexported  # a lower layer's name, passed on (the errors)
            continue
        assert name in declared, f"{package}.{name} is in no module's __all__"


def _defined_in(module: object) -> set[str]:
    """The names a module's own source defines (functions, classes, assignments)."""
    source = Path(getattr(module, "__file__", "") or "").read_text()
    defined = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return defined


@pytest.mark.parametrize("module", _modules())
def test_every_module_declares_its_public_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert isinstance(getattr(imported, "__all__", None), list), f"{module} has no __all__"
    assert [name for name in imported.__all__ if not hasattr(imported, name)] == []


def test_authoring_api_imports_as_documented() -> None:
    from switchboard.integrations import ConfigForm, Event, Fieldset, Integration

    assert all(inspect.isclass(c) for c in (ConfigForm, Event, Fieldset, Integration))


#: Each layer's exceptions module; ``config.errors`` draws the tree of all of them.
ERROR_MODULES = [
    "switchboard.config.errors",
    "switchboard.integrations.errors",
    "switchboard.worker.errors",
]
#: A line of the drawing: the tree, a name, [the builtins it also derives from], its file.
_DRAWN = re.compile(r"^[ │├└─]*(?P<name>\w+Error)(?: \[(?P<also>[\w, ]+)\])? +(?P<home>\S+\.py)$")


def _tree_from_docstring() -> dict[str, tuple[str | None, str, str]]:
    """name -> (parent, builtins it also derives from, module file), as drawn in
    config/errors.py's docstring."""
    doc = errors.__doc__ or ""
    drawn: dict[str, tuple[str | None, str, str]] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        found = _DRAWN.match(line.strip(" "))
        if found is None:
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        name = found.group("name")
        drawn[name] = (stack[-1][1] if stack else None, found.group("also") or "", found["home"])
        stack.append((depth, name))
    return drawn


def test_the_drawn_exception_tree_is_the_real_one() -> None:
    """Every layer's exceptions, and only they, drawn under SwitchboardError where they are."""
    drawn = _tree_from_docstring()
    real: dict[str, tuple[str | None, str, str]] = {}
    for name in ERROR_MODULES:
        module = importlib.import_module(name)
        home = "/".join(name.split(".")[1:]) + ".py"
        classes = [
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls)
            and issubclass(cls, errors.SwitchboardError)
            and cls.__module__ == name
        ]
        for cls in classes:
            if cls is errors.SwitchboardError:
                real[cls.__name__] = (None, "", home)
                continue
            also = [b.__name__ for b in cls.__bases__ if not issubclass(b, errors.SwitchboardError)]
            real[cls.__name__] = (cls.__mro__[1].__name__, ", ".join(also), home)
        assert sorted(cls.__name__ for cls in classes) == sorted(module.__all__)
    assert drawn == real


def test_an_address_the_guard_refuses_is_an_oserror_and_a_switchboard_error() -> None:
    from switchboard.worker.delivery import BlockedAddressError

    assert issubclass(BlockedAddressError, OSError)
    assert issubclass(BlockedAddressError, errors.SwitchboardError)


def _refusals() -> dict[str, Callable[[], object]]:
    from switchboard.config import SecretBox, generate_secret_key
    from switchboard.integrations import DeliveryRequest, compile_pattern, compile_regex
    from switchboard.integrations import secret_key as signing_key
    from switchboard.worker.delivery.sealing import open_request
    from switchboard.worker.delivery.slots import Slots

    return {
        "compile_pattern": lambda: compile_pattern("Review.*"),
        "compile_regex": lambda: compile_regex("(a)\\1"),
        "secret_key": lambda: signing_key("not-a-secret"),
        "DeliveryRequest": lambda: DeliveryRequest("http://x/", headers={"Host": "y"}),
        "SecretBox.decrypt": lambda: SecretBox([generate_secret_key()]).decrypt("x"),
        "Slots": lambda: Slots(0),
        "open_request": lambda: open_request("sbenc:1:...", None),
    }


@pytest.mark.parametrize("call", list(_refusals()))
def test_a_public_call_refuses_a_value_with_a_switchboard_error_that_is_a_value_error(
    call: str,
) -> None:
    """What callers caught before (``ValueError``) still catches it; so does SwitchboardError."""
    with pytest.raises(errors.SwitchboardError) as caught:
        _refusals()[call]()
    assert isinstance(caught.value, ValueError)


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
