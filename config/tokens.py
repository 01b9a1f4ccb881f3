"""API tokens: who a request is (``Principal``), and what it may do (``Scope``).

Three kinds of token authenticate a request to ``switchboard web``:

* the admin token (``SWITCHBOARD_ADMIN_TOKEN``): everything, every tenant;
* the ingest token (``SWITCHBOARD_INGEST_TOKEN``): emitting events only, for any tenant;
* tenant-scoped tokens (``switchboard tokens create --tenant T --scope admin|ingest``),
  stored as hashes in Redis: the same, for one tenant's configurations, deliveries and
  events only.

Each resolves to one ``Principal``; the API's handlers check its ``scope`` and keep to its
``tenant`` (``None``: every tenant).

``TokenStore`` keeps the stored tokens. A token's secret (``sbt_`` and 43 random URL-safe
characters) is shown once, when it is made; Redis holds only its SHA-256, as the key
its record is found under, so ``verify`` (``resolve_token``) is one GET. ``revoke``
deletes that key: the token stops working with the next request.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, cast

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .clock import utc_now
from .connection import Redis
from .errors import InvalidArgumentError, RecordFormatError, TokenNotFoundError
from .field_errors import errors_text, field_errors
from .ids import new_id
from .keys import RedisKeys
from .records import checked_tenant
from .settings import Settings
from .store import UNSET, Unset

__all__ = [
    "TOKEN_PREFIX",
    "Principal",
    "Scope",
    "TokenRecord",
    "TokenStore",
    "new_token_secret",
    "resolve_token",
]

#: How every stored token's secret starts: recognisable in a leaked log or a secret
#: scanner's rules, and a request's other tokens are turned away without a Redis call.
TOKEN_PREFIX: Final = "sbt_"  # noqa: S105 - a prefix, not a secret
#: The schema version of a stored token this release writes.
TOKEN_SCHEMA_VERSION: Final = 1
#: Random bytes in a secret (43 URL-safe characters): 256 bits, nothing to guess.
_SECRET_BYTES: Final = 32
#: The longest thing ``verify`` hashes; a real secret is 47 characters.
_SECRET_MAX_CHARS: Final = 128
#: How many of the secret's last characters a listing shows, to tell tokens apart.
_HINT_CHARS: Final = 4
_NAME_MAX_CHARS: Final = 200


class Scope(StrEnum):
    """What a token may do."""

    #: Everything an operator does (configurations, deliveries, emitting).
    ADMIN = "admin"
    #: Emitting events, nothing else.
    INGEST = "ingest"


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who made a request: the scope of its token and the tenant it is held to."""

    scope: Scope
    #: The one tenant this token sees and changes; ``None``: every tenant.
    tenant: str | None = None
    #: The stored token's id (``tok_...``), for logs and revocation; ``None`` for the
    #: tokens from the environment.
    token_id: str | None = None

    def may(self, scope: Scope) -> bool:
        """Whether this principal may do what ``scope`` allows (admin may also ingest)."""
        return self.scope is Scope.ADMIN or self.scope is scope

    def sees(self, tenant: str | None) -> bool:
        """Whether a record of ``tenant`` is this principal's to see or change."""
        return self.tenant is None or self.tenant == tenant


