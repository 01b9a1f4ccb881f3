"""The integrations that ship with Switchboard, registered through entry points."""

from .webhook import SECRET_ROTATION_OVERLAP, WebhookForm, WebhookIntegration

__all__ = ["SECRET_ROTATION_OVERLAP", "WebhookForm", "WebhookIntegration"]
