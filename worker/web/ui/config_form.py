"""``/ui/configs/new?integration_id=ID`` and ``/ui/configs/{config_id}``: the form generated
from an integration's ``ConfigForm``, to create a configuration or edit one.

An adapter over ``ConfigAdmin.create`` and ``ConfigAdmin.update``, as the API's
``/api/configs`` is, with its tenant rules: a tenant's session creates in its own tenant
only (the form has no tenant field for it, and what is posted is not read), and another
tenant's configuration is 404 (``records.visible_record``). The form saves only when
every part validates: the fields, then the conditions (``conditions_form.py``); when one
does not, it comes back with what was typed (never a secret), each error next to its
field in the CLI's words, and a summary at the top. The fields are checked by the
integration's form even when the conditions or a field's text were refused, so that
every error shows at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from switchboard.config import UNSET, ConfigRecord
from switchboard.integrations import ConfigAdmin, ConfigValidationError, Integration

from ..api.services import SERVICES
from .conditions_form import MODES, OPERATORS, ConditionsDraft
from .config_draft import FormLayout, Submission, Values
from .form_view import error_summary, field_views
from .guard import SESSION
from .records import badge, signs_deliveries, visible_record
from .render import Notice, page, redirect

__all__ = ["FormTarget", "edit_page", "routes"]


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/configs/new", _new)
    app.router.add_post("/ui/configs/new", _create)
    app.router.add_get("/ui/configs/{config_id}", _edit)
    app.router.add_post("/ui/configs/{config_id}", _save)


@dataclass(frozen=True, slots=True, kw_only=True)
class FormTarget:
    """What a form page is for: a new configuration of an integration, or a record
    (``integration`` ``None``: an orphan, whose settings cannot be edited)."""

    integration_id: str
    integration: Integration | None
    record: ConfigRecord | None
    layout: FormLayout

    @classmethod
    def new(cls, request: web.Request) -> FormTarget:
        integration_id = request.query.get("integration_id", "")
        manager = request.app[SERVICES].manager
        if not manager.is_registered(integration_id):
            raise web.HTTPNotFound(text="No such integration is installed.")
        integration = manager.get_integration(integration_id)
        return cls(
            integration_id=integration_id,
            integration=integration,
            record=None,
            layout=FormLayout.of(integration, with_tenant=_is_admin(request)),
        )

    @classmethod
    def of(cls, request: web.Request, record: ConfigRecord) -> FormTarget:
        manager = request.app[SERVICES].manager
        installed = manager.is_registered(record.integration_id)
        integration = manager.get_integration(record.integration_id) if installed else None
        return cls(
            integration_id=record.integration_id,
            integration=integration,
            record=record,
            layout=FormLayout.of(integration, with_tenant=_is_admin(request)),
        )

    def initial(self, admin: ConfigAdmin) -> Values:
        secret = admin.secret_settings(self.record) if self.record else frozenset()
        return self.layout.initial(self.record, secret)

    def render(
        self,
        request: web.Request,
        values: Values,
        conditions: ConditionsDraft,
        *,
        errors: dict[str, str] | None = None,
        typed_secrets: frozenset[str] = frozenset(),
        problem: str | None = None,
        status: int = 200,
    ) -> web.Response:
        errors = errors or {}
        conditions = conditions.with_errors(errors)
        record = self.record
        query = urlencode({"integration_id": self.integration_id})
        action = f"/ui/configs/{record.id}" if record else f"/ui/configs/new?{query}"
        context = {
            "record": record,
            "integration": badge(request.app[SERVICES].manager, self.integration_id),
            "action": action,
            "fieldsets": field_views(
                self.layout, values, record=record, errors=errors, typed_secrets=typed_secrets
            ),
            "conditions": conditions,
            "operators": OPERATORS,
            "modes": MODES,
            "summary": error_summary(errors, self.layout, conditions),
            "tenant_fixed": request[SESSION].principal.tenant,
            # A tenant's session has no tenant field: its cap's error shows by the tenant.
            "tenant_error": errors.get("tenant"),
            "signs": self.integration is not None and signs_deliveries(self.integration),
            "problem": problem,
        }
        return page(request, "config_form.html", context, status=status)


def _is_admin(request: web.Request) -> bool:
    return request[SESSION].principal.tenant is None


async def edit_page(
    request: web.Request, record: ConfigRecord, *, problem: str | None = None, status: int = 200
) -> web.Response:
    """``record``'s form as stored (``problem``: what an action on it could not do)."""
    target = FormTarget.of(request, record)
    values = target.initial(request.app[SERVICES].configs)
    conditions = ConditionsDraft.of_stored(record.conditions)
    return target.render(request, values, conditions, problem=problem, status=status)


