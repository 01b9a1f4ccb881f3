"""``scripts/ui-screenshots``: ``docs/ui/<page>.png``, the admin UI's pages as
``docs/ui.md`` shows them, taken along the operator's tour (``ui_tour.py``) of the scene
the browser tests use (``ui_scene.py``), on a private Redis, in Chromium at 1200 pixels
wide."""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
from pathlib import Path

from support import ui_tour
from support.browser import chromium
from support.env import LOOPBACK_CIDRS, TEST_SECRET_KEY
from support.ui_scene import ADMIN_TOKEN, HOSTILE, scene
from support.ui_tour import Tour
from switchboard.config import EmbeddedRedis, Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ui"


async def take(out: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as data, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = EmbeddedRedis(data_dir=Path(data), port=port)
        server.start()
        try:
            settings = Settings(
                redis_url=server.url,
                key_prefix="tour",
                allow_cidrs=LOOPBACK_CIDRS,  # type: ignore[arg-type]  # validated from text
                secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
            )
            async with scene(settings) as ready, chromium() as browser:
                context = await browser.new_context(viewport={"width": 1200, "height": 800})
                tour = Tour(page=await context.new_page(), base=ready.base, shots=out)
                await tour.sign_in(ADMIN_TOKEN, shot=True)
                await ui_tour.add_webhook(tour, name="CI builds", url=ready.sink.url("/ci"))
                await ui_tour.edit_conditions(tour, "CI builds")
                await ui_tour.send_test_event(tour, "CI builds")
                await ui_tour.replay_dead_letter(tour, ready.failing, ready.heal)
                await ui_tour.visit_every_page(tour)
                await ui_tour.hostile_text_is_inert(tour, HOSTILE)
                tenant = Tour(
                    page=await (
                        await browser.new_context(viewport={"width": 1200, "height": 800})
                    ).new_page(),
                    base=ready.base,
                    shots=out,
                )
                await ui_tour.tenant_sees_its_own(
                    tenant,
                    ready.tenant_token,
                    mine=ready.tenant_config,
                    others_id=ready.other_tenant_config_id,
                )
                return tour.taken + tenant.taken
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/ui-screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=DOCS, help="default: docs/ui")
    args = parser.parse_args()
    for name in asyncio.run(take(args.out)):
        print(f"{args.out / name}.png")


if __name__ == "__main__":
    main()
