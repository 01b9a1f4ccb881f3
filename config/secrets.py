"""Secrets at rest: configuration settings marked secret are encrypted before Redis sees them.

Each record lists its secret settings (``ConfigRecord.secret_settings``, set
by ``ConfigAdmin`` from the integration's config form). The store encrypts
those values on every write and decrypts them on every read, so Redis (and
its dumps, replicas and backups) holds ciphertext while every process works
with plain values in memory.

Encryption is Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``)
with keys from ``SWITCHBOARD_SECRET_KEY``: comma-separated, the first
encrypts, all decrypt. To rotate, put a new key first, keep the old ones
after it, and run ``switchboard secrets rotate`` to re-encrypt every record
with the new key; then drop the old keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeGuard

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import InvalidArgumentError, SecretKeyError
from .settings import Settings

__all__ = ["ENCRYPTED_PREFIX", "SecretBox", "generate_secret_key", "is_encrypted"]

#: Marks an encrypted value in a stored record: ``sbenc:1:<Fernet token>``.
ENCRYPTED_PREFIX: Final = "sbenc:1:"


def generate_secret_key() -> str:
    """A new key for ``SWITCHBOARD_SECRET_KEY``."""
    return Fernet.generate_key().decode()


def is_encrypted(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


class SecretBox:
    """Encrypts any JSON value with the first key; decrypts with any."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox | None:
        """The box for ``settings.secret_key``; ``None`` when no key is set."""
        keys = settings.secret_keys
        return cls(keys) if keys else None

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("SWITCHBOARD_SECRET_KEY holds no key")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip()))
            except ValueError:
                raise SecretKeyError(
                    f"SWITCHBOARD_SECRET_KEY: key {position} is not a valid key (32 url-safe "
                    "base64-encoded bytes; `switchboard secrets generate-key` makes one)"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, value: Any) -> str:
        return ENCRYPTED_PREFIX + self._fernet.encrypt(orjson.dumps(value)).decode()

    def decrypt(self, value: str) -> Any:
        if not is_encrypted(value):
            raise InvalidArgumentError("not an encrypted value")
        try:
            plain = self._fernet.decrypt(value[len(ENCRYPTED_PREFIX) :].encode())
        except InvalidToken:
            raise SecretKeyError(
                "a secret cannot be decrypted with any key in SWITCHBOARD_SECRET_KEY"
            ) from None
        return orjson.loads(plain)
