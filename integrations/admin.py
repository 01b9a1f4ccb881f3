"""``ConfigAdmin``: the one way operators' tools change configurations.

The CLI and the admin UI call this, never the store directly, so every write
is validated first: settings through the integration's config form, match
conditions through the conditions model. What is stored is the form's
normalised output. Settings the operator did not give and that the
integration has a default for are not stored, so ``config.get()`` keeps
following the integration's ``default_settings``.

A configuration whose integration is not installed (orphaned) can still be
renamed, enabled, disabled and deleted, but its settings cannot be edited:
there is no form to check them against.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from switchboard.config.clock import utc_now
from switchboard.config.errors import InvalidArgumentError, TenantFullError
from switchboard.config.records import TENANT_RULE, ConfigRecord, checked_tenant
from switchboard.config.settings import Settings
from switchboard.config.store import UNSET, ConfigStore, Unset

from .conditions import ConditionSet
from .configs import IntegrationConfig
from .errors import ConfigValidationError, IntegrationNotRegisteredError
from .forms import ConfigForm
from .integration import Integration
from .manager import IntegrationManager

__all__ = ["ConfigAdmin", "new_config_fields", "parse_setting_value"]

logger = logging.getLogger(__name__)


def parse_setting_value(form_cls: type[ConfigForm], key: str, raw: str) -> Any:
    """A command-line ``key=value`` value as the form's field wants it.

    Kept as a string when the field takes one as it is (text, URLs, and
    numbers or booleans, which pydantic converts); parsed as JSON otherwise
    (``headers={"X-Token": "..."}``, ``event_types=["review.*"]``).
    """
    field = form_cls.model_fields.get(key)
    if field is None or field.annotation is None:
        return raw
    try:
        TypeAdapter(field.annotation).validate_python(raw)
    except ValidationError:
        try:
            return TypeAdapter(Any).validate_json(raw)
        except ValidationError:
            return raw
    return raw


class ConfigAdmin:
    """Validated create, edit, enable, disable and delete of configurations."""

    def __init__(
        self,
        manager: IntegrationManager,
        store: ConfigStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_configs_per_tenant: int | None = None,
    ) -> None:
        """``max_configs_per_tenant``: how many configurations one tenant may have (every
        worker holds them all in memory, so one tenant's thousands cost every tenant);
        ``None``: no limit. Configurations with no tenant are the operator's, never counted."""
        self._manager = manager
        self._store = store
        self._clock = clock
        self._max_per_tenant = max_configs_per_tenant

    @classmethod
    def for_settings(
        cls, manager: IntegrationManager, store: ConfigStore, settings: Settings
    ) -> ConfigAdmin:
        """The admin the CLI, the API and the UI share: ``settings``' tenant cap."""
        return cls(manager, store, max_configs_per_tenant=settings.tenant_max_configs or None)

    @property
    def store(self) -> ConfigStore:
        return self._store

    async def create(
        self,
        integration_id: str,
        *,
        name: str,
        settings: Mapping[str, Any] | None = None,
        tenant: str | None = None,
        enabled: bool = True,
        conditions: Any = None,
        rate_limit: float | None = None,
    ) -> ConfigRecord:
        fields = new_config_fields(
            self._manager,
            integration_id,
            name=name,
            settings=settings,
            tenant=tenant,
            enabled=enabled,
            conditions=conditions,
            rate_limit=rate_limit,
        )
        try:
            return await self._store.create(**fields, tenant_limit=self._max_per_tenant)
        except TenantFullError as exc:
            raise _tenant_full(exc) from None

    async def update(
        self,
        config_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        unset: Iterable[str] = (),
        tenant: str | Unset | None = UNSET,
        conditions: Any = UNSET,
        rate_limit: float | Unset | None = UNSET,
    ) -> ConfigRecord:
        """Change what is given; ``settings`` merge into the stored ones, ``unset`` removes keys."""
        new_settings = dict(settings or {})
        removed = list(unset)
        conditions_json = (
            None if isinstance(conditions, Unset) else ConditionSet.parse(conditions).model_dump()
        )

        def change(record: ConfigRecord) -> dict[str, Any]:
            updates: dict[str, Any] = {}
            new_name = record.name if name is None else name
            new_enabled = record.enabled if enabled is None else enabled
            if new_settings or removed:
                integration = self._manager.get_integration(record.integration_id)
                given = {k: v for k, v in record.settings.items() if k not in removed}
                given.update(new_settings)
                given = integration.prepare_settings_update(record.settings, given, self._clock())
                form = self._validate(integration, name=new_name, enabled=new_enabled, given=given)
                stored = self._stored_settings(integration, form, given)
                updates["settings"] = stored
                updates["secret_settings"] = tuple(sorted(form.secret_fields() & stored.keys()))
                new_name = form.name
            elif name is not None:
                new_name = name.strip()
                if not new_name:
                    raise ConfigValidationError({"name": "this field is required"})
            updates["name"] = new_name
            updates["enabled"] = new_enabled
            if not isinstance(tenant, Unset):
                updates["tenant"] = _check_tenant(tenant)
            if conditions_json is not None:
                updates["conditions"] = conditions_json
            if not isinstance(rate_limit, Unset):
                updates["rate_limit"] = _check_rate_limit(rate_limit)
            return updates

        try:
            return await self._store.update(config_id, change, tenant_limit=self._max_per_tenant)
        except TenantFullError as exc:
            raise _tenant_full(exc) from None

    async def reseal(self, config_id: str) -> ConfigRecord:
        """Store a configuration again: its secrets marked from the form and encrypted with the
        first key of ``SWITCHBOARD_SECRET_KEY`` (after a key rotation, or an upgrade)."""

        def change(record: ConfigRecord) -> dict[str, Any]:
            if self.is_orphaned(record):
                return {}
            secret = self.form_for(record.integration_id).secret_fields()
            return {"secret_settings": tuple(sorted(secret & record.settings.keys()))}

        return await self._store.update(config_id, change)

    async def set_enabled(self, config_id: str, enabled: bool) -> ConfigRecord:
        return await self._store.update(config_id, lambda record: {"enabled": enabled})

    async def delete(self, config_id: str) -> ConfigRecord | None:
        return await self._store.delete(config_id)

    async def get(self, config_id: str) -> ConfigRecord:
        return await self._store.get(config_id)

    async def reveal_signing_secrets(self, config_id: str) -> tuple[str, ...]:
        """The secrets that sign ``config_id``'s deliveries now, current first: what a
        receiver needs to verify them. The one way to read a secret back (everything else
        masks it), so it is its own call, logged without the secrets."""
        record = await self._store.get(config_id)
        integration = self._manager.get_integration(record.integration_id)
        config = IntegrationConfig(record, integration)
        secrets = tuple(integration.signing_secrets(config, self._clock()))
        logger.info("Signing secrets of configuration %s revealed", record.id)
        return secrets

    def form_for(self, integration_id: str) -> type[ConfigForm]:
        return self._manager.get_integration(integration_id).config_form_cls

    def is_orphaned(self, record: ConfigRecord) -> bool:
        return not self._manager.is_registered(record.integration_id)

    def effective_rate_limit(self, record: ConfigRecord) -> float | None:
        """Deliveries a second ``record`` is held to: its own ``rate_limit``, else its
        integration's ``default_rate_limit`` (Slack's 1); ``None``: unlimited."""
        if record.rate_limit is not None or self.is_orphaned(record):
            return record.rate_limit
        return self._manager.get_integration(record.integration_id).default_rate_limit

    def secret_settings(self, record: ConfigRecord) -> frozenset[str]:
        """Setting keys to mask when showing ``record`` (all of them, for an orphan)."""
        try:
            return self.form_for(record.integration_id).secret_fields()
        except IntegrationNotRegisteredError:
            return frozenset(record.settings)

    @staticmethod
    def _validate(
        integration: Integration, *, name: str, enabled: bool, given: Mapping[str, Any]
    ) -> ConfigForm:
        merged = {**integration.default_settings, **given}
        return integration.config_form_cls.validate_config(
            name=name, enabled=enabled, settings=merged
        )

    @staticmethod
    def _stored_settings(
        integration: Integration, form: ConfigForm, given: Mapping[str, Any]
    ) -> dict[str, Any]:
        values = form.settings_json()
        return {
            key: value
            for key, value in values.items()
            if key in given or key not in integration.default_settings
        }


def _tenant_full(exc: TenantFullError) -> ConfigValidationError:
    return ConfigValidationError(
        {"tenant": f"already has {exc.limit} configurations, the most it may have"}
    )


def _check_tenant(tenant: str | None) -> str | None:
    try:
        return checked_tenant(tenant)
    except InvalidArgumentError:
        raise ConfigValidationError({"tenant": TENANT_RULE}) from None


def _check_rate_limit(rate_limit: float | None) -> float | None:
    if rate_limit is not None and not rate_limit > 0:
        raise ConfigValidationError({"rate_limit": "must be more than 0 deliveries per second"})
    return rate_limit


def new_config_fields(
    manager: IntegrationManager,
    integration_id: str,
    *,
    name: str,
    settings: Mapping[str, Any] | None = None,
    tenant: str | None = None,
    enabled: bool = True,
    conditions: Any = None,
    rate_limit: float | None = None,
) -> dict[str, Any]:
    """A new configuration's fields as they are stored, validated through the integration's
    form and the conditions model (``ConfigValidationError`` per field): ``ConfigAdmin``
    stores them, ``switchboard.testing`` builds records in memory from them."""
    integration = manager.get_integration(integration_id)
    given = dict(settings or {})
    form = ConfigAdmin._validate(integration, name=name, enabled=enabled, given=given)
    conditions_set = ConditionSet.parse(conditions)
    stored = ConfigAdmin._stored_settings(integration, form, given)
    return {
        "integration_id": integration_id,
        "name": form.name,
        "settings": stored,
        "secret_settings": form.secret_fields() & stored.keys(),
        "rate_limit": _check_rate_limit(rate_limit),
        "tenant": _check_tenant(tenant),
        "enabled": form.enabled,
        "conditions": conditions_set.model_dump(),
    }
