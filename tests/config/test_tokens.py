"""``Principal`` and ``Scope``: what a token may do, and whose records it sees."""

from __future__ import annotations

from switchboard.config import Principal, Scope


def test_an_admin_may_ingest_and_an_ingest_token_may_not_administer() -> None:
    admin, ingest = Principal(scope=Scope.ADMIN), Principal(scope=Scope.INGEST)
    assert admin.may(Scope.ADMIN)
    assert admin.may(Scope.INGEST)
    assert ingest.may(Scope.INGEST)
    assert not ingest.may(Scope.ADMIN)


def test_a_tenants_token_sees_that_tenant_only_and_a_global_one_every_tenant() -> None:
    acme = Principal(scope=Scope.ADMIN, tenant="acme", token_id="tok_1")
    assert acme.sees("acme")
    assert not acme.sees("globex")
    assert not acme.sees(None)  # the events with no tenant are not acme's either
    assert Principal(scope=Scope.ADMIN).sees("globex")
    assert Principal(scope=Scope.ADMIN).sees(None)