class TokenRecord(BaseModel):
    """A stored token as listings show it: never its secret, nor the secret's hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = TOKEN_SCHEMA_VERSION
    id: str = Field(min_length=1)
    scope: Scope
    #: The one tenant it sees and changes; ``None``: every tenant.
    tenant: str | None = None
    #: What the operator called it (who holds it, what for).
    name: str | None = None
    created_at: datetime
    #: The secret's last characters, to tell which token a holder has.
    hint: str

    def principal(self) -> Principal:
        return Principal(scope=self.scope, tenant=self.tenant, token_id=self.id)


def new_token_secret() -> str:
    """A new token's secret: ``sbt_`` and 256 random bits, URL-safe (47 characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def _digest(secret: str) -> str:
    # SHA-256, not a slow password hash (bcrypt, scrypt): a secret is 256 random bits, so
    # there is no dictionary to try and nothing a slow hash would protect; and a fast one
    # keeps each request's lookup cheap. No salt is needed for the same reason, and without
    # one the digest itself is the lookup key.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _decode(token_id: str, raw: bytes) -> tuple[TokenRecord, str]:
    """A stored token: its record and its secret's digest. ``RecordFormatError`` names it."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RecordFormatError(token_id, f"not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(digest := data.pop("digest", None), str):
        raise RecordFormatError(token_id, "not a stored token (no digest)")
    version = data.get("schema_version")
    if not isinstance(version, int) or version > TOKEN_SCHEMA_VERSION:
        raise RecordFormatError(
            token_id, f"schema_version {version!r} is not one this Switchboard understands"
        )
    try:
        return TokenRecord.model_validate(data), digest
    except ValidationError as exc:
        raise RecordFormatError(token_id, errors_text(field_errors(exc)[:1])) from None


class TokenStore:
    """Stored API tokens: made, listed, revoked, and a request's token looked up."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    @classmethod
    def for_settings(cls, redis: Redis, settings: Settings) -> TokenStore:
        """The tokens of ``settings``' deployment (its key prefix)."""
        return cls(redis, RedisKeys(settings.key_prefix))

    async def create(
        self, scope: Scope, tenant: str | None, name: str | None = None
    ) -> tuple[TokenRecord, str]:
        """A new token of ``scope`` for ``tenant`` (``None``: every tenant): its record, and
        its secret, which is not kept and cannot be shown again.

        ``InvalidArgumentError`` for a tenant that breaks configurations' rule, or a name of
        more than 200 characters.
        """
        tenant = checked_tenant(tenant)
        name = (name or "").strip() or None
        if name is not None and len(name) > _NAME_MAX_CHARS:
            raise InvalidArgumentError(
                f"a token's name must be at most {_NAME_MAX_CHARS} characters"
            )
        secret = new_token_secret()
        record = TokenRecord(
            id=new_id("tok"),
            scope=Scope(scope),
            tenant=tenant,
            name=name,
            created_at=utc_now(),
            hint=secret[-_HINT_CHARS:],
        )
        digest = _digest(secret)
        stored = orjson.dumps({**record.model_dump(mode="json"), "digest": digest}).decode()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.tokens, record.id, stored)
            pipe.set(self._keys.token_by_digest(digest), stored)
            await pipe.execute()
        return record, secret

    async def verify(self, secret: str) -> Principal | None:
        """Who ``secret`` is, or ``None`` (no such token, or revoked): at most one GET."""
        if (
            not secret.startswith(TOKEN_PREFIX)
            or len(secret) > _SECRET_MAX_CHARS
            or not secret.isascii()
        ):
            return None
        digest = _digest(secret)
        raw = await self._redis.get(self._keys.token_by_digest(digest))
        if raw is None:
            return None
        record, stored_digest = _decode("a stored token", raw)
        # The digest was the key, so this holds; compared in constant time all the same,
        # as every comparison of a secret's derivative should be.
        if not hmac.compare_digest(stored_digest, digest):
            return None
        return record.principal()

    async def revoke(self, token_id: str) -> TokenRecord:
        """Delete a token: it stops working at once. ``TokenNotFoundError`` when there is none."""
        raw = await cast("Awaitable[bytes | None]", self._redis.hget(self._keys.tokens, token_id))
        if raw is None:
            raise TokenNotFoundError(token_id)
        record, digest = _decode(token_id, raw)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.token_by_digest(digest))
            pipe.hdel(self._keys.tokens, token_id)
            await pipe.execute()
        return record

    async def list(self, tenant: str | Unset | None = UNSET) -> builtins.list[TokenRecord]:
        """The stored tokens, oldest first: of ``tenant`` (``None``: the tokens for every
        tenant) or, by default, all of them. ``RecordFormatError`` names one unreadable."""
        stored = await cast("Awaitable[dict[bytes, bytes]]", self._redis.hgetall(self._keys.tokens))
        records = [_decode(key.decode(), raw)[0] for key, raw in stored.items()]
        if not isinstance(tenant, Unset):
            records = [record for record in records if record.tenant == tenant]
        return sorted(records, key=lambda record: (record.created_at, record.id))


async def resolve_token(store: TokenStore, token: str) -> Principal | None:
    """The API's resolver for tokens other than the environment's: ``store.verify``."""
    return await store.verify(token)
