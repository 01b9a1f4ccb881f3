"""What a reader of the configuration store gets back from a script: the records of a
flat ``[id, json, id, json, ...]`` reply (``decode_pairs``), and what changed since a
generation (``ConfigChanges``, what ``ConfigStore.changes_since`` answers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import RecordFormatError
from .records import ConfigRecord
from .secrets import SecretBox

__all__ = ["ConfigChanges", "decode_pairs"]


@dataclass(slots=True)
class ConfigChanges:
    """What changed since a generation: ``records`` maps id -> record, or ``None`` when deleted.

    ``full`` means ``records`` is the whole store (the caller should drop
    anything not in it). ``broken`` holds records that could not be read.
    """

    generation: int
    full: bool = False
    records: dict[str, ConfigRecord | None] = field(default_factory=dict)
    broken: dict[str, RecordFormatError] = field(default_factory=dict)


def decode_pairs(
    flat: list[Any], secrets: SecretBox | None
) -> tuple[dict[str, ConfigRecord | None], dict[str, RecordFormatError]]:
    records: dict[str, ConfigRecord | None] = {}
    broken: dict[str, RecordFormatError] = {}
    for index in range(0, len(flat), 2):
        config_id = flat[index].decode()
        raw = flat[index + 1]
        if raw is None:
            records[config_id] = None
            continue
        try:
            records[config_id] = ConfigRecord.from_json(config_id, raw, secrets)
        except RecordFormatError as exc:
            broken[config_id] = exc
    return records, broken
