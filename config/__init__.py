"""Settings, the Redis connection and the configuration store: the lowest layer.

Nothing here imports from ``switchboard.integrations`` or ``switchboard.worker``.
Each name below is imported from its module when first asked for
(``switchboard.config.lazy``), so ``from switchboard.config import Settings``
loads settings, not the store, the cache or cryptography.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .cache import ChangeListener, ConfigCache, ConfigSource
    from .clock import utc_now
    from .connection import (
        REDIS_DOWN_ERRORS,
        Redis,
        SyncRedis,
        describe_redis_error,
        lost_redis,
        open_redis,
        redact_url,
        redis_client,
        sync_redis_client,
    )
    from .embedded import EmbeddedRedis, find_redis_server
    from .errors import (
        ConfigConflictError,
        ConfigNotFoundError,
        EmbeddedRedisError,
        InvalidArgumentError,
        RecordFormatError,
        RedisUnavailableError,
        SecretKeyError,
        SettingsError,
        StoreError,
        SwitchboardError,
        TenantFullError,
        TokenNotFoundError,
        UsageError,
    )
    from .ids import SHOWN_ID_MAX, new_id, shown_id
    from .keys import (
        ARQ_IN_PROGRESS_KEY_PREFIX,
        ARQ_JOB_KEY_PREFIX,
        CONFIG_ATTEMPTS_KEPT,
        CONFIG_CHANGE_LOG_MAX,
        EVENT_DEDUP_TTL,
        LEASE,
        REJECTED_EVENTS_MAX,
        RedisKeys,
    )
    from .records import (
        CONFIG_SCHEMA_VERSION,
        TENANT_RULE,
        ConfigRecord,
        checked_tenant,
        new_config_id,
    )
    from .secrets import ENCRYPTED_PREFIX, SecretBox, generate_secret_key, is_encrypted
    from .settings import DEFAULT_REDIS_URL, Settings, load_settings
    from .store import UNSET, ConfigChanges, ConfigStore, Unset
    from .tokens import (
        TOKEN_PREFIX,
        Principal,
        Scope,
        TokenRecord,
        TokenStore,
        new_token_secret,
        resolve_token,
    )

__all__ = [
    "ARQ_IN_PROGRESS_KEY_PREFIX",
    "ARQ_JOB_KEY_PREFIX",
    "CONFIG_ATTEMPTS_KEPT",
    "CONFIG_CHANGE_LOG_MAX",
    "CONFIG_SCHEMA_VERSION",
    "DEFAULT_REDIS_URL",
    "ENCRYPTED_PREFIX",
    "EVENT_DEDUP_TTL",
    "LEASE",
    "REDIS_DOWN_ERRORS",
    "REJECTED_EVENTS_MAX",
    "SHOWN_ID_MAX",
    "TENANT_RULE",
    "TOKEN_PREFIX",
    "UNSET",
    "ChangeListener",
    "ConfigCache",
    "ConfigChanges",
    "ConfigConflictError",
    "ConfigNotFoundError",
    "ConfigRecord",
    "ConfigSource",
    "ConfigStore",
    "EmbeddedRedis",
    "EmbeddedRedisError",
    "InvalidArgumentError",
    "Principal",
    "RecordFormatError",
    "Redis",
    "RedisKeys",
    "RedisUnavailableError",
    "Scope",
    "SecretBox",
    "SecretKeyError",
    "Settings",
    "SettingsError",
    "StoreError",
    "SwitchboardError",
    "SyncRedis",
    "TenantFullError",
    "TokenNotFoundError",
    "TokenRecord",
    "TokenStore",
    "Unset",
    "UsageError",
    "checked_tenant",
    "describe_redis_error",
    "find_redis_server",
    "generate_secret_key",
    "is_encrypted",
    "load_settings",
    "lost_redis",
    "new_config_id",
    "new_id",
    "new_token_secret",
    "open_redis",
    "redact_url",
    "redis_client",
    "resolve_token",
    "shown_id",
    "sync_redis_client",
    "utc_now",
]

#: Where each name lives, imported on first use (``switchboard.config.lazy``).
_HOMES = {
    ".cache": ("ChangeListener", "ConfigCache", "ConfigSource"),
    ".clock": ("utc_now",),
    ".connection": (
        "REDIS_DOWN_ERRORS",
        "Redis",
        "SyncRedis",
        "describe_redis_error",
        "lost_redis",
        "open_redis",
        "redact_url",
        "redis_client",
        "sync_redis_client",
    ),
    ".embedded": ("EmbeddedRedis", "find_redis_server"),
    ".errors": (
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
    ),
    ".ids": ("SHOWN_ID_MAX", "new_id", "shown_id"),
    ".keys": (
        "ARQ_IN_PROGRESS_KEY_PREFIX",
        "ARQ_JOB_KEY_PREFIX",
        "CONFIG_ATTEMPTS_KEPT",
        "CONFIG_CHANGE_LOG_MAX",
        "EVENT_DEDUP_TTL",
        "LEASE",
        "REJECTED_EVENTS_MAX",
        "RedisKeys",
    ),
    ".records": (
        "CONFIG_SCHEMA_VERSION",
        "TENANT_RULE",
        "ConfigRecord",
        "checked_tenant",
        "new_config_id",
    ),
    ".secrets": ("ENCRYPTED_PREFIX", "SecretBox", "generate_secret_key", "is_encrypted"),
    ".settings": ("DEFAULT_REDIS_URL", "Settings", "load_settings"),
    ".tokens": (
        "TOKEN_PREFIX",
        "Principal",
        "Scope",
        "TokenRecord",
        "TokenStore",
        "new_token_secret",
        "resolve_token",
    ),
    ".store": ("UNSET", "ConfigChanges", "ConfigStore", "Unset"),
}

if not TYPE_CHECKING:  # mypy and IDEs read the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
