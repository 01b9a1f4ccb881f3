"""Finding integration classes: the ``switchboard.integrations`` entry points and dotted paths.

A plugin that fails to import, or names something that is not an
``Integration`` subclass, becomes an ``IntegrationLoadError`` naming it and
the cause; the others load regardless.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

from .errors import IntegrationLoadError
from .integration import Integration

__all__ = ["ENTRY_POINT_GROUP", "discover_integrations"]

ENTRY_POINT_GROUP = "switchboard.integrations"


def describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def import_dotted_path(path: str) -> object:
    """``package.module.Name`` (or ``package.module:Name``) -> the object."""
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ImportError(f"{path!r} is not a dotted path to a class")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attribute!r}") from None


def _as_integration_class(source: str, obj: object) -> type[Integration]:
    if not (isinstance(obj, type) and issubclass(obj, Integration)):
        raise IntegrationLoadError(source, f"{obj!r} is not a subclass of Integration")
    return obj


def discover_integrations(
    dotted_paths: Iterable[str] = (),
) -> tuple[list[type[Integration]], list[IntegrationLoadError]]:
    """Every integration class from the entry points, then from ``dotted_paths``."""
    found: list[type[Integration]] = []
    errors: list[IntegrationLoadError] = []
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        source = f"entry point {entry_point.name} = {entry_point.value}"
        try:
            found.append(_as_integration_class(source, entry_point.load()))
        except IntegrationLoadError as exc:
            errors.append(exc)
        except Exception as exc:
            errors.append(IntegrationLoadError(source, describe_exception(exc)))
    for path in dotted_paths:
        try:
            found.append(_as_integration_class(path, import_dotted_path(path)))
        except IntegrationLoadError as exc:
            errors.append(exc)
        except Exception as exc:
            errors.append(IntegrationLoadError(path, describe_exception(exc)))
    return found, errors
