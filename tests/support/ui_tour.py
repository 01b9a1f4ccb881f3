"""An operator's tour of the admin UI in a real browser: the steps the browser tests take
(``tests/features/test_admin_ui.py``), and, with a folder to write to, the screenshots
``docs/ui.md`` shows (``scripts/ui-screenshots``: ``python -m support.ui_tour docs/ui``).

Each step acts as a person would (labels, buttons and links by their text), waits on
what the page shows or on the record the step must have made, never on time, and names
its screenshot after the page it ends on.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from playwright.async_api import Dialog, Page, expect

from switchboard.testing.waiting import wait_for_async

__all__ = ["Tour"]

T = TypeVar("T")

#: Longer than any page takes to load here, on a loaded machine too.
PAGE_TIMEOUT_MS = 20_000


@dataclass
class Tour:
    page: Page
    base: str
    shots: Path | None = None
    taken: list[str] = field(default_factory=list)
    #: Any alert, confirm or prompt a page opened: a script ran (hostile text was live).
    dialogs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page.on("dialog", self._dialog)

    async def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    async def shot(self, name: str) -> None:
        """A full-page screenshot named ``name`` (when the tour keeps them)."""
        self.taken.append(name)
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=self.shots / f"{name}.png", full_page=True)

    async def go(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def heading(self, name: str | re.Pattern[str]) -> None:
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(name)

    async def notice(self, words: str) -> None:
        await expect(self.page.get_by_role("status")).to_contain_text(words)

    async def click(self, role: str, name: str | re.Pattern[str]) -> None:
        await self.page.get_by_role(role, name=name, exact=isinstance(name, str)).first.click()  # type: ignore[arg-type]

    async def sign_in(self, token: str, *, shot: bool = False) -> None:
        await self.go("/ui/")
        await self.heading("Sign in")
        if shot:
            await self.shot("sign-in")
        await self.page.get_by_label("Token").fill(token)
        await self.click("button", "Sign in")
        await self.heading("Integrations")

    async def until(self, check: Callable[[], Awaitable[T | None]], what: str) -> T:
        """What ``check`` returns once it is something, reloading the page meanwhile."""

        async def reloaded() -> T | None:
            found = await check()
            if not found:
                await self.page.reload()
            return found

        return await wait_for_async(reloaded, what=what)


# -- the steps ------------------------------------------------------------------------------


async def add_webhook(tour: Tour, *, name: str, url: str) -> None:
    """Add a webhook configuration, first with a URL the form refuses (its error shows next
    to the field, in the CLI's words), then fixed."""
    page = tour.page
    await tour.go("/ui/")
    card = page.locator(".card").filter(has=page.get_by_role("heading", name="Webhook"))
    await card.get_by_role("link", name="Add configuration").click()
    await tour.heading("New configuration")
    await page.get_by_label(re.compile(r"^Name\b")).fill(name)  # "Name (required)"
    url_field = page.get_by_label(re.compile(r"^URL\b"))
    # A URL the browser's own check lets through (type=url), the form's refuses: not http(s).
    await url_field.fill("ftp://hooks.example.com/in")
    await tour.click("button", "Create")
    await expect(url_field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-setting-url-error")).to_contain_text("http")
    await tour.shot("config-form-error")
    await url_field.fill(url)
    await tour.click("button", "Create")
    await tour.notice("Configuration created.")
    await expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


async def toggle(tour: Tour, name: str) -> None:
    """Disable the configuration from its row in the list, then enable it again."""
    await tour.go("/ui/configs")
    await tour.click("button", f"Disable {name}")
    await tour.notice("Configuration disabled.")
    await tour.click("button", f"Enable {name}")
    await tour.notice("Configuration enabled.")


async def edit_conditions(tour: Tour, name: str) -> None:
    """Open the configuration, add a condition row, save only once it validates."""
    page = tour.page
    await tour.go("/ui/configs")
    await page.get_by_role("link", name=name, exact=True).click()
    await page.get_by_label("When all the rows match").check()
    await page.get_by_label("Condition 1: choice").fill("review.author")
    await page.get_by_label("Condition 1: operator").select_option("matches-regex")
    await page.get_by_label("Condition 1: value").fill("(unclosed")
    await tour.click("button", "Save")
    await expect(page.get_by_label("Condition 1: value")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("Condition 1: operator").select_option("is")
    await page.get_by_label("Condition 1: value").fill("alice")
    await tour.click("button", "Add a row")
    await expect(page.get_by_label("Condition 2: choice")).to_be_visible()
    await tour.click("button", "Save")
    await tour.notice("Configuration saved.")
    await page.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_label("Condition 1: value")).to_have_value("alice")
    await tour.shot("config-form")


async def send_test_event(tour: Tour, name: str) -> None:
    """From the configuration's page, send a test event; see its delivery and attempts."""
    page = tour.page
    await tour.go("/ui/configs")
    await page.get_by_role("link", name=name, exact=True).click()
    await tour.click("button", "Send a test event")
    await tour.heading("Deliveries")
    await tour.notice("Test event queued")
    rows = page.locator("table.deliveries tbody tr")

    async def delivered() -> bool:
        return (
            await rows.filter(has_text="switchboard.test").filter(has_text="delivered").count() > 0
        )

    await tour.until(delivered, what="the test event's delivery")
    await tour.shot("deliveries")
    await rows.filter(has_text="switchboard.test").first.get_by_role("link").first.click()
    await tour.heading(re.compile("^Delivery "))
    attempts = page.locator("table.attempts tbody tr")
    await expect(attempts).to_have_count(1)
    await expect(attempts.first).to_contain_text("200")
    await tour.shot("delivery")


async def replay_dead_letter(tour: Tour, name: str, heal: Callable[[], None]) -> None:
    """On the dead letters page, replay the configuration's dead letter once its endpoint is
    back (``heal``); it is delivered."""
    page = tour.page
    await tour.go("/ui/dead-letters")
    await tour.heading("Dead letters")
    row = page.locator("table.deliveries tbody tr").filter(has_text=name)
    await expect(row).to_have_count(1)
    await tour.shot("dead-letters")
    heal()
    await row.get_by_role("button", name="Replay").click()
    await tour.notice("replayed")

    async def delivered() -> bool:
        await tour.go("/ui/deliveries?status=delivered")
        found = page.locator("table.deliveries tbody tr").filter(has_text=name)
        return await found.count() > 0

    await wait_for_async(delivered, timeout=30, what="the replayed delivery delivered")


async def visit_every_page(tour: Tour) -> None:
    """The pages not yet seen, each loaded (and photographed)."""
    for path, heading, name in (
        ("/ui/", "Integrations", "integrations"),
        ("/ui/configs", "Configurations", "configs"),
        ("/ui/rejected", "Rejected events", "rejected"),
        ("/ui/fleet", "Fleet", "fleet"),
    ):
        await tour.go(path)
        await tour.heading(heading)
        await tour.shot(name)


async def hostile_text_is_inert(tour: Tour, hostile: str) -> None:
    """A configuration named with markup, a receiver answering markup, a rejected event of
    markup: each shows as the text it is, and no script runs (no dialog opens)."""
    page = tour.page
    await tour.go("/ui/configs")
    await expect(page.get_by_role("link", name=hostile, exact=True)).to_be_visible()
    await tour.go("/ui/rejected")
    await expect(page.locator("table.rejected")).to_contain_text(hostile)
    await tour.go("/ui/deliveries")
    row = page.locator("table.deliveries tbody tr").filter(has_text=hostile)  # its name
    await row.first.get_by_role("link").first.click()
    await expect(page.locator("table.attempts")).to_contain_text(hostile)
    assert await page.locator("main script, main img[src='x']").count() == 0
    assert tour.dialogs == []


async def tenant_sees_its_own(tour: Tour, token: str, *, mine: str, others_id: str) -> None:
    """Signed in with a tenant's token: its configuration only, another's a 404."""
    page = tour.page
    await tour.sign_in(token)
    await expect(page.locator("header .who")).to_contain_text("acme")
    await tour.go("/ui/configs")
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(mine)
    await tour.shot("tenant-configs")
    answer = await page.goto(f"{tour.base}/ui/configs/{others_id}")
    assert answer is not None
    assert answer.status == 404
