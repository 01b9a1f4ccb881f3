"""Everything an integration author touches.

::

    from switchboard.integrations import ConfigForm, Event, Fieldset, Integration
"""

from .admin import ConfigAdmin, parse_setting_value
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
    "new_event_id",
    "parse_setting_value",
    "secret_field",
    "secret_key",
    "signature_header",
]
