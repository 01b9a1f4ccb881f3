"""The worker layer: producers, the queue, the dispatcher, delivery, the web app and the CLI.

It builds on ``switchboard.integrations``, which never imports from here.
Apps need only the producers::

    from switchboard.worker import EventClient, SyncEventClient
"""

from .circuit_breaker import BREAKER_COOLDOWN_MAX, CircuitBreakers
from .delivery import RESPONSE_BODY_LIMIT, Attempted, HttpDeliverer, log_delivery
from .delivery_admin import DELIVERY_STATUSES, DeliveryAdmin, DeliveryPage, ReplayReport
from .delivery_log import (
    Attempt,
    DeliveryLog,
    DeliveryRecord,
    DeliveryStatus,
    HealthChange,
    RequestSealer,
)
from .dispatcher import DELIVERIES_ASKED, Dispatcher, DispatchReport
from .engine import RERUN, DeliveryEngine
from .group_commit import GroupCommit
from .jobs import SERVICES, EventDeduplicator, JobServices, dispatch_job, reject_job
from .logs import JsonFormatter, TextFormatter, configure_logging, fields
from .producer import EventClient, SyncEventClient
from .queue import (
    DISPATCH_JOB,
    REJECT_JOB,
    EventEncoder,
    EventSchemas,
    JobDecoder,
    QueuedJob,
    QueuePipeline,
    oversize,
    serialize_job,
)
from .rate_limit import RateLimiter
from .rejected import RejectedEvent, RejectedEventLog
from .retry_policy import Decision, Next, decide, retry_after_seconds
from .runner import WorkerRunner
from .scheduler import RetryScheduler
from .slots import Slots
from .ssrf import AddressPolicy, BlockedAddressError, GuardedResolver, block_reason
from .status import StatusReport, read_status
from .web import create_app

__all__ = [
    "BREAKER_COOLDOWN_MAX",
    "DELIVERIES_ASKED",
    "DELIVERY_STATUSES",
    "DISPATCH_JOB",
    "REJECT_JOB",
    "RERUN",
    "RESPONSE_BODY_LIMIT",
    "SERVICES",
    "AddressPolicy",
    "Attempt",
    "Attempted",
    "BlockedAddressError",
    "CircuitBreakers",
    "Decision",
    "DeliveryAdmin",
    "DeliveryEngine",
    "DeliveryLog",
    "DeliveryPage",
    "DeliveryRecord",
    "DeliveryStatus",
    "DispatchReport",
    "Dispatcher",
    "EventClient",
    "EventDeduplicator",
    "EventEncoder",
    "EventSchemas",
    "GroupCommit",
    "GuardedResolver",
    "HealthChange",
    "HttpDeliverer",
    "JobDecoder",
    "JobServices",
    "JsonFormatter",
    "Next",
    "QueuePipeline",
    "QueuedJob",
    "RateLimiter",
    "RejectedEvent",
    "RejectedEventLog",
    "ReplayReport",
    "RequestSealer",
    "RetryScheduler",
    "Slots",
    "StatusReport",
    "SyncEventClient",
    "TextFormatter",
    "WorkerRunner",
    "block_reason",
    "configure_logging",
    "create_app",
    "decide",
    "dispatch_job",
    "fields",
    "log_delivery",
    "oversize",
    "read_status",
    "reject_job",
    "retry_after_seconds",
    "serialize_job",
]
