"""arq's ``Worker``, minus one poll cost: looking again at the jobs it runs itself.

arq leaves a job in the queue's sorted set until it ends, and each poll (every 10 ms
here) reads the due jobs and, for each, asks Redis whether it is in progress (``WATCH``,
``EXISTS``, ``ZSCORE``, ``UNWATCH``: four commands and a round trip each) before it
skips it. A job whose deliveries queue for a slow host runs for seconds, so a backlog to
one host answering in 200 ms had Redis answer about 1,700 of those a second for four
jobs. A job this worker is running is in progress by definition: it is skipped here,
without asking. Jobs other workers run are asked about as before, and so is a job whose
task here has ended (its last steps may still be under way in Redis).
"""

from __future__ import annotations

from arq.worker import Worker

__all__ = ["QueueWorker"]


class QueueWorker(Worker):
    async def start_jobs(self, job_ids: list[bytes]) -> None:
        running = self.tasks
        if running:
            job_ids = [
                job_id
                for job_id in job_ids
                if (task := running.get(job_id.decode())) is None or task.done()
            ]
        await super().start_jobs(job_ids)
