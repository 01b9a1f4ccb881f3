"""The integration manager: the registry, and the lifecycle driven by configurations.

As in Djblets, an integration is enabled exactly while at least one of its
configurations is enabled. Here the configurations live in each process's
``ConfigCache``; the manager listens to it, so every process enables and
disables integrations by itself, within the cache's delay of a change
made anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from switchboard.config.cache import ConfigSource
from switchboard.config.records import ConfigRecord
from switchboard.config.store import UNSET, ConfigChanges, Unset

from .configs import IntegrationConfig
from .delivery import Deliverer
from .discovery import describe_exception, discover_integrations
from .errors import (
    ConfigValidationError,
    IntegrationAlreadyRegisteredError,
    IntegrationError,
    IntegrationNotRegisteredError,
    IntegrationRegistrationError,
)
from .events import Event
from .integration import Integration
from .subscriptions import SubscriptionIndex

__all__ = ["IntegrationManager"]

logger = logging.getLogger(__name__)

_ICON_KEYS: Final = frozenset({"1x", "2x"})


def _check_icons(integration: Integration) -> None:
    icons = integration.icon_static_urls
    if icons is None:
        return
    if not isinstance(icons, Mapping) or "1x" not in icons:
        raise ValueError("icon_static_urls needs a '1x' URL when it is set")
    unknown = set(icons) - _ICON_KEYS
    if unknown:
        raise ValueError(f"icon_static_urls has unknown keys {sorted(unknown)}; use '1x', '2x'")
    if not all(isinstance(url, str) and url for url in icons.values()):
        raise ValueError("icon_static_urls values must be non-empty strings")


class IntegrationManager:
    """Registers integrations and keeps each one enabled exactly while it has an enabled config."""

    def __init__(self) -> None:
        self.subscriptions = SubscriptionIndex()
        self.load_errors: list[IntegrationError] = []
        self._deliverer: Deliverer | None = None
        self._integrations: dict[str, Integration] = {}
        self._cache: ConfigSource | None = None
        # integration id -> config id -> view, enabled or not
        self._configs: dict[str, dict[str, IntegrationConfig]] = {}
        # integration id -> tenant -> enabled views: get_configs' one lookup
        self._enabled: dict[str, dict[str | None, tuple[IntegrationConfig, ...]]] = {}
        self._owner: dict[str, str] = {}  # config id -> integration id of its view
        self._invalid: dict[str, str] = {}  # config id -> why no view could be built

    # -- the registry ----------------------------------------------------------

    def register(self, integration_cls: type[Integration]) -> Integration:
        """Make the one instance of ``integration_cls`` and register it."""
        if not (isinstance(integration_cls, type) and issubclass(integration_cls, Integration)):
            raise IntegrationRegistrationError(
                repr(integration_cls), "not a subclass of Integration"
            )
        integration_id = integration_cls.integration_id
        if not integration_id:
            raise IntegrationRegistrationError(integration_cls.__qualname__, "empty integration_id")
        if integration_id in self._integrations:
            raise IntegrationAlreadyRegisteredError(integration_id)
        try:
            integration = integration_cls(self)
            _check_icons(integration)
        except Exception as exc:
            raise IntegrationRegistrationError(integration_id, describe_exception(exc)) from exc
        self._integrations[integration_id] = integration
        if self._cache is not None:
            for record in self._cache.records.values():
                if record.integration_id == integration_id:
                    self._add_view(record)
            self._reindex_and_sync({integration_id})
        return integration

    def unregister(self, integration: type[Integration] | str) -> None:
        """Disable (if enabled) and forget an integration; its configurations become orphaned."""
        integration_id = integration if isinstance(integration, str) else integration.integration_id
        instance = self._integrations.get(integration_id)
        if instance is None:
            raise IntegrationNotRegisteredError(integration_id)
        self._set_enabled(instance, False)
        del self._integrations[integration_id]
        for config_id in self._configs.pop(integration_id, {}):
            self._owner.pop(config_id, None)
        self._enabled.pop(integration_id, None)

    def get_integration(self, integration_id: str) -> Integration:
        try:
            return self._integrations[integration_id]
        except KeyError:
            raise IntegrationNotRegisteredError(integration_id) from None

    def get_integrations(self) -> list[Integration]:
        return sorted(self._integrations.values(), key=lambda i: i.integration_id)

    def is_registered(self, integration_id: str) -> bool:
        return integration_id in self._integrations

    def load_plugins(self, dotted_paths: Iterable[str] = ()) -> list[IntegrationError]:
        """Register everything discovered; report (and log) what failed, keep the rest."""
        classes, load_errors = discover_integrations(dotted_paths)
        errors: list[IntegrationError] = list(load_errors)
        for integration_cls in classes:
            existing = self._integrations.get(integration_cls.integration_id)
            if existing is not None and type(existing) is integration_cls:
                continue  # the same class, found twice (an entry point and a dotted path)
            try:
                self.register(integration_cls)
            except IntegrationError as exc:
                errors.append(exc)
        for error in errors:
            logger.error("%s", error)
        self.load_errors.extend(errors)
        return errors

    # -- configurations and the lifecycle ---------------------------------------

    @property
    def deliverer(self) -> Deliverer | None:
        """The engine behind ``Integration.send()`` while ``running`` with one (a worker)."""
        return self._deliverer

    @contextmanager
    def running(
        self, cache: ConfigSource, *, deliverer: Deliverer | None = None
    ) -> Iterator[IntegrationManager]:
        """Follow ``cache``: enable and disable integrations as configurations change, with
        ``deliverer`` behind every ``send()`` (a worker's delivery engine; none elsewhere).

        On exit every enabled integration is disabled (``shutdown()`` called).
        """
        self._cache = cache
        self._deliverer = deliverer
        cache.add_listener(self._on_changes)
        self._on_changes(ConfigChanges(generation=cache.generation, full=True))
        try:
            yield self
        finally:
            self._cache = None
            for integration in self._integrations.values():
                self._set_enabled(integration, False)
            self._deliverer = None

    def get_configs(
        self,
        integration_id: str,
        *,
        event: Event | None = None,
        tenant: str | Unset | None = UNSET,
    ) -> list[IntegrationConfig]:
        """Enabled configurations of an integration; see ``Integration.get_configs``."""
        by_tenant = self._enabled.get(integration_id)
        if not by_tenant:
            return []
        if event is not None and event.config_id is not None:  # addressed: that one only
            return [c for c in by_tenant.get(event.tenant, ()) if c.id == event.config_id]
        if event is not None:
            return [config for config in by_tenant.get(event.tenant, ()) if config.matches(event)]
        if isinstance(tenant, Unset):
            return [config for configs in by_tenant.values() for config in configs]
        return list(by_tenant.get(tenant, ()))

    def get_config(self, config_id: str) -> IntegrationConfig | None:
        """One configuration's view, enabled or not; ``None`` if unknown here."""
        integration_id = self._owner.get(config_id)
        if integration_id is None:
            return None
        return self._configs.get(integration_id, {}).get(config_id)

    def orphaned_records(self) -> list[ConfigRecord]:
        """Configurations whose integration is not installed here: kept, never used."""
        if self._cache is None:
            return []
        registered = self._integrations
        return [r for r in self._cache.records.values() if r.integration_id not in registered]

    @property
    def invalid_configs(self) -> Mapping[str, str]:
        """Configurations that could not be loaded (id -> reason); they are never used."""
        return self._invalid

    def _on_changes(self, changes: ConfigChanges) -> None:
        if self._cache is None:
            return
        if changes.full:
            self._configs.clear()
            self._owner.clear()
            self._invalid.clear()
            for record in self._cache.records.values():
                self._add_view(record)
            affected = set(self._integrations)
        else:
            affected = set()
            for config_id in (*changes.records, *changes.broken):
                previous = self._remove_view(config_id)
                if previous is not None:
                    affected.add(previous)
                current = self._cache.records.get(config_id)
                if current is not None:
                    self._add_view(current)
                    affected.add(current.integration_id)
        self._reindex_and_sync(affected & set(self._integrations))

    def _add_view(self, record: ConfigRecord) -> None:
        integration = self._integrations.get(record.integration_id)
        if integration is None:
            return  # orphaned: kept in the cache, listed, never used
        try:
            view = IntegrationConfig(record, integration)
        except ConfigValidationError as exc:
            self._invalid[record.id] = str(exc)
            logger.error("Configuration %s cannot be used: %s", record.id, exc)
            return
        self._configs.setdefault(record.integration_id, {})[record.id] = view
        self._owner[record.id] = record.integration_id

    def _remove_view(self, config_id: str) -> str | None:
        self._invalid.pop(config_id, None)
        integration_id = self._owner.pop(config_id, None)
        if integration_id is not None:
            self._configs.get(integration_id, {}).pop(config_id, None)
        return integration_id

    def _reindex_and_sync(self, integration_ids: set[str]) -> None:
        for integration_id in integration_ids:
            by_tenant: dict[str | None, list[IntegrationConfig]] = {}
            for view in self._configs.get(integration_id, {}).values():
                if view.enabled:
                    by_tenant.setdefault(view.tenant, []).append(view)
            if by_tenant:
                self._enabled[integration_id] = {
                    tenant: tuple(sorted(views, key=lambda v: (v.created_at, v.id)))
                    for tenant, views in by_tenant.items()
                }
            else:
                self._enabled.pop(integration_id, None)
            self._set_enabled(self._integrations[integration_id], bool(by_tenant))

    def _set_enabled(self, integration: Integration, enabled: bool) -> None:
        try:
            if enabled and integration.state == "disabled":
                integration.enable_integration()
                logger.info("Integration %s enabled", integration.integration_id)
            elif not enabled and integration.state != "disabled":
                integration.disable_integration()
                logger.info("Integration %s disabled", integration.integration_id)
        except Exception:
            # A failing initialize() leaves it disabled; the next change retries.
            logger.exception(
                "Integration %s failed to %s",
                integration.integration_id,
                "initialize" if enabled else "shut down",
            )
