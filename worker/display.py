"""Records as operators' tools show them (the CLI's ``--json``, the web API): secrets
masked, orphans marked, and the integrations with how many configurations use them.

A setting that is a URL shows its scheme, host and path, never what a credential hides
in: the userinfo's password and every query value are masked (``?token=``, ``?code=``,
``?sig=`` alike: which parameter is a credential is the receiver's to say, not ours).

One module for both, so that what the API answers is what the CLI prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from switchboard.config import ConfigRecord
from switchboard.integrations import ConfigAdmin, IntegrationManager

__all__ = [
    "MASK",
    "integration_rows",
    "masked_settings",
    "masked_url",
    "record_json",
    "unmasked_url",
]

MASK = "********"


def masked_settings(settings: Mapping[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    # An unset secret shows as null: that it is unset is no secret, and worth seeing.
    return {
        key: (MASK if key in secret and value is not None else _shown(value))
        for key, value in settings.items()
    }


def masked_url(url: str) -> str:
    """``url`` with its userinfo's password and every query value masked (others as given)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here, not later
    except ValueError:
        return MASK
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        # A user alone (``https://TOKEN@host``) may be the credential itself.
        netloc = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    query = "&".join(_masked_parameter(pair) for pair in parts.query.split("&"))
    fragment = MASK if parts.fragment else ""
    return SplitResult(parts.scheme, netloc, parts.path, query, fragment).geturl()


def unmasked_url(shown: str, stored: str) -> str | None:
    """``shown`` (a ``masked_url`` edited) with what it masks taken back from ``stored``:
    the password, the user, each query value by its parameter's name and place, the
    fragment. ``None`` when a mask stands where ``stored`` has nothing to give back."""
    try:
        edited, kept = urlsplit(shown), urlsplit(stored)
    except ValueError:
        return None
    netloc = edited.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        kept_userinfo = kept.netloc.rpartition("@")[0] if "@" in kept.netloc else None
        if userinfo == MASK and kept_userinfo is not None:
            netloc = f"{kept_userinfo}@{hostport}"
        elif colon and password == MASK and kept.password is not None and user == kept.username:
            netloc = f"{user}:{kept.password}@{hostport}"
    kept_values: dict[str, list[str]] = {}
    for pair in kept.query.split("&") if kept.query else ():
        name, _, value = pair.partition("=")
        kept_values.setdefault(name, []).append(value)
    taken: dict[str, int] = {}
    pairs = []
    for pair in edited.query.split("&") if edited.query else ():
        name, equals, value = pair.partition("=")
        if equals and value == MASK:
            place = taken.get(name, 0)
            taken[name] = place + 1
            values = kept_values.get(name, [])
            pair = f"{name}={values[place]}" if place < len(values) else pair
        pairs.append(pair)
    fragment = kept.fragment if edited.fragment == MASK else edited.fragment
    rebuilt = SplitResult(edited.scheme, netloc, edited.path, "&".join(pairs), fragment).geturl()
    return None if MASK in rebuilt else rebuilt


def _masked_parameter(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    return f"{name}={MASK}" if equals else (MASK if pair else pair)


def _shown(value: Any) -> Any:
    """A setting as shown: URLs (alone, or in a list) masked as ``masked_url`` does."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return masked_url(value)
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def record_json(record: ConfigRecord, admin: ConfigAdmin) -> dict[str, Any]:
    """A record for display: secrets masked, orphan status shown."""
    data = record.model_dump(mode="json")
    data["settings"] = masked_settings(record.settings, admin.secret_settings(record))
    data["orphaned"] = admin.is_orphaned(record)
    # What holds the configuration back: its own limit, or its integration's default.
    data["effective_rate_limit"] = admin.effective_rate_limit(record)
    return data


def integration_rows(
    manager: IntegrationManager, records: Iterable[ConfigRecord] | None
) -> list[dict[str, Any]]:
    """Each installed integration, with its configurations counted (all, enabled) from
    ``records``; ``None`` (Redis unreachable): the counts are ``None``."""
    counted = records is not None
    kept = list(records or ())
    total = Counter(r.integration_id for r in kept)
    enabled = Counter(r.integration_id for r in kept if r.enabled)
    return [
        {
            "id": i.integration_id,
            "name": i.name or i.integration_id,
            "description": i.description or "",
            "configs": total[i.integration_id] if counted else None,
            "enabled_configs": enabled[i.integration_id] if counted else None,
            "enabled": enabled[i.integration_id] > 0 if counted else None,
            "icon_static_urls": dict(i.icon_static_urls or {}),
        }
        for i in manager.get_integrations()
    ]
