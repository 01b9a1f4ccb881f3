"""Admin UI sign-ins: a cookie holding a random secret, and a record in Redis under its hash.

Signing in with a token (the admin token, or a tenant's admin token) opens a session:
``SessionStore.open`` writes ``{prefix}:ui:session:<sha256 of the cookie's secret>``
with the principal, the SHA-256 of the token it was opened with and the form token
(CSRF) of the session, for ``Settings.ui_session_ttl``. Each request reads it back (one
GET) and checks the token still stands: a stored token not revoked (one EXISTS of its
digest's key), the environment's admin token not changed. Signing out deletes it.

Written here rather than taken from aiohttp-session: its Redis storage names keys after
the cookie, outside ``RedisKeys``' prefix, and knows nothing of the token a session
stands on, which must end the session when it is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

import orjson

from switchboard.config import Principal, Redis, RedisKeys, Scope, Settings

__all__ = ["COOKIE", "Session", "SessionStore", "token_digest"]

#: The session cookie's name; ``__Host-`` is not used, as the UI is served over plain HTTP
#: on loopback in development, where a ``__Host-`` cookie (Secure only) is refused.
COOKIE: Final = "switchboard_session"
_SECRET_BYTES: Final = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A signed-in operator: who (``principal``) and the form token every POST must carry."""

    principal: Principal
    csrf: str
    token_digest: str

    def form_token_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.csrf.encode(), given.encode())


class SessionStore:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._keys = RedisKeys(settings.key_prefix)
        self._settings = settings

    async def open(self, principal: Principal, token: str) -> str:
        """A new session for ``principal`` (signed in with ``token``); its cookie's value."""
        cookie = secrets.token_urlsafe(_SECRET_BYTES)
        record = {
            "scope": principal.scope,
            "tenant": principal.tenant,
            "token_id": principal.token_id,
            "token_digest": token_digest(token),
            "csrf": secrets.token_urlsafe(_SECRET_BYTES),
        }
        await self._redis.set(
            self._key(cookie), orjson.dumps(record), ex=int(self._settings.ui_session_ttl)
        )
        return cookie

    async def get(self, cookie: str | None) -> Session | None:
        """The session of ``cookie``, if it is open and its token still stands."""
        if not cookie or len(cookie) > 100:
            return None
        raw = await self._redis.get(self._key(cookie))
        if raw is None:
            return None
        record = orjson.loads(raw)
        session = Session(
            principal=Principal(
                scope=Scope(record["scope"]), tenant=record["tenant"], token_id=record["token_id"]
            ),
            csrf=record["csrf"],
            token_digest=record["token_digest"],
        )
        return session if await self._token_stands(session) else None

    async def close(self, cookie: str | None) -> None:
        if cookie:
            await self._redis.delete(self._key(cookie))

    async def _token_stands(self, session: Session) -> bool:
        if session.principal.token_id is not None:  # a stored token: not revoked
            return bool(await self._redis.exists(self._keys.token_by_digest(session.token_digest)))
        admin = self._settings.admin_token  # the environment's: still the one set
        current = token_digest(admin.get_secret_value()) if admin is not None else ""
        return hmac.compare_digest(current.encode(), session.token_digest.encode())

    def _key(self, cookie: str) -> str:
        return self._keys.ui_session(token_digest(cookie))
