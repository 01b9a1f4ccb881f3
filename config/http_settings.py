"""Outbound HTTP's settings: which client sends, its timeouts, its connection limits and the
certificates it trusts. ``Settings`` inherits them, so there is still one settings object,
read from the environment once; this only keeps ``settings.py`` to a readable length."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

__all__ = ["HttpSettings"]


class HttpSettings(BaseSettings):
    """Outbound HTTP's part of ``Settings`` (never made on its own: ``Settings`` is)."""

    http_client: Literal["aiohttp", "httptools", "reqwest"] = Field(
        default="httptools",
        description="The client that sends deliveries: `aiohttp`, `httptools` (HTTP/1.1 on "
        "the event loop's connections, parsed by llhttp: the least CPU a delivery), or "
        "`reqwest` (pyreqwest: "
        "Rust's reqwest and hyper; twice aiohttp's rate from an idle process, slower inside "
        "a busy worker, docs/performance.md). Both keep every guarantee: the SSRF guard's "
        "addresses only, no redirects, the timeouts, the capped read (docs/delivery.md).",
    )
    http_connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to connect to an endpoint."
    )
    http_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds one outbound request may take in all (connect, send, answer).",
    )
    http_max_connections: int = Field(
        default=256, ge=1, description="Outbound requests one worker makes at once."
    )
    http_max_connections_per_host: int = Field(
        default=10, ge=1, description="Outbound requests one worker makes at once to one host."
    )
    http_max_connections_per_tenant: int = Field(
        default=0,
        ge=0,
        description="Outbound requests one worker makes at once for one tenant's "
        "configurations, so that one tenant's slow endpoints leave the rest for the others; "
        "0: half of SWITCHBOARD_HTTP_MAX_CONNECTIONS.",
    )
    http_ca_bundle: Path | None = Field(
        default=None,
        description="A PEM file of certificate authorities endpoints' TLS certificates may "
        "also be signed by (a private CA), besides the system's.",
    )
