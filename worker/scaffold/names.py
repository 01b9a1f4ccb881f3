"""The names of a new integration package, all derived from the one its author gives.

The rule, for ``acme-chat`` (or ``Acme_Chat``, ``switchboard-acme-chat``: the same):

* the short name: the distribution name's normalised form (PEP 503: lowercase, each
  run of ``-``, ``_`` and ``.`` one ``-``), without a leading ``switchboard-``:
  ``acme-chat``. It is the integration id and the entry point's name, what an
  operator types in ``switchboard configs add acme-chat``;
* the distribution: ``switchboard-acme-chat``, as pytest's and Flask's plugins are
  named, so a search of the package index for ``switchboard-`` finds them all;
* the import package: ``switchboard_acme_chat``, the distribution's name. Never the
  bare ``acme_chat``: an integration often depends on its service's own client
  library, which has the service's name (``zulip``, ``slack_sdk``), and the prefix
  keeps the two apart; it also makes the package's name an identifier that is no
  keyword and shadows no standard module;
* the class: ``AcmeChatIntegration``; the form: ``AcmeChatForm``; its title ``Acme Chat``.
  So the short name starts with a letter (``1password`` would make a class name that
  is not an identifier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from switchboard.config.errors import InvalidArgumentError

__all__ = ["IntegrationNames", "integration_names"]

#: A distribution name, as PEP 508 (and packaging's ``canonicalize_name(validate=True)``)
#: allows it: ASCII letters and digits, with ``.``, ``_``, ``-`` inside.
_DISTRIBUTION_NAME: Final = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_SEPARATORS: Final = re.compile(r"[-_.]+")
_PREFIX: Final = "switchboard-"


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrationNames:
    """Every name the new package uses (the module docstring gives the rule)."""

    short: str
    distribution: str
    package: str
    class_name: str
    form_name: str
    title: str

    @property
    def integration_id(self) -> str:
        return self.short

    @property
    def entry_point(self) -> str:
        return self.short


def integration_names(name: str) -> IntegrationNames:
    """The names for ``name``; ``InvalidArgumentError`` says why one cannot be used."""
    if not _DISTRIBUTION_NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"{name!r} is not a valid distribution name: use ASCII letters and digits, "
            "with '-', '_' or '.' between them (e.g. acme-chat)"
        )
    canonical = _SEPARATORS.sub("-", name).lower()
    short = canonical.removeprefix(_PREFIX)
    if canonical == "switchboard" or not short:
        raise InvalidArgumentError(
            f"{name!r} is Switchboard's own name: name the service (e.g. acme-chat, which "
            "makes switchboard-acme-chat)"
        )
    words = short.split("-")
    camel = "".join(word.capitalize() for word in words)
    if not camel.isidentifier():
        raise InvalidArgumentError(
            f"{name!r} must start with a letter once 'switchboard-' is left off: it names "
            f"the class, and {camel}Integration is not a Python identifier"
        )
    return IntegrationNames(
        short=short,
        distribution=f"{_PREFIX}{short}",
        package="switchboard_" + "_".join(words),
        class_name=f"{camel}Integration",
        form_name=f"{camel}Form",
        title=" ".join(word.capitalize() for word in words),
    )
