"""The one flattening of pydantic's errors into ``(field, reason)`` pairs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from switchboard.config.field_errors import (
    errors_text,
    field_errors,
    plain_reason,
    pydantic_reason,
)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    size: int = 0

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a name cannot be blank")
        return value


class Order(BaseModel):
    items: list[Item]


def _error(data: object, model: type[BaseModel] = Order) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value


def test_a_field_is_the_location_dotted_after_the_prefix() -> None:
    exc = _error({"items": [{"name": "a"}, {"name": "b", "size": "big"}]})
    assert field_errors(exc) == [("items.1.size", pydantic_reason(exc.errors()[0]))]
    assert field_errors(exc, prefix=("order",))[0][0] == "order.items.1.size"


def test_an_error_about_the_whole_input_is_named_whole() -> None:
    exc = _error("not an object", Item)
    assert field_errors(exc, whole="event")[0][0] == "event"
    assert field_errors(exc)[0][0] == ""


def test_plain_reasons_say_what_is_wrong_without_pydantics_words() -> None:
    exc = _error({"items": [{"size": 1}, {"name": " "}, {"name": "c", "colour": "red"}]})
    assert field_errors(exc, reason=plain_reason) == [
        ("items.0.name", "this field is required"),
        ("items.1.name", "a name cannot be blank"),
        ("items.2.colour", "unknown key"),
    ]


def test_the_text_is_each_field_and_reason_in_order() -> None:
    assert errors_text([("a", "bad"), ("b.0", "worse")]) == "a: bad; b.0: worse"
    assert errors_text([]) == ""
