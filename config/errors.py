"""The root of every exception Switchboard raises, and the lowest layer's own.

Catch ``SwitchboardError`` to catch them all. Each exception lives with the
layer that raises it (imports point one way: worker -> integrations -> config),
and the whole tree is drawn here, with the module of each; a builtin an
exception also derives from is in brackets, for callers that catch that (a
test keeps the drawing true)::

    SwitchboardError                              config/errors.py
    ├── SettingsError                             config/errors.py
    ├── RedisUnavailableError                     config/errors.py
    ├── EmbeddedRedisError                        config/errors.py
    ├── SecretKeyError                            config/errors.py
    ├── StoreError                                config/errors.py
    │   ├── ConfigNotFoundError                   config/errors.py
    │   ├── ConfigConflictError                   config/errors.py
    │   ├── TenantFullError                       config/errors.py
    │   └── RecordFormatError                     config/errors.py
    ├── TokenNotFoundError                        config/errors.py
    ├── InvalidArgumentError [ValueError]         config/errors.py
    ├── UsageError [RuntimeError]                 config/errors.py
    ├── ConfigValidationError                     integrations/errors.py
    ├── IntegrationError                          integrations/errors.py
    │   ├── IntegrationAlreadyRegisteredError     integrations/errors.py
    │   ├── IntegrationNotRegisteredError         integrations/errors.py
    │   ├── IntegrationRegistrationError          integrations/errors.py
    │   ├── IntegrationLoadError                  integrations/errors.py
    │   └── IntegrationStateError                 integrations/errors.py
    ├── InvalidEventError                         worker/errors.py
    ├── ApiError                                  worker/errors.py
    ├── UntestableConfigError                     worker/errors.py
    ├── SealedRequestError [ValueError]           worker/errors.py
    └── BlockedAddressError [OSError]             worker/errors.py

Import each from its layer's package: ``switchboard.config``,
``switchboard.integrations``, ``switchboard.worker`` (``BlockedAddressError``
from ``switchboard.worker.delivery`` too). Messages name the id of the thing at
fault, and never contain a secret: URLs are shown with their password redacted.
An id a caller gave is quoted through ``shown_id``: cut short when long and with
control characters escaped, so a message never echoes 100 KB of input or a
terminal escape sequence back (the exception's attribute keeps it whole).
"""

from __future__ import annotations

from .ids import shown_id

__all__ = [
    "ConfigConflictError",
    "ConfigNotFoundError",
    "EmbeddedRedisError",
    "InvalidArgumentError",
    "RecordFormatError",
    "RedisUnavailableError",
    "SecretKeyError",
    "SettingsError",
    "StoreError",
    "SwitchboardError",
    "TenantFullError",
    "TokenNotFoundError",
    "UsageError",
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


class TenantFullError(StoreError):
    """A write would give a tenant more configurations than it may have; nothing was written."""

    def __init__(self, tenant: str, limit: int) -> None:
        self.tenant = tenant
        self.limit = limit
        super().__init__(
            f'Tenant "{shown_id(tenant)}" already has {limit} configurations, the most it may have.'
        )


class RecordFormatError(StoreError):
    """A stored record cannot be read (corrupt JSON, or a schema this version does not know)."""

    def __init__(self, record_id: str, reason: str) -> None:
        self.record_id = record_id
        super().__init__(f'Stored record "{shown_id(record_id)}" cannot be read: {reason}')


class TokenNotFoundError(SwitchboardError):
    """No stored API token has this id (never made, or revoked)."""

    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
        super().__init__(f'No API token with id "{shown_id(token_id)}".')


class InvalidArgumentError(SwitchboardError, ValueError):
    """A public call was given a value it does not take (a subscription pattern, a header
    the engine sets, a limit below 1); the message says which and why. A ``ValueError``
    too, as Python's own calls raise for a bad value."""


class UsageError(SwitchboardError, RuntimeError):
    """An object was used in a way its state does not allow (an ``HttpTransport`` outside
    ``async with``). A ``RuntimeError`` too."""
