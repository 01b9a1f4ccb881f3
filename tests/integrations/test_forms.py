"""ConfigForm, Fieldset and secret_field: layout, validation in plain words, secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import Field, HttpUrl, SecretBytes, SecretStr
from support.sample import SampleForm

from switchboard.integrations import ConfigForm, ConfigValidationError, Fieldset, secret_field


class AlertForm(ConfigForm):
    webhook_url: HttpUrl = secret_field(title="Webhook URL")
    channel: str = Field(default="#general", title="Channel")
    password: SecretStr = Field(title="Password")
    threshold: int = Field(default=1, ge=1, le=100)
    note: str = ""

    fieldsets = (
        Fieldset(
            title="Delivery",
            description="Where alerts go.",
            fields=("webhook_url", "channel"),
        ),
        Fieldset(title="Security", fields=("password",)),
    )


class PlainForm(ConfigForm):
    """No fieldsets at all."""

    host: str
    port: int = 80


class FullyPlacedForm(ConfigForm):
    host: str
    port: int = 80

    fieldsets = (Fieldset(title="Server", fields=("port", "host")),)


class KeyForm(ConfigForm):
    signing_key: SecretBytes
    backup_token: str | None = secret_field(default=None, json_schema_extra={"placeholder": "t"})


SAMPLE_SETTINGS: dict[str, Any] = {
    "endpoint_url": "https://example.com/endpoint/",
    "client_id": "abc123",
}

ALERT_SETTINGS: dict[str, Any] = {
    "webhook_url": "https://hooks.example.com/T000/B000",
    "password": "hunter2",
}


def config_errors(form: type[ConfigForm], settings: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as caught:
        form.validate_config(name="My config", enabled=True, settings=settings)
    assert str(caught.value).startswith("Invalid configuration: ")
    return caught.value.errors


# -- field order and layout ----------------------------------------------------


@pytest.mark.parametrize("form", [SampleForm, AlertForm, PlainForm])
def test_name_and_enabled_come_first(form: type[ConfigForm]) -> None:
    assert list(form.model_fields)[:2] == ["name", "enabled"]
    assert "name" not in form.settings_fields()
    assert "enabled" not in form.settings_fields()

    basic = form.layout()[0]
    assert basic.title == "Basic info"
    assert list(basic.fields) == ["name", "enabled"]


def test_settings_fields_keep_declaration_order() -> None:
    assert SampleForm.settings_fields() == ["endpoint_url", "client_id", "retries", "api_token"]
    assert AlertForm.settings_fields() == [
        "webhook_url",
        "channel",
        "password",
        "threshold",
        "note",
    ]


def test_layout_keeps_author_fieldsets_then_leftovers() -> None:
    layout = AlertForm.layout()

    assert [fieldset.title for fieldset in layout] == ["Basic info", "Delivery", "Security", None]
    delivery, security, rest = layout[1:]
    assert list(delivery.fields) == ["webhook_url", "channel"]
    assert delivery.description == "Where alerts go."
    assert list(security.fields) == ["password"]
    assert security.description is None
    assert list(rest.fields) == ["threshold", "note"]
    assert rest.description is None


def test_layout_of_sample_form() -> None:
    layout = SampleForm.layout()

    assert len(layout) == 3
    assert layout[1].title is None
    assert layout[1].description == "Where to send things."
    assert list(layout[1].fields) == ["endpoint_url", "client_id"]
    assert list(layout[2].fields) == ["retries", "api_token"]
    assert layout[2].title is None


def test_layout_without_fieldsets_puts_every_setting_in_one_untitled_fieldset() -> None:
    layout = PlainForm.layout()

    assert len(layout) == 2
    assert layout[1] == Fieldset(fields=["host", "port"])


def test_layout_has_no_trailing_fieldset_when_every_field_is_placed() -> None:
    layout = FullyPlacedForm.layout()

    assert [fieldset.title for fieldset in layout] == ["Basic info", "Server"]
    assert list(layout[1].fields) == ["port", "host"]  # the author's order, not declaration order


def test_fieldset_with_unknown_field_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"BadForm\.fieldsets: no field named 'hostname'"):

        class BadForm(ConfigForm):
            host: str

            fieldsets = (Fieldset(fields=("hostname",)),)


def test_fieldset_with_repeated_field_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"BadForm\.fieldsets: 'host' appears twice"):

        class BadForm(ConfigForm):
            host: str
            port: int = 80

            fieldsets = (
                Fieldset(title="One", fields=("host", "port")),
                Fieldset(title="Two", fields=("host",)),
            )


@pytest.mark.parametrize("basic_field", ["name", "enabled"])
def test_fieldset_with_a_basic_field_is_refused_at_class_definition(basic_field: str) -> None:
    expected = rf"BadForm\.fieldsets: '{basic_field}' is in the basic info fieldset already"
    with pytest.raises(TypeError, match=expected):

        class BadForm(ConfigForm):
            host: str

            fieldsets = (Fieldset(fields=("host", basic_field)),)


# -- validation ----------------------------------------------------------------


def test_validate_config_normalises_values() -> None:
    form = SampleForm.validate_config(
        name="  Production  ",
        enabled=False,
        settings={
            "endpoint_url": "HTTPS://Example.COM",
            "client_id": "  abc123 ",
            "retries": "5",
        },
    )

    assert isinstance(form, SampleForm)
    assert form.name == "Production"
    assert form.enabled is False
    assert str(form.endpoint_url) == "https://example.com/"
    assert form.client_id == "abc123"
    assert form.retries == 5
    assert form.api_token is None


def test_validate_config_fills_defaults() -> None:
    form = AlertForm.validate_config(name="Alerts", enabled=True, settings=ALERT_SETTINGS)

    assert form.channel == "#general"
    assert form.threshold == 1
    assert form.note == ""
    assert form.password.get_secret_value() == "hunter2"


@pytest.mark.parametrize(
    ("settings", "field", "reason"),
    [
        pytest.param(
            {"endpoint_url": "https://example.com/"},
            "client_id",
            "this field is required",
            id="missing-field",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "colour": "blue"},
            "colour",
            "not a setting of this integration",
            id="unknown-key",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "endpoint_url": "not a url"},
            "endpoint_url",
            "valid URL",
            id="bad-url",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "endpoint_url": "ftp://example.com/"},
            "endpoint_url",
            "URL scheme should be 'http' or 'https'",
            id="url-with-wrong-scheme",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "retries": 11},
            "retries",
            "less than or equal to 10",
            id="int-too-large",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "retries": -1},
            "retries",
            "greater than or equal to 0",
            id="int-too-small",
        ),
        pytest.param(
            {**SAMPLE_SETTINGS, "retries": "many"},
            "retries",
            "valid integer",
            id="int-not-a-number",
        ),
    ],
)
def test_validate_config_reports_errors_per_field(
    settings: dict[str, Any], field: str, reason: str
) -> None:
    errors = config_errors(SampleForm, settings)

    assert field in errors, errors
    assert reason in errors[field]
    assert "pydantic" not in errors[field]  # no documentation links


def test_validate_config_reports_every_error_at_once() -> None:
    errors = config_errors(SampleForm, {"retries": 99, "colour": "blue"})

    assert errors == {
        "endpoint_url": "this field is required",
        "client_id": "this field is required",
        "retries": "Input should be less than or equal to 10",
        "colour": "not a setting of this integration",
    }


def test_validate_config_checks_the_name() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        SampleForm.validate_config(name="   ", enabled=True, settings=SAMPLE_SETTINGS)

    assert set(caught.value.errors) == {"name"}
    assert "at least 1 character" in caught.value.errors["name"]


@pytest.mark.parametrize("basic_field", ["name", "enabled"])
def test_basic_fields_inside_settings_are_refused(basic_field: str) -> None:
    errors = config_errors(SampleForm, {**SAMPLE_SETTINGS, basic_field: "sneaky"})

    assert errors == {basic_field: f"'{basic_field}' is not a setting; set it directly"}


def test_required_secret_field_is_required() -> None:
    errors = config_errors(AlertForm, {"password": "hunter2"})

    assert errors == {"webhook_url": "this field is required"}


# -- secrets -------------------------------------------------------------------


def test_secret_fields_finds_secret_str_and_secret_field() -> None:
    assert AlertForm.secret_fields() == frozenset({"webhook_url", "password"})


def test_secret_fields_finds_secret_bytes_and_optional_secret_field() -> None:
    assert KeyForm.secret_fields() == frozenset({"signing_key", "backup_token"})


def test_secret_fields_finds_an_optional_secret_str() -> None:
    """SampleForm.api_token is ``SecretStr | None``: still a secret."""
    assert SampleForm.secret_fields() == frozenset({"api_token"})


def test_secret_field_keeps_other_schema_extras() -> None:
    extra = KeyForm.model_fields["backup_token"].json_schema_extra

    assert extra == {"placeholder": "t", "secret": True}
    assert KeyForm.model_fields["backup_token"].default is None
    assert KeyForm.model_fields["signing_key"].is_required()


def test_settings_json_reveals_secrets_and_leaves_out_basic_fields() -> None:
    form = AlertForm.validate_config(
        name="Alerts", enabled=True, settings={**ALERT_SETTINGS, "threshold": "7"}
    )

    values = form.settings_json()

    assert values == {
        "webhook_url": "https://hooks.example.com/T000/B000",
        "channel": "#general",
        "password": "hunter2",
        "threshold": 7,
        "note": "",
    }
    assert json.loads(json.dumps(values)) == values


def test_settings_json_reveals_secret_bytes_as_text() -> None:
    form = KeyForm.validate_config(
        name="Keys", enabled=True, settings={"signing_key": "s3cr3t", "backup_token": "tok"}
    )

    assert form.settings_json() == {"signing_key": "s3cr3t", "backup_token": "tok"}


def test_settings_json_reveals_an_optional_secret_str() -> None:
    form = SampleForm.validate_config(
        name="Sample", enabled=True, settings={**SAMPLE_SETTINGS, "api_token": "tok-123"}
    )

    assert form.settings_json()["api_token"] == "tok-123"


def test_settings_json_keeps_an_unset_secret_as_null() -> None:
    form = SampleForm.validate_config(name="Sample", enabled=True, settings=SAMPLE_SETTINGS)

    assert form.settings_json() == {
        "endpoint_url": "https://example.com/endpoint/",
        "client_id": "abc123",
        "retries": 3,
        "api_token": None,
    }


def test_settings_json_round_trips_through_validate_config() -> None:
    form = AlertForm.validate_config(name="Alerts", enabled=False, settings=ALERT_SETTINGS)

    again = AlertForm.validate_config(name="Alerts", enabled=False, settings=form.settings_json())

    assert again == form
    assert again.password.get_secret_value() == "hunter2"
