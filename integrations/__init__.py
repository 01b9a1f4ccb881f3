"""Everything an integration author touches.

::

    from switchboard.integrations import ConfigForm, Event, Fieldset, Integration

Each name is imported from its module when first asked for
(``switchboard.config.lazy``): an app that only emits gets the event envelope
without the manager, the conditions' RE2 or the config forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchboard.config.lazy import lazy_exports

if TYPE_CHECKING:
    from .admin import ConfigAdmin, new_config_fields, parse_setting_value
    from .conditions import Condition, ConditionSet, Operator
    from .configs import IntegrationConfig
    from .delivery import (
        ENGINE_HEADERS,
        Deliverer,
        DeliveryOutcome,
        DeliveryRequest,
        DeliveryResponse,
        DeliveryResult,
        Verdict,
        delivery_id,
    )
    from .discovery import ENTRY_POINT_GROUP, discover_integrations
    from .errors import (
        ConfigValidationError,
        IntegrationAlreadyRegisteredError,
        IntegrationError,
        IntegrationLoadError,
        IntegrationNotRegisteredError,
        IntegrationRegistrationError,
        IntegrationStateError,
    )
    from .events import EVENT_TYPE_PATTERN, Event, new_event_id
    from .forms import ConfigForm, Fieldset, secret_field
    from .integration import Integration, IntegrationState
    from .manager import IntegrationManager
    from .patterns import Regex, compile_regex
    from .signing import SECRET_PREFIX, generate_secret, secret_key, signature_header
    from .subscriptions import EventHandler, Subscription, SubscriptionIndex, compile_pattern

__all__ = [
    "ENGINE_HEADERS",
    "ENTRY_POINT_GROUP",
    "EVENT_TYPE_PATTERN",
    "SECRET_PREFIX",
    "Condition",
    "ConditionSet",
    "ConfigAdmin",
    "ConfigForm",
    "ConfigValidationError",
    "Deliverer",
    "DeliveryOutcome",
    "DeliveryRequest",
    "DeliveryResponse",
    "DeliveryResult",
    "Event",
    "EventHandler",
    "Fieldset",
    "Integration",
    "IntegrationAlreadyRegisteredError",
    "IntegrationConfig",
    "IntegrationError",
    "IntegrationLoadError",
    "IntegrationManager",
    "IntegrationNotRegisteredError",
    "IntegrationRegistrationError",
    "IntegrationState",
    "IntegrationStateError",
    "Operator",
    "Regex",
    "Subscription",
    "SubscriptionIndex",
    "Verdict",
    "compile_pattern",
    "compile_regex",
    "delivery_id",
    "discover_integrations",
    "generate_secret",
    "new_config_fields",
    "new_event_id",
    "parse_setting_value",
    "secret_field",
    "secret_key",
    "signature_header",
]

#: Where each name lives, imported on first use (``switchboard.config.lazy``).
_HOMES = {
    ".admin": ("ConfigAdmin", "new_config_fields", "parse_setting_value"),
    ".conditions": ("Condition", "ConditionSet", "Operator"),
    ".configs": ("IntegrationConfig",),
    ".delivery": (
        "ENGINE_HEADERS",
        "Deliverer",
        "DeliveryOutcome",
        "DeliveryRequest",
        "DeliveryResponse",
        "DeliveryResult",
        "Verdict",
        "delivery_id",
    ),
    ".discovery": ("ENTRY_POINT_GROUP", "discover_integrations"),
    ".errors": (
        "ConfigValidationError",
        "IntegrationAlreadyRegisteredError",
        "IntegrationError",
        "IntegrationLoadError",
        "IntegrationNotRegisteredError",
        "IntegrationRegistrationError",
        "IntegrationStateError",
    ),
    ".events": ("EVENT_TYPE_PATTERN", "Event", "new_event_id"),
    ".forms": ("ConfigForm", "Fieldset", "secret_field"),
    ".integration": ("Integration", "IntegrationState"),
    ".manager": ("IntegrationManager",),
    ".patterns": ("Regex", "compile_regex"),
    ".signing": ("SECRET_PREFIX", "generate_secret", "secret_key", "signature_header"),
    ".subscriptions": ("EventHandler", "Subscription", "SubscriptionIndex", "compile_pattern"),
}

if not TYPE_CHECKING:  # mypy and IDEs read the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
