"""``python -m bench [--smoke] [--out DIR]``: run every scenario, write JSON, Markdown, PNG."""

from __future__ import annotations

import argparse
import asyncio
import platform
from pathlib import Path

from tqdm import tqdm

from switchboard.worker.cli.common import event_loop_factory

from .report import write_reports
from .scenarios import SCALES, STEPS, run_all


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    scale = SCALES["smoke" if args.smoke else "full"]
    # The event loop the worker runs on (uvloop where installed), for the ceilings too.
    with (
        tqdm(total=len(STEPS), unit="scenario") as progress,
        asyncio.Runner(loop_factory=event_loop_factory()) as runner,
    ):
        results = runner.run(run_all(scale, progress))
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": __import__("os").cpu_count(),
        "platform": platform.platform(),
        "sink": f"{results['http_ceiling']['sink']} for the HTTP ceiling, "
        "bench.sink (asyncio protocol) for the rest",
    }
    paths = write_reports(results, args.out)
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
