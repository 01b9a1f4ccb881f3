"""The integrations that ship with Switchboard, registered through entry points."""

from .webhook import WebhookForm, WebhookIntegration

__all__ = ["WebhookForm", "WebhookIntegration"]
