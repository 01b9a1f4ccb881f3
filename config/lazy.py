"""A package that imports each of its public names on first use (PEP 562).

``switchboard.config``, ``switchboard.integrations`` and ``switchboard.worker``
are such packages, so that ``from switchboard.worker import SyncEventClient``
loads the producer and what it needs, not the worker: Python runs every
package's ``__init__`` on the way to a module, and these stay light. Each
package lists its names twice, as imports under ``TYPE_CHECKING`` (what mypy
and IDEs read) and as ``_HOMES`` (what runs); a test keeps the two equal::

    if TYPE_CHECKING:
        from .settings import Settings, load_settings

    __all__ = ["Settings", "load_settings"]
    _HOMES = {".settings": ("Settings", "load_settings")}

    if not TYPE_CHECKING:  # mypy sees the imports above, and no catch-all
        __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    namespace: dict[str, Any], homes: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is
    ``namespace``: a name in ``homes`` (module -> names) is imported from its module when
    first asked for, then kept in the package."""
    package = namespace["__name__"]
    where = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's name)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # asked once
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *where})

    return __getattr__, __dir__
