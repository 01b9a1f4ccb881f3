"""What the tests share: a configuration's settings, and reading a Zulip request's form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest

ZulipSettings = Callable[..., dict[str, Any]]

BOT_EMAIL = "reviews-bot@chat.example.com"
API_KEY = "abcd1234EFGH5678ijkl9012MNOP3456"


@pytest.fixture
def zulip_settings() -> ZulipSettings:
    """``zulip_settings(site, **overrides)``: a valid configuration's settings."""

    def make(site: str = "https://chat.example.com", **overrides: Any) -> dict[str, Any]:
        return {
            "site": site,
            "bot_email": BOT_EMAIL,
            "api_key": API_KEY,
            "stream": "code review",
            **overrides,
        }

    return make


FormFields = Callable[[bytes], dict[str, str]]


@pytest.fixture
def form_fields() -> FormFields:
    """``form_fields(body)``: a form-encoded body's fields, each given once."""
    return _form_fields


def _form_fields(body: bytes) -> dict[str, str]:
    parsed = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {name: values[0] for name, values in parsed.items()}
