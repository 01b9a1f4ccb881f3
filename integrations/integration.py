"""The base class of every integration, as in Djblets.

One instance per integration class, made by the ``IntegrationManager``. An
integration is *enabled* (``initialize()`` called, subscriptions live)
exactly while at least one of its configurations is enabled; the manager
enables and disables it as configurations change, in every process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from switchboard.config.store import UNSET, Unset

from .errors import IntegrationStateError
from .forms import ConfigForm
from .subscriptions import EventHandler, Subscription

if TYPE_CHECKING:
    from .configs import IntegrationConfig
    from .delivery import DeliveryRequest, DeliveryResponse, DeliveryResult, Verdict
    from .events import Event
    from .manager import IntegrationManager

__all__ = ["Integration", "IntegrationState"]

IntegrationState = Literal["disabled", "enabling", "enabled"]


class Integration:
    """Subclass this, set the metadata, subscribe in ``initialize()``.

    ``integration_id`` defaults to ``module.ClassName`` of each class (set it
    by hand to keep ids stable across refactors). It names the integration
    in stored configurations, so changing it orphans them.
    """

    integration_id: ClassVar[str] = ""
    name: ClassVar[str | None] = None
    description: ClassVar[str | None] = None
    default_settings: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    config_form_cls: ClassVar[type[ConfigForm]] = ConfigForm
    #: Seconds before each retry of this integration's failed deliveries; ``None``: the
    #: worker's ``SWITCHBOARD_RETRY_SCHEDULE``.
    retry_schedule: ClassVar[Sequence[float] | None] = None
    #: Deliveries per second at most for each configuration that sets no ``rate_limit`` of
    #: its own (a service's documented limit: Slack's one message a second per webhook);
    #: ``None``: unlimited. An operator's ``rate_limit`` on a configuration replaces it.
    default_rate_limit: ClassVar[float | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Set on this class only: a subclass never inherits its parent's id.
        if "integration_id" not in cls.__dict__:
            cls.integration_id = f"{cls.__module__}.{cls.__qualname__}"

    def __init__(self, manager: IntegrationManager) -> None:
        self._manager = manager
        self._state: IntegrationState = "disabled"

    @property
    def icon_static_urls(self) -> Mapping[str, str] | None:
        """Icon URLs by resolution: ``"1x"`` (required when there are icons), ``"2x"`` optional.

        A class attribute works as well as overriding this property.
        """
        return None

    # -- lifecycle -------------------------------------------------------------

    @property
    def state(self) -> IntegrationState:
        return self._state

    @property
    def enabled(self) -> bool:
        return self._state == "enabled"

    def initialize(self) -> None:
        """Called when the integration is enabled: subscribe to events here."""

    def shutdown(self) -> None:
        """Called when the integration is disabled; its subscriptions are dropped afterwards."""

    def enable_integration(self) -> None:
        """Enable: call ``initialize()``. If it raises, nothing it subscribed stays live."""
        if self._state != "disabled":
            return
        self._state = "enabling"
        try:
            self.initialize()
        except BaseException:
            self._manager.subscriptions.remove_integration(self.integration_id)
            self._state = "disabled"
            raise
        self._state = "enabled"

    def disable_integration(self) -> None:
        """Disable: call ``shutdown()`` and drop every subscription, even if it raises."""
        if self._state == "disabled":
            return
        try:
            self.shutdown()
        finally:
            self._manager.subscriptions.remove_integration(self.integration_id)
            self._state = "disabled"

    # -- what handlers use ---------------------------------------------------

    def subscribe(self, pattern: str, handler: EventHandler) -> None:
        """Call ``handler`` for each event whose type matches ``pattern`` while enabled.

        Patterns: ``review.published``, ``review.*`` (anything below review),
        ``*`` (everything). Subscriptions are released when the integration is
        disabled, so subscribe in ``initialize()``.
        """
        if self._state == "disabled":
            raise IntegrationStateError(
                f'Integration "{self.integration_id}" is disabled: subscribe in initialize().'
            )
        self._manager.subscriptions.add(Subscription(self.integration_id, pattern, handler))

    async def get_configs(
        self, event: Event | None = None, *, tenant: str | Unset | None = UNSET
    ) -> list[IntegrationConfig]:
        """This integration's enabled configurations, from this process's cache.

        With an event: those of the event's tenant whose conditions match its
        data (an event addressed to one, ``event.config_id``: that one alone, its
        conditions aside; a handler that filters by event type lets it through:
        it is a test the operator asked for). With ``tenant``: those of that
        tenant (``None``: no tenant). With neither: all of them.
        """
        return self._manager.get_configs(self.integration_id, event=event, tenant=tenant)

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        """Judge a response where the default rules (2xx delivered, 410 permanent and the
        configuration disabled, anything else retried) do not fit; ``None`` keeps them.

        A Slack integration, say, answers ``Verdict.PERMANENT`` for a revoked webhook.
        """
        return None

    def retry_after(self, config: IntegrationConfig, response: DeliveryResponse) -> float | None:
        """Seconds the service asked to wait before another attempt, where it says so
        other than in a ``Retry-After`` header (Discord's 429 body has ``retry_after``,
        Matrix's ``retry_after_ms``); ``None``: no such hint. The engine waits the longer
        of this and the header.
        """
        return None

    def refresh_request(
        self, config: IntegrationConfig, request: DeliveryRequest
    ) -> DeliveryRequest:
        """The request a retry or a replay sends, from the one first made.

        By default, the same. Override to follow the configuration as it is now
        (the webhook integration takes its current URL and headers, so fixing a
        URL fixes the deliveries still pending).
        """
        return request

    def signing_secrets(self, config: IntegrationConfig, now: datetime) -> Sequence[str]:
        """The Standard Webhooks secrets to sign ``config``'s deliveries with (none: unsigned).

        More than one while a secret is being rotated: receivers accept either.
        """
        return ()

    def prepare_settings_update(
        self, old: Mapping[str, Any], new: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Adjust a configuration's settings as they change, before they are validated.

        ``old`` is what is stored, ``new`` what will be (old merged with the
        edit). The webhook integration keeps a replaced secret here, so that
        deliveries are signed with both for a while.
        """
        return new

    async def send(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        """Make one outbound request for (``event``, ``config``) through the delivery engine.

        This is the only way an integration talks to the outside world: the
        engine pools connections, applies timeouts and concurrency limits,
        signs, records every attempt, retries on its schedule and keeps what
        fails for good as a dead letter. A failed delivery is returned, not
        raised, so one bad endpoint never stops a handler's loop over its
        configurations.
        """
        if config.integration is not self:
            raise IntegrationStateError(
                f'Integration "{self.integration_id}" cannot send for configuration '
                f'"{config.id}", which belongs to "{config.integration_id}".'
            )
        deliverer = self._manager.deliverer
        if deliverer is None:
            raise IntegrationStateError(
                f'Integration "{self.integration_id}" cannot send: no delivery engine runs '
                "in this process (send() works inside a Switchboard worker)."
            )
        return await deliverer.deliver(config, event, request)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.integration_id} {self._state}>"
