"""Writing a new integration package from the templates in ``package-template/``.

A file whose name ends in ``.jinja`` is rendered by Jinja2 (the suffix dropped), any
other (the PNG icons, ``py.typed``) is copied byte for byte; ``{{package}}`` in a path
is the import package's name. The templates are package data, read through
``importlib.resources``, so they are found in a wheel as in the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any, Final

import jinja2

from switchboard.config.errors import InvalidArgumentError

from .names import IntegrationNames

__all__ = ["EVENT_TYPE", "check_target", "template_files", "write_package"]

#: The event the generated integration subscribes to.
EVENT_TYPE: Final = "review.published"
_RENDERED: Final = ".jinja"
#: Not an identifier, so setuptools does not take it, or a folder in it, for a package
#: left out of the wheel (its "Package would be ignored" warning): it is data.
_TEMPLATES: Final = "package-template"


def template_files() -> list[tuple[PurePosixPath, Traversable]]:
    """Every template, by its path under ``package-template/``, sorted."""
    root = resources.files(__package__ or "").joinpath(_TEMPLATES)
    return sorted(_walk(root, PurePosixPath()), key=lambda item: item[0])


def _walk(folder: Traversable, at: PurePosixPath) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, at / entry.name)
        elif entry.is_file():
            yield at / entry.name, entry


def check_target(target: Path) -> None:
    """Refuse a folder that holds anything, or a path that is not a folder."""
    if target.exists() and not target.is_dir():
        raise InvalidArgumentError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise InvalidArgumentError(
            f"{target} is not empty: give a new or empty folder (--dir), so nothing is overwritten"
        )


def write_package(names: IntegrationNames, target: Path) -> list[Path]:
    """Write the package into ``target`` (new or empty); returns the files written."""
    check_target(target)
    # Python, TOML and Markdown, not HTML: escaping would corrupt them. Names are only
    # letters, digits, '-' and '_' (names.py), so nothing needs quoting.
    environment = jinja2.Environment(
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    context: dict[str, Any] = {
        "names": names,
        "event_type": EVENT_TYPE,
        "switchboard_version": metadata.version("switchboard"),
    }
    written = []
    for relative, template in template_files():
        parts = (part.replace("{{package}}", names.package) for part in relative.parts)
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name.endswith(_RENDERED):
            path = path.with_name(path.name.removesuffix(_RENDERED))
            path.write_text(environment.from_string(template.read_text()).render(context))
        else:
            path.write_bytes(template.read_bytes())
        written.append(path)
    return written
