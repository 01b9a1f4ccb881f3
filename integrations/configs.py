"""``IntegrationConfig``: one configuration as an integration's handler sees it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from switchboard.config.records import ConfigRecord

from .conditions import ConditionSet

if TYPE_CHECKING:
    from .events import Event
    from .integration import Integration

__all__ = ["IntegrationConfig"]


class IntegrationConfig:
    """A stored configuration, bound to its integration, with compiled conditions.

    Built once when the record changes, then shared: treat it as read-only.
    """

    __slots__ = ("conditions", "integration", "record", "settings")

    def __init__(self, record: ConfigRecord, integration: Integration) -> None:
        self.record = record
        self.integration = integration
        self.settings: Mapping[str, Any] = MappingProxyType(record.settings)
        # Validated when saved; parsed again here so a record written by hand
        # into Redis is caught (ConfigValidationError) when loaded, not at dispatch.
        self.conditions = ConditionSet.parse(record.conditions)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def integration_id(self) -> str:
        return self.record.integration_id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def enabled(self) -> bool:
        return self.record.enabled

    @property
    def tenant(self) -> str | None:
        return self.record.tenant

    @property
    def rate_limit(self) -> float | None:
        """Deliveries per second at most, shared by all workers (``None``: unlimited): the
        configuration's own, else its integration's ``default_rate_limit``."""
        if self.record.rate_limit is not None:
            return self.record.rate_limit
        return self.integration.default_rate_limit

    @property
    def created_at(self) -> datetime:
        return self.record.created_at

    @property
    def updated_at(self) -> datetime:
        return self.record.updated_at

    def get(self, key: str, default: Any = None) -> Any:
        """A setting; else the integration's ``default_settings`` value; else ``default``."""
        try:
            return self.settings[key]
        except KeyError:
            return self.integration.default_settings.get(key, default)

    def matches(self, event: Event) -> bool:
        """Whether ``event`` is for this configuration: same tenant, conditions hold."""
        return self.record.tenant == event.tenant and (
            self.conditions.always or self.conditions.matches(event.data)
        )

    def __repr__(self) -> str:
        # Never the settings: they may hold secrets.
        return f"<IntegrationConfig {self.id} {self.integration_id} {self.name!r}>"
