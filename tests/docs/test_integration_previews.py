"""docs/integrations/: the chat previews in a real Chromium, their safety against hostile
text, and the committed payloads against what the integrations render now."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from support.browser import VIEWPORT
from support.previews import PREVIEWS
from support.previews.__main__ import DOCS, payload_json
from support.previews.examples import EXAMPLES
from support.previews.matrix import sanitise
from support.previews.page import document, markdown
from support.previews.samples import SERVICES, find_integration, render_payload

TITLE = "#42: Fix the parser"
SUMMARY = "New review from Alice Liddell (Fix it, then Ship it!)"
URL = "https://rb.example.com/r/42/#review7"
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & @everyone'


@pytest.mark.parametrize("service", list(PREVIEWS))
async def test_each_preview_shows_the_message(page: Page, service: str) -> None:
    await page.set_content(PREVIEWS[service](EXAMPLES[service]))
    main = page.locator("main")
    await expect(main.get_by_text(TITLE, exact=True)).to_be_visible()
    await expect(main.get_by_text("2 issues")).to_be_visible()
    await expect(main.get_by_text("Two nits, then it's good to go.")).to_be_visible()
    summary = main.get_by_role("link", name=SUMMARY)
    if service == "discord":  # an embed links its title; the summary is bold text
        summary = main.get_by_role("link", name=TITLE)
    await expect(summary).to_have_attribute("href", URL)
    # Within the fixed width, as the screenshots are.
    box = await main.bounding_box()
    assert box is not None
    assert box["width"] == VIEWPORT["width"]


async def test_the_colour_bars_are_the_payloads_colours(page: Page) -> None:
    for service in ("mattermost", "discord"):
        await page.set_content(PREVIEWS[service](EXAMPLES[service]))
        await expect(page.locator(".bar")).to_have_css("background-color", "rgb(218, 160, 56)")


def hostile(service: str) -> dict[str, Any]:
    """The service's example with hostile text in every string an event can reach, as its
    integration would write it: Slack's three entities escaped (else ``<script>`` is a
    control sequence to Slack, not text), the Markdown services' raw (the harsher case)."""
    text = HOSTILE
    if service == "slack":
        text = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def poison(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v, key) for v in value]
        if isinstance(value, str) and key in {"text", "title", "value", "name", "description"}:
            return text
        if isinstance(value, str) and key in {"url", "title_link", "author_link"}:
            return "javascript:window.pwned=3"
        return value

    payload = poison(copy.deepcopy(EXAMPLES[service]))
    if service == "matrix":  # HTML: the integration escapes the text it puts in it
        payload["formatted_body"] = "<p>" + HOSTILE.replace("&", "&amp;").replace("<", "&lt;")
    return payload


@pytest.fixture
async def no_csp_page(browser: Browser) -> Page:
    # The CSP would stop script anyway: without it, only the escaping stands in the way.
    context = await browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    return await context.new_page()


async def test_the_probe_sees_script_run_when_text_is_not_escaped(no_csp_page: Page) -> None:
    # The hostile test's checks can fail: unescaped, the same text runs.
    await no_csp_page.set_content(f"<main>{HOSTILE}</main>")
    await no_csp_page.wait_for_function("window.pwned !== undefined")


@pytest.mark.parametrize("service", list(PREVIEWS))
async def test_hostile_text_shows_as_text_and_runs_nothing(no_csp_page: Page, service: str) -> None:
    page = no_csp_page
    await page.set_content(PREVIEWS[service](hostile(service)))
    await expect(page.locator("main").get_by_text(HOSTILE).first).to_be_visible()
    # set_content waited for the load event, which follows every image's load or error:
    # an onerror would have run by now.
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("main script, main img, main [onerror]").count() == 0
    hrefs = await page.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(href.startswith("https://") for href in hrefs), hrefs


async def test_matrix_html_keeps_only_the_allowed_tags(no_csp_page: Page) -> None:
    body = (
        '<b onclick="window.pwned=1">bold</b><script>window.pwned=2</script>'
        '<a href="javascript:window.pwned=3">js</a><a href="https://ok.example/">ok</a>'
        '<img src="mxc://x/y" alt="cat" onerror="window.pwned=4"><iframe src="https://x/">'
        '</iframe><font data-mx-color="#ff0000" style="position:fixed">red</font><ul><li>open'
    )
    assert sanitise(body) == (
        '<b>bold</b><a>js</a><a href="https://ok.example/">ok</a>[cat]'
        '<font style="color: #ff0000">red</font><ul><li>open</li></ul>'
    )
    content = {"msgtype": "m.text", "body": "x", "format": "org.matrix.custom.html"}
    await no_csp_page.set_content(PREVIEWS["matrix"]({**content, "formatted_body": body}))
    await expect(no_csp_page.get_by_text("[cat]")).to_be_visible()
    await no_csp_page.get_by_text("bold").click()
    assert await no_csp_page.evaluate("window.pwned") is None


async def test_the_page_forbids_script_itself(page: Page) -> None:
    await page.set_content(document("x", "<script>window.pwned = 1</script><p>shown</p>", ""))
    await expect(page.get_by_text("shown")).to_be_visible()
    assert await page.evaluate("window.pwned") is None


def test_markdown_inline_subset_escapes_the_rest() -> None:
    assert markdown("**b** _i_ `<c>` [l](https://x.example/) \\*not\\* <b>") == (
        '<strong>b</strong> <em>i</em> <code>&lt;c&gt;</code> <a href="https://x.example/">l</a>'
        " *not* &lt;b&gt;"
    )
    assert markdown("[l](javascript:x)") == "l"


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_committed_payloads_are_what_the_integrations_render(service: Any) -> None:
    committed: Path = DOCS / f"{service.name}.json"
    payload = render_payload(service)
    if payload is None:
        assert not committed.exists(), f"{committed} is there but {service.integration_id} is not"
        pytest.skip(f"{service.integration_id} is not in this package yet")
    assert committed.exists(), f"{service.integration_id} has no {committed}: run scripts/previews"
    text = committed.read_text(encoding="utf-8")
    assert json.loads(text) == payload, f"{committed} is stale: run scripts/previews"
    assert text == payload_json(payload)
    assert (DOCS / f"{service.name}.png").exists()


def test_integrations_are_found_by_their_id() -> None:
    slack = find_integration("switchboard.slack")
    assert slack is not None
    assert slack.__name__ == "SlackIntegration"
    assert find_integration("switchboard.nonesuch") is None
