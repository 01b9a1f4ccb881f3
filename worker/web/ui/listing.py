"""What the deliveries pages share (``deliveries_page.py``, ``dead_letters_page.py``,
``rejected_page.py``): a GET form's filters, read by the API's own query models; the
names of the configurations a table shows; the link to the next page; what a page of
deliveries gives its template (``table_context``).

A filter form sends its empty fields too (``?status=&since=``): ``filters`` keeps the
fields given a value and only those the model knows, so an empty field means "any", as
a parameter left out does in the API, and ``?notice=`` is not taken for a filter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel

from switchboard.config import ConfigNotFoundError, Principal, RecordFormatError
from switchboard.integrations import ConfigAdmin

from ...delivery import DeliveryPage

__all__ = ["config_names", "delivery_path", "filters", "page_link", "table_context"]


def filters(query: Mapping[str, str], model: type[BaseModel]) -> dict[str, str]:
    """The fields of ``model`` that ``query`` gives a value (``cursor`` and ``limit`` too)."""
    given = {name: query.get(name, "").strip() for name in model.model_fields}
    return {name: value for name, value in given.items() if value}


def page_link(path: str, given: Mapping[str, str], cursor: str | None = None) -> str:
    """The link to a listing with the same filters: its first page, or from ``cursor``."""
    fields = {**given, "cursor": cursor} if cursor is not None else dict(given)
    return f"{path}?{urlencode(fields)}" if fields else path


async def table_context(
    path: str,
    configs: ConfigAdmin,
    principal: Principal,
    found: DeliveryPage | None,
    given: Mapping[str, str],
    errors: Mapping[str, str],
) -> dict[str, Any]:
    """A page of deliveries (``None``: the filters were refused) as its template shows it:
    the rows, their configurations' names, the filters, and the links to other pages."""
    records = found.records if found is not None else []
    cursor = found.next_cursor if found is not None else None
    shown = {name: value for name, value in given.items() if name != "cursor"}
    return {
        "records": records,
        "names": await config_names(configs, principal, (r.config_id for r in records)),
        "filters": shown,
        "errors": dict(errors),
        "older": None if cursor is None else page_link(path, shown, cursor),
        "newest": page_link(path, shown) if "cursor" in given else None,
    }


def delivery_path(delivery_id: str) -> str:
    return f"/ui/deliveries/{quote(delivery_id, safe='')}"


async def config_names(
    configs: ConfigAdmin, principal: Principal, config_ids: Iterable[str]
) -> dict[str, str]:
    """The names of those configurations there are that ``principal`` sees (a table shows
    the others by id). One read per distinct id: a page names a few, the store many."""
    wanted = sorted(set(config_ids))
    found = await asyncio.gather(*(_name(configs, principal, i) for i in wanted))
    return {config_id: name for config_id, name in zip(wanted, found, strict=True) if name}


async def _name(configs: ConfigAdmin, principal: Principal, config_id: str) -> str | None:
    try:
        record = await configs.store.get(config_id)
    except (ConfigNotFoundError, RecordFormatError):  # deleted since, or unreadable here
        return None
    return record.name if principal.sees(record.tenant) else None
