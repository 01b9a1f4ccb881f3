"""The conditions editor in the configuration form: "Add a row" brings the form back with
one more row and saves nothing; values are JSON when they are JSON, else text; blank
rows are ignored; an invalid condition is shown next to its row and nothing is saved."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from markupsafe import escape
from support.configs import config_admin, field_html
from support.ui import post_form

from switchboard.config import ConfigStore

WEBHOOK = "switchboard.webhook"
NEW = f"/ui/configs/new?integration_id={WEBHOOK}"
BASICS = {"name": "hook", "enabled": "on", "setting.url": "https://hooks.example.com/in"}


def _rows(*rows: tuple[str, str, str], mode: str = "all") -> list[tuple[str, str]]:
    fields = [*BASICS.items(), ("conditions.mode", mode)]
    for choice, op, value in rows:
        fields += [
            ("conditions.choice", choice),
            ("conditions.op", op),
            ("conditions.value", value),
        ]
    return fields


async def test_add_a_row_saves_nothing_and_keeps_what_was_typed(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    page = await (await client.get(NEW)).text()
    assert 'id="c-0-choice"' in page
    assert 'id="c-1-choice"' not in page
    assert 'name="action" value="add-row"' in page
    typed = [*_rows(("review.author", "is-not", "bob")), ("action", "add-row")]
    answer = await post_form(client, NEW, csrf, typed)
    assert answer.status == 200
    page = await answer.text()
    assert 'value="review.author"' in field_html(page, "conditions.choice")
    assert '<option value="is-not" selected>' in page
    assert 'id="c-1-choice"' in page
    assert 'id="c-2-choice"' not in page
    assert 'name="conditions.mode" value="all" checked' in page
    assert 'value="hook"' in field_html(page, "name")
    assert "aria-invalid" not in page  # nothing was checked: nothing is wrong yet
    assert (await store.list())[0] == []


async def test_every_operator_is_offered(client: TestClient[Any, Any], csrf: str) -> None:
    page = await (await client.get(NEW)).text()
    select = field_html(page, "conditions.op")
    for op in ("is", "one-of", "contains", "matches-regex", "greater-than", "any", "none"):
        assert f'<option value="{op}"' in select


async def test_an_invalid_condition_shows_by_its_row_and_nothing_is_saved(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    typed = _rows(("", "is", ""), ("review.count", "greater-than", "many"))
    typed = [(k, "nope" if k == "setting.url" else v) for k, v in typed]
    answer = await post_form(client, NEW, csrf, typed)
    assert answer.status == 422
    page = await answer.text()
    reason = "&#39;greater-than&#39; needs a number, not &#39;many&#39;"
    assert f'<p class="error" id="c-1-value-error">{reason}</p>' in page  # the blank row is 0
    value = field_html(page, "conditions.value").replace("\n", "")
    assert 'value=""' in value  # the first, blank row, as it was
    assert 'aria-invalid="true" aria-describedby="c-1-value-error"' in page
    assert f'<a href="#c-1-value">Condition 2</a>: value: {reason}' in page
    assert 'id="f-setting-url-error"' in page  # the fields' errors show at once
    assert (await store.list())[0] == []
    for mode, rows, words in (
        ("all", (), "mode 'all' needs at least one condition"),
        ("always", (("a", "is", "1"),), "mode 'always' takes no conditions; use 'all' or 'any'"),
        ("all", (("not a path", "is", "x"),), "must be a dotted path into the event data"),
    ):
        answer = await post_form(client, NEW, csrf, _rows(*rows, mode=mode))
        assert answer.status == 422
        assert str(escape(words)) in await answer.text()
    assert (await store.list())[0] == []


async def test_a_valid_set_is_saved_and_shown_back(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    typed = _rows(
        ("review.author", "is", "alice"),
        ("", "is", ""),
        ("review.count", "greater-than", "3"),
        ("review.labels", "one-of", '["a", "b"]'),
        ("review.draft", "is", "true"),
        ("review.code", "is", '"42"'),
        ("review.title", "any", ""),
        mode="any",
    )
    answer = await post_form(client, NEW, csrf, typed)
    assert answer.status == 303, await answer.text()
    [record], _ = await store.list()
    assert record.conditions == {
        "mode": "any",
        "conditions": [
            {"choice": "review.author", "op": "is", "value": "alice"},
            {"choice": "review.count", "op": "greater-than", "value": 3},
            {"choice": "review.labels", "op": "one-of", "value": ["a", "b"]},
            {"choice": "review.draft", "op": "is", "value": True},
            {"choice": "review.code", "op": "is", "value": "42"},
            {"choice": "review.title", "op": "any", "value": None},
        ],
    }
    page = await (await client.get(f"/ui/configs/{record.id}")).text()
    assert 'name="conditions.mode" value="any" checked' in page
    for n, text in enumerate(
        ("alice", "3", "[&#34;a&#34;,&#34;b&#34;]", "true", "&#34;42&#34;", "")
    ):
        assert f'id="c-{n}-value" name="conditions.value"' in page
        assert (
            f'id="c-{n}-value" name="conditions.value" aria-label="Condition {n + 1}: value"'
            f' value="{text}"' in page
        )
    assert 'id="c-6-choice"' in page  # an empty row to add one more
    assert 'id="c-7-choice"' not in page


async def test_editing_the_conditions_keeps_the_rest(
    client: TestClient[Any, Any], csrf: str, store: ConfigStore
) -> None:
    record = await config_admin(store).create(
        WEBHOOK, name="hook", settings={"url": "https://hooks.example.com/in"}
    )
    edit = f"/ui/configs/{record.id}"
    answer = await post_form(client, edit, csrf, _rows(("review.author", "is", "alice")))
    assert answer.status == 303
    saved = await store.get(record.id)
    assert saved.conditions["conditions"] == [
        {"choice": "review.author", "op": "is", "value": "alice"}
    ]
    assert saved.settings["secret"] == record.settings["secret"]
    answer = await post_form(client, edit, csrf, _rows(("", "is", ""), mode="always"))
    assert answer.status == 303
    assert (await store.get(record.id)).conditions == {"mode": "always", "conditions": []}
