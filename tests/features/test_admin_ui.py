"""The issue's "done when" for the admin UI, in headless Chromium (Playwright on Debian's
``chromium``): an operator signs in, adds a webhook configuration and sees a validation
error next to its field, fixes it, toggles it, edits its conditions, sends a test event
and sees its delivery and attempts, replays a dead letter; a tenant's token sees only its
tenant; hostile text from events, configurations and receivers renders inert. The steps
are ``support.ui_tour``'s, the scene ``support.ui_scene``'s (what scripts/ui-screenshots
photographs for docs/ui.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser
from support import ui_tour
from support.ui_scene import ADMIN_TOKEN, HOSTILE, Scene, scene
from support.ui_tour import Tour

from switchboard.config import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
async def the_scene(settings: Settings) -> AsyncIterator[Scene]:
    async with scene(settings) as ready:
        yield ready


async def _tour(browser: Browser, the_scene: Scene) -> Tour:
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    return Tour(page=await context.new_page(), base=the_scene.base)


async def test_an_operators_round(browser: Browser, the_scene: Scene) -> None:
    tour = await _tour(browser, the_scene)
    await tour.sign_in(ADMIN_TOKEN)
    await ui_tour.add_webhook(tour, name="CI builds", url=the_scene.sink.url("/ci"))
    await ui_tour.toggle(tour, "CI builds")
    await ui_tour.edit_conditions(tour, "CI builds")
    await ui_tour.send_test_event(tour, "CI builds")
    assert len(the_scene.sink.at("/ci")) == 1  # the test event, and nothing else
    await ui_tour.replay_dead_letter(tour, the_scene.failing, the_scene.heal)
    await ui_tour.visit_every_page(tour)
    assert tour.dialogs == []


async def test_hostile_text_renders_inert(browser: Browser, the_scene: Scene) -> None:
    tour = await _tour(browser, the_scene)
    await tour.sign_in(ADMIN_TOKEN)
    await ui_tour.hostile_text_is_inert(tour, HOSTILE)


async def test_a_tenants_token_sees_only_its_tenant(browser: Browser, the_scene: Scene) -> None:
    tour = await _tour(browser, the_scene)
    await ui_tour.tenant_sees_its_own(
        tour,
        the_scene.tenant_token,
        mine=the_scene.tenant_config,
        others_id=the_scene.other_tenant_config_id,
    )
