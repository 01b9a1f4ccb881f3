"""The worker layer: producers, the queue, the dispatcher, delivery, the web app and the CLI.

It builds on ``switchboard.integrations``, which never imports from here.
Apps need only the producers::

    from switchboard.worker import EventClient, SyncEventClient
"""

from .delivery import RESPONSE_BODY_LIMIT, Attempted, HttpDeliverer, log_delivery
from .dispatcher import Dispatcher, DispatchReport
from .jobs import SERVICES, JobServices, dispatch_job, reject_job
from .logs import JsonFormatter, TextFormatter, configure_logging, fields
from .producer import EventClient, SyncEventClient
from .queue import (
    DISPATCH_JOB,
    REJECT_JOB,
    EventEncoder,
    EventSchemas,
    JobDecoder,
    QueuedJob,
    oversize,
    serialize_job,
)
from .rejected import RejectedEvent, RejectedEventLog
from .runner import WorkerRunner
from .ssrf import AddressPolicy, BlockedAddressError, GuardedResolver, block_reason
from .web import create_app

__all__ = [
    "DISPATCH_JOB",
    "REJECT_JOB",
    "RESPONSE_BODY_LIMIT",
    "SERVICES",
    "AddressPolicy",
    "Attempted",
    "BlockedAddressError",
    "DispatchReport",
    "Dispatcher",
    "EventClient",
    "EventEncoder",
    "EventSchemas",
    "GuardedResolver",
    "HttpDeliverer",
    "JobDecoder",
    "JobServices",
    "JsonFormatter",
    "QueuedJob",
    "RejectedEvent",
    "RejectedEventLog",
    "SyncEventClient",
    "TextFormatter",
    "WorkerRunner",
    "block_reason",
    "configure_logging",
    "create_app",
    "dispatch_job",
    "fields",
    "log_delivery",
    "oversize",
    "reject_job",
    "serialize_job",
]
