"""Plain arq, for comparison: no-op jobs (the queue's ceiling), and the naive design
(one job per delivery, each opening its own aiohttp session).

    python -m bench.arq_jobs noop REDIS_URL N
    python -m bench.arq_jobs naive REDIS_URL N URL

Prints ``{"jobs": N, "seconds": s, "per_second": r}``: the time from the worker's
start to its last job, one worker process, jobs queued beforehand.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from typing import Any

import aiohttp
import orjson
from arq.connections import ArqRedis
from arq.jobs import serialize_job
from arq.worker import Worker, func

from .deliveries import delivery_like, sign_as_delivery

#: A backlog webhook delivery's body; each job signs it as its own delivery.
BODY, _ = delivery_like()


async def noop(ctx: dict[str, Any]) -> None:
    return None


async def naive_post(ctx: dict[str, Any], url: str) -> None:
    headers = sign_as_delivery(BODY, "dlv_" + ctx["job_id"][:16])  # the delivery's own id
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=BODY, headers=headers) as response,
    ):
        await response.read()


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=repr)


async def main(mode: str, redis_url: str, count: int, url: str | None) -> None:
    pool = ArqRedis.from_url(redis_url)
    pool.job_serializer = _dumps
    pool.job_deserializer = orjson.loads
    name = "noop" if mode == "noop" else "naive_post"
    args = () if url is None else (url,)
    now_ms = int(time.time() * 1000)
    for start in range(0, count, 1000):
        async with pool.pipeline(transaction=False) as pipe:
            for _ in range(min(1000, count - start)):
                job_id = uuid.uuid4().hex
                payload = serialize_job(name, args, {}, 1, now_ms, serializer=_dumps)
                pipe.psetex("arq:job:" + job_id, 86_400_000, payload)
                pipe.zadd("arq:queue", {job_id: now_ms})
            await pipe.execute()
    worker = Worker(
        functions=[func(noop, name="noop"), func(naive_post, name="naive_post")],
        redis_pool=pool,
        burst=True,
        max_jobs=64,
        poll_delay=0.05,
        keep_result=0,
        handle_signals=False,
        job_serializer=_dumps,
        job_deserializer=orjson.loads,
    )
    started = time.perf_counter()
    await worker.async_run()
    elapsed = time.perf_counter() - started
    await pool.aclose()
    print(orjson.dumps({"jobs": count, "seconds": elapsed, "per_second": count / elapsed}).decode())


if __name__ == "__main__":
    mode, redis_url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    asyncio.run(main(mode, redis_url, count, sys.argv[4] if len(sys.argv) > 4 else None))
