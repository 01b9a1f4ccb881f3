"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is ``v1,`` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")),
where the key is the secret ``whsec_<base64>`` decoded. Several signatures
(during a secret's rotation) are separated by spaces; a receiver accepts the
message when any one matches. See https://www.standardwebhooks.com/.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Iterable
from typing import Final

from switchboard.config.errors import InvalidArgumentError

__all__ = [
    "SECRET_PREFIX",
    "generate_secret",
    "secret_key",
    "signature_header",
]

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format's prefix, not a secret
#: The shortest key the specification allows; generated secrets use 32 bytes.
_MIN_KEY_BYTES: Final = 24
_GENERATED_KEY_BYTES: Final = 32


def generate_secret() -> str:
    """A new secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_GENERATED_KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of ``secret``; ``InvalidArgumentError`` (a ``ValueError``) in plain
    words when it is not a valid one."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidArgumentError(f"a signing secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgumentError(f"a signing secret is {SECRET_PREFIX!r} and base64") from None
    if len(key) < _MIN_KEY_BYTES:
        raise InvalidArgumentError(f"a signing secret holds at least {_MIN_KEY_BYTES} bytes")
    return key


def signature_header(keys: Iterable[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,<signature>`` per key."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return " ".join(
        # hmac.digest: one call into OpenSSL, not an HMAC object built in Python per message.
        "v1," + base64.b64encode(hmac.digest(key, signed, "sha256")).decode()
        for key in keys
    )
