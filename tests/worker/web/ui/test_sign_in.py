"""``/ui/sign-in`` and the guard: a token for a session cookie (HttpOnly, SameSite=Strict),
pages only when signed in, a form token on every POST, a revoked token ending its
session, and the security headers on every page."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support.api import ADMIN, INGEST
from support.ui import form_token, post_form, signed_in

from switchboard.config import Scope, Settings, TokenStore, open_redis
from switchboard.worker.web import create_app
from switchboard.worker.web.ui.guard import safe_next


async def test_a_page_asks_to_sign_in_and_comes_back_after(client: TestClient[Any, Any]) -> None:
    away = await client.get("/ui/configs?integration_id=x", allow_redirects=False)
    assert away.status == 303
    assert away.headers["Location"] == "/ui/sign-in?next=/ui/configs?integration_id%3Dx"
    form = await client.get(away.headers["Location"])
    assert 'name="next" value="/ui/configs?integration_id=x"' in await form.text()
    answer = await client.post(
        "/ui/sign-in",
        data={"token": ADMIN, "next": "/ui/configs?integration_id=x"},
        allow_redirects=False,
    )
    assert (answer.status, answer.headers["Location"]) == (303, "/ui/configs?integration_id=x")
    cookie = answer.headers["Set-Cookie"]
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would not return
    assert ADMIN not in cookie


async def test_behind_https_the_cookie_is_secure(client: TestClient[Any, Any]) -> None:
    answer = await client.post(
        "/ui/sign-in",
        data={"token": ADMIN},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    assert "Secure" in answer.headers["Set-Cookie"]


async def test_a_wrong_token_or_an_ingest_token_is_refused(client: TestClient[Any, Any]) -> None:
    for token, words in (("nope", "not valid"), (INGEST, "not an admin token")):
        answer = await client.post("/ui/sign-in", data={"token": token}, allow_redirects=False)
        assert answer.status == 401
        page = await answer.text()
        assert words in page
        assert token not in page
        assert "Set-Cookie" not in answer.headers


async def test_next_never_leaves_the_ui() -> None:
    for target in ("https://evil.example/", "//evil.example/ui/", "/api/configs", "", None,
                   "/ui/\\evil", "/ui/x?y=1"):  # fmt: skip
        assert safe_next(target) in ("/ui/", "/ui/x?y=1")
    assert safe_next("/ui/x?y=1") == "/ui/x?y=1"


async def test_a_post_needs_the_form_token_and_this_origin(
    client: TestClient[Any, Any], csrf: str
) -> None:
    replay = "/ui/dead-letters/replay"  # a POST that changes something: replays every one
    missing = await client.post(replay, data={"all": "1"}, allow_redirects=False)
    assert missing.status == 403
    wrong = await post_form(client, replay, "x" * len(csrf), {"all": "1"})
    assert wrong.status == 403
    elsewhere = await client.post(
        replay,
        data={"csrf": csrf, "all": "1"},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert elsewhere.status == 403
    assert (await post_form(client, replay, csrf, {"all": "1"})).status == 303


async def test_signing_out_ends_the_session_and_works_once_it_has_ended(
    client: TestClient[Any, Any], csrf: str
) -> None:
    signed_out = await post_form(client, "/ui/sign-out", csrf, {})
    assert (signed_out.status, signed_out.headers["Location"]) == (
        303,
        "/ui/sign-in?notice=signed_out",
    )
    assert (await client.get("/ui/", allow_redirects=False)).status == 303
    again = await client.post("/ui/sign-out", data={}, allow_redirects=False)  # no session
    assert again.status == 303
    elsewhere = await client.post(
        "/ui/sign-out", headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    assert elsewhere.status == 403


async def test_a_deep_link_comes_back_whole_after_signing_in(
    client: TestClient[Any, Any],
) -> None:
    away = await client.get("/ui/deliveries?status=dead&config_id=cfg_a", allow_redirects=False)
    form = await (await client.get(away.headers["Location"])).text()
    assert 'name="next" value="/ui/deliveries?status=dead&amp;config_id=cfg_a"' in form


async def test_a_sign_in_from_another_site_is_refused(client: TestClient[Any, Any]) -> None:
    answer = await client.post(
        "/ui/sign-in",
        data={"token": ADMIN},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert answer.status == 403


async def test_a_revoked_token_ends_its_session(settings: Settings) -> None:
    async with open_redis(settings) as redis:
        tokens = TokenStore.for_settings(redis, settings)
        record, secret = await tokens.create(Scope.ADMIN, "acme")
        async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
            await signed_in(client, secret)
            page = await (await client.get("/ui/")).text()
            assert "tenant <b>acme</b>" in page
            await tokens.revoke(record.id)
            assert (await client.get("/ui/", allow_redirects=False)).status == 303


async def test_every_page_has_the_security_headers(client: TestClient[Any, Any], csrf: str) -> None:
    for path in ("/ui/", "/ui/sign-in", "/ui/assets/style.css", "/ui/no-such-page"):
        answer = await client.get(path, allow_redirects=False)
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "script-src" not in policy  # none at all: default-src 'none' covers it
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    page = await client.get("/ui/")
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script" not in await page.text()
    assert form_token(await page.text()) == csrf


async def test_a_tenants_pages_count_in_its_api_quota(settings: Settings) -> None:
    held = settings.model_copy(update={"tenant_api_rate": 1 / 3600, "tenant_api_burst": 3})
    async with open_redis(held) as redis:
        _, secret = await TokenStore.for_settings(redis, held).create(Scope.ADMIN, "acme")
    async with TestClient(TestServer(create_app(held), host="127.0.0.1")) as client:
        await signed_in(client, secret)  # its first page: one of the three
        assert (await client.get("/ui/configs")).status == 200
        assert (await client.get("/ui/deliveries")).status == 200
        refused = await client.get("/ui/fleet")
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) > 3000
        assert (await client.get("/ui/assets/style.css")).status == 200  # files do not count
