"""A real browser for the tests: Playwright's async API driving Debian's ``chromium``.

The one place Chromium is launched (the chat previews' tests and command here, the web
UI's tests later). Playwright's own browser downloads are never used (``scripts/test``
installs ``/usr/bin/chromium``), so nothing is fetched at test time. The flags are the
ones that work on a machine with no network: without the background-networking ones,
Chromium's start-up connections (updates, sync, field trials) are refused and it stalls
or logs errors; ``--no-sandbox`` because CI runs as root, where Chromium's sandbox
cannot start. Each launch gets a fresh user-data directory (Playwright makes a temporary
profile for every ``launch`` and deletes it on ``close``; it refuses ``--user-data-dir``
in ``args``), so no test sees another's cookies or storage.

Fixtures (function-scoped, so each test has its own event loop's browser):

* ``browser``: a launched Chromium (a persistent context's browser is not offered: a
  test opens its own contexts with the options it needs, ``bypass_csp`` say);
* ``page``: a page in a fresh context, 720 pixels wide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "VIEWPORT", "browser", "chromium", "page"]

CHROMIUM: Final = Path("/usr/bin/chromium")
LAUNCH_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: The pages' size: chat clients' message columns are about this wide.
VIEWPORT: Final[ViewportSize] = {"width": 720, "height": 600}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """``async with chromium() as browser``: Debian's Chromium, closed on the way out."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        yield await context.new_page()
    finally:
        await context.close()
