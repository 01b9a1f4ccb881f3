"""API tokens: who a request is (``Principal``), and what it may do (``Scope``).

Three kinds of token authenticate a request to ``switchboard web``:

* the admin token (``SWITCHBOARD_ADMIN_TOKEN``): everything, every tenant;
* the ingest token (``SWITCHBOARD_INGEST_TOKEN``): emitting events only, for any tenant;
* tenant-scoped tokens (``switchboard tokens create --tenant T --scope admin|ingest``),
  stored as hashes in Redis: the same, for one tenant's configurations, deliveries and
  events only.

Each resolves to one ``Principal``; the API's handlers check its ``scope`` and keep to its
``tenant`` (``None``: every tenant).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Principal", "Scope"]


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
