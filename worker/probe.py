"""Test events: one event, through the real path (queue, worker, integration, delivery
engine), to one configuration only. The API's ``POST /api/configs/{id}/test`` and the
CLI's ``switchboard configs test ID`` are adapters over ``send_test_event``.

The event is addressed to the configuration (``Event.config_id``): the manager hands it
to that configuration alone, whatever its conditions, and the built-in integrations
deliver it whatever its ``event_types``; every other configuration, however broadly it
matches, never sees it. Its type, ``switchboard.test``, is one of Switchboard's own, so
a test that fails emits no ``switchboard.delivery.exhausted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from switchboard.config import ConfigRecord
from switchboard.integrations import ConfigAdmin, delivery_id

from .errors import UntestableConfigError
from .producer import EventClient

__all__ = ["TEST_EVENT", "TestSent", "send_test_event"]

TEST_EVENT: Final = "switchboard.test"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestSent:
    """What a test sent: its event, and the delivery to follow (``GET /api/deliveries/{id}``,
    ``switchboard deliveries show``) once a worker has made it."""

    __test__ = False  # not a pytest class, for all its name

    event_id: str
    delivery_id: str
    config_id: str


async def send_test_event(
    configs: ConfigAdmin, events: EventClient, record: ConfigRecord, *, sent_by: str
) -> TestSent:
    """Queue a test event for ``record``, in its tenant; ``sent_by`` names who asked.

    The delivery id is that of the integration's request with no ``key`` (the one
    request most integrations make for an event)."""
    if not record.enabled:
        raise UntestableConfigError(record.id, "it is disabled (enable it first)")
    if configs.is_orphaned(record):
        raise UntestableConfigError(
            record.id, f'its integration "{record.integration_id}" is not installed'
        )
    data = {
        "test": True,
        "message": f'A test event for configuration "{record.name}", sent by {sent_by}.',
        "config_id": record.id,
        "config_name": record.name,
    }
    event_id = await events.emit(TEST_EVENT, data, tenant=record.tenant, config_id=record.id)
    return TestSent(
        event_id=event_id, delivery_id=delivery_id(event_id, record.id), config_id=record.id
    )
