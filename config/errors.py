"""Every exception Switchboard raises, under one root.

Catch ``SwitchboardError`` to catch them all. The tree (a test keeps it true)::

    SwitchboardError
    ├── SettingsError
    ├── RedisUnavailableError
    ├── EmbeddedRedisError
    ├── StoreError
    │   ├── ConfigNotFoundError
    │   ├── ConfigConflictError
    │   └── RecordFormatError
    ├── SecretKeyError
    ├── ConfigValidationError
    ├── InvalidEventError
    └── IntegrationError
        ├── IntegrationAlreadyRegisteredError
        ├── IntegrationNotRegisteredError
        ├── IntegrationRegistrationError
        ├── IntegrationLoadError
        └── IntegrationStateError

They live here, in the lowest layer, so that every layer above can raise and
catch them without importing upwards. Messages name the id of the thing at
fault, and never contain a secret: URLs are shown with their password redacted.
An id a caller gave is quoted through ``shown_id``: cut short when long and with
control characters escaped, so a message never echoes 100 KB of input or a
terminal escape sequence back (the exception's attribute keeps it whole).
"""

from __future__ import annotations

from collections.abc import Mapping

from .ids import shown_id

__all__ = [
    "ConfigConflictError",
    "ConfigNotFoundError",
    "ConfigValidationError",
    "EmbeddedRedisError",
    "IntegrationAlreadyRegisteredError",
    "IntegrationError",
    "IntegrationLoadError",
    "IntegrationNotRegisteredError",
    "IntegrationRegistrationError",
    "IntegrationStateError",
    "InvalidEventError",
    "RecordFormatError",
    "RedisUnavailableError",
    "SecretKeyError",
    "SettingsError",
    "StoreError",
    "SwitchboardError",
]


class SwitchboardError(Exception):
    """The root of every exception Switchboard raises on purpose."""


class SettingsError(SwitchboardError):
    """The settings (environment variables) are invalid."""


class RedisUnavailableError(SwitchboardError):
    """Redis could not be reached. ``url`` never contains the password."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"Redis is unreachable at {url}: {reason}")


class EmbeddedRedisError(SwitchboardError):
    """A private redis-server could not be found or started."""


class SecretKeyError(SwitchboardError):
    """Secrets cannot be encrypted or decrypted: no key, a malformed key, or the wrong key."""


class StoreError(SwitchboardError):
    """A configuration store operation failed."""


class ConfigNotFoundError(StoreError):
    def __init__(self, config_id: str) -> None:
        self.config_id = config_id
        super().__init__(f'No configuration with id "{shown_id(config_id)}".')


class ConfigConflictError(StoreError):
    """A configuration kept changing under a read-modify-write; nothing was written."""

    def __init__(self, config_id: str, attempts: int) -> None:
        self.config_id = config_id
        super().__init__(
            f'Configuration "{shown_id(config_id)}" was changed concurrently {attempts} times '
            "in a row; the edit was not applied. Try again."
        )


class RecordFormatError(StoreError):
    """A stored record cannot be read (corrupt JSON, or a schema this version does not know)."""

    def __init__(self, record_id: str, reason: str) -> None:
        self.record_id = record_id
        super().__init__(f'Stored record "{shown_id(record_id)}" cannot be read: {reason}')


class ConfigValidationError(SwitchboardError):
    """Settings, conditions or metadata of a configuration are invalid.

    ``errors`` maps a field path (``"endpoint_url"``, ``"conditions.0.value"``)
    to a plain-words reason.
    """

    def __init__(self, errors: Mapping[str, str], *, subject: str = "configuration") -> None:
        self.errors = dict(errors)
        details = "; ".join(f"{field}: {reason}" for field, reason in self.errors.items())
        super().__init__(f"Invalid {subject}: {details}")


class InvalidEventError(SwitchboardError):
    """An event was refused where it entered: bad type, bad data, too large.

    Producers raise it before anything is written; a worker records it in
    the rejected-events log instead (``switchboard rejected list``).
    """

    def __init__(self, event_id: str | None, reason: str) -> None:
        self.event_id = event_id
        self.reason = reason
        subject = f'Event "{shown_id(event_id)}"' if event_id else "The event"
        super().__init__(f"{subject} was rejected: {reason}")


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
