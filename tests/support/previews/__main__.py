"""``scripts/previews``: ``docs/integrations/<service>.json`` and ``.png`` for each service.

For each service whose integration is installed, the sample event (``samples``) is
rendered through the real integration into its payload, written as JSON, and its
preview screenshotted in Chromium: 720 pixels wide, clipped to the message. A service
not installed yet is skipped with a note; re-running the command once it lands gives
it its files. ``--html`` also writes each preview page, to look at in a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from support.browser import VIEWPORT, chromium

from . import PREVIEWS
from .samples import SERVICES, render_payload

DOCS = Path(__file__).resolve().parents[3] / "docs" / "integrations"


def payload_json(payload: dict[str, Any]) -> str:
    """The committed form: indented, non-ASCII as it is, a newline at the end."""
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


async def screenshot(pages: dict[str, str], out: Path) -> None:
    async with chromium() as browser:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        for name, html in pages.items():
            await page.set_content(html)
            await page.locator("main").screenshot(path=out / f"{name}.png")
            print(f"{name}: wrote {out / name}.json and .png")
        await context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/previews", description=__doc__)
    parser.add_argument("services", nargs="*", help="only these (slack, discord, ...)")
    parser.add_argument("--out", type=Path, default=DOCS, help="default: docs/integrations")
    parser.add_argument("--html", action="store_true", help="also write <service>.html")
    args = parser.parse_args(argv)
    unknown = set(args.services) - {service.name for service in SERVICES}
    if unknown:
        parser.error(f"no such service: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for service in SERVICES:
        if args.services and service.name not in args.services:
            continue
        payload = render_payload(service)
        if payload is None:
            print(f"{service.name}: {service.integration_id} is not in this package yet; skipped")
            continue
        (args.out / f"{service.name}.json").write_text(payload_json(payload), encoding="utf-8")
        pages[service.name] = PREVIEWS[service.name](payload)
        if args.html:
            (args.out / f"{service.name}.html").write_text(pages[service.name], encoding="utf-8")
    asyncio.run(screenshot(pages, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
