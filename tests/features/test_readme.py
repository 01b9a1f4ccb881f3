"""The README's code runs as pasted: each Python block under a heading, against a real Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from switchboard.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_block(heading: str) -> str:
    text = README.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return block


@pytest.mark.parametrize("heading", ["Emit events from your app"])
def test_the_block_runs_as_pasted(heading: str, settings: Settings, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(_python_block(heading))
    env = {**os.environ, "REDIS_URL": settings.effective_redis_url}
    env["SWITCHBOARD_KEY_PREFIX"] = settings.key_prefix
    result = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    client = redis.Redis.from_url(settings.effective_redis_url)
    try:
        # Its four events are on the queue, in three jobs (emit, emit_many, the sync emit).
        assert client.zcard(settings.effective_queue_name) == 3
    finally:
        client.close()
