"""An operator's tour of the admin UI in a real browser: the steps the browser tests take,
and, with a folder to write to, the screenshots ``docs/ui.md`` shows (``scripts/ui-shots``
runs ``python -m support.ui_tour docs/ui``).

Each step acts as a person would (labels, buttons and links by their text), waits on
what the page shows, never on time, and names its screenshot after the page it ends on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page, expect

__all__ = ["Tour"]

#: Longer than any page takes to load here, on a loaded machine too.
_PAGE_TIMEOUT_MS = 20_000


@dataclass
class Tour:
    page: Page
    base: str
    shots: Path | None = None
    taken: list[str] = field(default_factory=list)

    async def shot(self, name: str) -> None:
        """A full-page screenshot named ``name`` (when the tour keeps them)."""
        self.taken.append(name)
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=self.shots / f"{name}.png", full_page=True)

    async def go(self, path: str) -> None:
        await self.page.goto(self.base + path, timeout=_PAGE_TIMEOUT_MS)

    async def sign_in(self, token: str, *, shot: bool = False) -> None:
        await self.go("/ui/")
        await expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()
        if shot:
            await self.shot("sign-in")
        await self.page.get_by_label("Token").fill(token)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.page.get_by_role("heading", name="Integrations")).to_be_visible()

    async def notice(self, words: str) -> None:
        await expect(self.page.get_by_role("status")).to_contain_text(words)

    async def submit(self, name: str | re.Pattern[str]) -> None:
        await self.page.get_by_role("button", name=name).click()
