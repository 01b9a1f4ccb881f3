"""The exceptions the integrations layer raises: invalid configurations, and
integrations that cannot be registered, loaded or used as they were.

They derive from ``switchboard.config.SwitchboardError``; the whole tree is drawn
in ``switchboard.config.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.config.errors import SwitchboardError
from switchboard.config.field_errors import errors_text
from switchboard.config.ids import shown_id

__all__ = [
    "ConfigValidationError",
    "IntegrationAlreadyRegisteredError",
    "IntegrationError",
    "IntegrationLoadError",
    "IntegrationNotRegisteredError",
    "IntegrationRegistrationError",
    "IntegrationStateError",
]


class ConfigValidationError(SwitchboardError):
    """Settings, conditions or metadata of a configuration are invalid.

    ``errors`` maps a field path (``"endpoint_url"``, ``"conditions.0.value"``)
    to a plain-words reason.
    """

    def __init__(self, errors: Mapping[str, str], *, subject: str = "configuration") -> None:
        self.errors = dict(errors)
        super().__init__(f"Invalid {subject}: {errors_text(self.errors.items())}")


class IntegrationError(SwitchboardError):
    """Something went wrong with an integration class or its registration."""


class IntegrationAlreadyRegisteredError(IntegrationError):
    def __init__(self, integration_id: str) -> None:
        self.integration_id = integration_id
        super().__init__(f'The integration "{shown_id(integration_id)}" is already registered.')


class IntegrationNotRegisteredError(IntegrationError):
    def __init__(self, integration_id: str) -> None:
        self.integration_id = integration_id
        super().__init__(f'No integration "{shown_id(integration_id)}" is registered.')


class IntegrationRegistrationError(IntegrationError):
    """Registering failed: the class is not valid, or its constructor raised."""

    def __init__(self, integration_id: str, reason: str) -> None:
        self.integration_id = integration_id
        self.reason = reason
        super().__init__(
            f'The integration "{shown_id(integration_id)}" could not be registered: {reason}'
        )


class IntegrationLoadError(IntegrationError):
    """A plugin (entry point or dotted path) could not be loaded."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(
            f'The integration plugin "{shown_id(source)}" could not be loaded: {reason}'
        )


class IntegrationStateError(IntegrationError):
    """An integration did something its current state does not allow."""
