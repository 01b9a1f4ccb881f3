"""The admin UI under test: a signed-in client of a real app, and what its pages hold.

``signed_in(client, token)`` signs in through the sign-in form, as a browser does; the
client keeps the session cookie. ``form_token(html)`` is the CSRF token a page's forms
carry, for the POSTs a test makes (``post_form`` adds it).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

__all__ = ["form_token", "post_form", "signed_in"]

_FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def signed_in(client: TestClient[Any, Any], token: str) -> str:
    """Sign in with ``token``; the form token of the session (for ``post_form``)."""
    answer = await client.post(
        "/ui/sign-in", data={"token": token, "next": "/ui/"}, allow_redirects=False
    )
    assert answer.status == 303, await answer.text()
    page = await client.get("/ui/")
    assert page.status == 200, await page.text()
    return form_token(await page.text())


def form_token(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match, "the page has no form with a form token"
    return match[1]


async def post_form(
    client: TestClient[Any, Any], path: str, csrf: str, data: dict[str, Any] | list[Any]
) -> Any:
    """POST a form as the page would (its form token added); redirects are not followed."""
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    return await client.post(path, data=[("csrf", csrf), *fields], allow_redirects=False)