async def _new(request: web.Request) -> web.Response:
    target = FormTarget.new(request)
    values = target.initial(request.app[SERVICES].configs)
    return target.render(request, values, ConditionsDraft.of_stored(None))


async def _edit(request: web.Request) -> web.Response:
    return await edit_page(request, await visible_record(request))


async def _create(request: web.Request) -> web.Response:
    return await _submitted(request, FormTarget.new(request))


async def _save(request: web.Request) -> web.Response:
    return await _submitted(request, FormTarget.of(request, await visible_record(request)))


async def _submitted(request: web.Request, target: FormTarget) -> web.Response:
    form = await request.post()
    admin = request.app[SERVICES].configs
    conditions = ConditionsDraft.posted(form)
    stored = target.record.settings if target.record else {}
    submission = Submission.read(target.layout, form, target.initial(admin), stored)
    if form.get("action") == "add-row":  # nothing is saved: the same form, one row more
        return target.render(
            request,
            target.layout.posted(form),
            conditions.with_row(),
            typed_secrets=submission.typed_secrets,  # never shown again: asked again
        )
    condition_set, condition_errors = conditions.checked()
    errors = {**submission.errors, **condition_errors}
    if errors:  # the fields are checked too, for every error to show at once
        errors = {**_settings_errors(target, submission, stored), **errors}
    else:
        try:
            notice = await _write(request, target, submission, condition_set)
        except ConfigValidationError as exc:
            errors = exc.errors
        else:
            raise redirect("/ui/configs", notice)
    return target.render(
        request,
        target.layout.posted(form),
        conditions,
        errors=errors,
        typed_secrets=submission.typed_secrets,
        status=422,
    )


async def _write(
    request: web.Request, target: FormTarget, submission: Submission, conditions: Any
) -> Notice:
    admin = request.app[SERVICES].configs
    principal = request[SESSION].principal
    if target.record is None:
        await admin.create(
            target.integration_id,
            name=submission.name,
            settings=submission.settings,
            tenant=submission.tenant if principal.tenant is None else principal.tenant,
            enabled=submission.enabled,
            conditions=conditions,
            rate_limit=submission.rate_limit,
        )
        return Notice.created
    await admin.update(
        target.record.id,
        name=submission.name,
        enabled=submission.enabled,
        settings=submission.settings,
        unset=submission.unset,
        tenant=submission.tenant if principal.tenant is None else UNSET,
        conditions=conditions,
        rate_limit=submission.rate_limit,
    )
    return Notice.saved


def _settings_errors(
    target: FormTarget, submission: Submission, stored: Mapping[str, Any]
) -> dict[str, str]:
    """What the integration's form says of the fields as submitted (nothing is written)."""
    integration = target.integration
    if integration is None:
        return {}
    given = {k: v for k, v in stored.items() if k not in submission.unset}
    given.update(submission.settings)
    try:
        integration.config_form_cls.validate_config(
            name=submission.name,
            enabled=submission.enabled,
            settings={**integration.default_settings, **given},
        )
    except ConfigValidationError as exc:
        return exc.errors
    return {}
