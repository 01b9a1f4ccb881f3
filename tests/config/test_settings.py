"""Settings from the environment, and the documented defaults checked against the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from switchboard.config import Settings, SettingsError, load_settings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://example.test:6380/2")
    monkeypatch.setenv("SWITCHBOARD_KEY_PREFIX", "acme")
    monkeypatch.setenv("SWITCHBOARD_INTEGRATIONS", "a.B, c.D ,")
    monkeypatch.setenv("SWITCHBOARD_CONFIG_POLL_INTERVAL", "0.25")
    settings = load_settings()
    assert settings.effective_redis_url == "redis://example.test:6380/2"
    assert settings.key_prefix == "acme"
    assert settings.integrations == ("a.B", "c.D")
    assert settings.config_poll_interval == 0.25


def test_settings_are_immutable_values() -> None:
    settings = Settings(redis_url="redis://x")
    with pytest.raises(ValueError, match="frozen"):
        settings.key_prefix = "other"  # type: ignore[misc]


def test_default_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SWITCHBOARD_REDIS_URL", raising=False)
    assert load_settings().effective_redis_url == "redis://localhost:6379/0"


def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CONFIG_POLL_INTERVAL", "-1")
    with pytest.raises(SettingsError, match="SWITCHBOARD_CONFIG_POLL_INTERVAL"):
        load_settings()


# -- the documented defaults are the code's ------------------------------------------

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Variables the docs name that are not ``Settings`` fields (read where they are used).
NOT_SETTINGS = {"SWITCHBOARD_REDIS_SERVER"}
#: Defaults that the table states as what they stand for.
DERIVED = {"queue_name": "`{prefix}:queue`", "redis_url": "unset"}
UNITS = {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400, "day": 86400, "days": 86400}
UNITS |= {"KiB": 1024, "MiB": 1024 * 1024}
#: "`SWITCHBOARD_X` (5 s)", "`SWITCHBOARD_X`, 256:", "`SWITCHBOARD_X` (default 0.5 s)",
#: "`SWITCHBOARD_X` defaults to 100": a number (and unit) right before ), ",", ":" or ";".
MENTION = re.compile(
    r"`(SWITCHBOARD_[A-Z_]+)`(?:, | \(| defaults to )(?:default )?([0-9][0-9,]*(?:\.[0-9]+)?)"
    rf" ?({'|'.join(UNITS)})?(?=[),:;])"
)


def _variable(name: str) -> str:
    return "REDIS_URL" if name == "redis_url" else f"SWITCHBOARD_{name.upper()}"


def _default_cell(name: str) -> str:
    if name in DERIVED:
        return DERIVED[name]
    value = Settings.model_fields[name].get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if value == ():
        return "empty"
    if isinstance(value, tuple):
        return "`" + ",".join(_number(v) for v in value) + "`"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"`{_number(value)}`"
    return f"`{value}`"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_readme_lists_every_setting_with_the_codes_default() -> None:
    rows = {}
    for line in (REPO / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].strip("`").isupper():
            rows[cells[0].strip("`")] = cells[1]
    for name in Settings.model_fields:
        variable = _variable(name)
        assert variable in rows, f"{variable} is not in the README's settings table"
        assert rows[variable].startswith(_default_cell(name)), (
            f"{variable}: the README says {rows[variable]!r}, the code {_default_cell(name)!r}"
        )
    assert set(rows) - {_variable(name) for name in Settings.model_fields} == NOT_SETTINGS


def test_every_default_the_docs_mention_is_the_codes() -> None:
    checked = 0
    for path in DOCS:
        text = " ".join(path.read_text().split())  # a mention may wrap across lines
        for match in MENTION.finditer(text):
            variable, number, unit = match.groups()
            name = variable.removeprefix("SWITCHBOARD_").lower()
            assert name in Settings.model_fields, f"{path.name}: {variable} is no setting"
            said = float(number.replace(",", "")) * UNITS.get(unit or "", 1)
            default = Settings.model_fields[name].get_default(call_default_factory=True)
            assert said == pytest.approx(default), (
                f"{path.name}: {match.group(0)!r} says {said}, the default is {default}"
            )
            checked += 1
    assert checked >= 15  # the pattern still finds the mentions
