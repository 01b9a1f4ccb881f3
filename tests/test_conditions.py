"""ConditionSet and Condition: operators, paths, modes, and refusal at parse time."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.integrations import Condition, ConditionSet, ConfigValidationError
from switchboard.integrations.conditions import OPERATORS


def single(op: str, value: Any = None, choice: str = "field") -> ConditionSet:
    """A set of one condition, mode ``all``, built the way stored data is."""
    condition: dict[str, Any] = {"choice": choice, "op": op}
    if value is not None:
        condition["value"] = value
    return ConditionSet.parse({"mode": "all", "conditions": [condition]})


def parse_errors(raw: Any) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as caught:
        ConditionSet.parse(raw)
    assert str(caught.value).startswith("Invalid conditions: ")
    return caught.value.errors


# -- operators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("is", "alice", "alice", True),
        ("is", "alice", "bob", False),
        ("is-not", "alice", "bob", True),
        ("is-not", "alice", "alice", False),
        ("one-of", ["alice", "bob"], "bob", True),
        ("one-of", ["alice", "bob"], "carol", False),
        ("not-one-of", ["alice", "bob"], "carol", True),
        ("not-one-of", ["alice", "bob"], "alice", False),
        ("contains", "setup.py", ["README", "setup.py"], True),
        ("contains", "setup.py", ["README"], False),
        ("contains", "fix", "a hotfix for it", True),
        ("contains", "fix", "a feature", False),
        ("contains", "author", {"author": "alice"}, True),
        ("contains", "author", {"owner": "alice"}, False),
        ("contains", 3, 123, False),
        ("does-not-contain", "setup.py", ["README"], True),
        ("does-not-contain", "setup.py", ["README", "setup.py"], False),
        ("starts-with", "rev", "review", True),
        ("starts-with", "rev", "preview", False),
        ("starts-with", "1", 123, False),
        ("ends-with", ".py", "setup.py", True),
        ("ends-with", ".py", "setup.cfg", False),
        ("matches-regex", r"^v\d+\.\d+$", "v1.2", True),
        ("matches-regex", r"^v\d+\.\d+$", "version", False),
        ("matches-regex", r"fix", "hotfix-1", True),  # a search, not a full match
        ("matches-regex", r"\d", 5, False),  # only strings are searched
        ("does-not-match-regex", r"^wip", "ready", True),
        ("does-not-match-regex", r"^wip", "wip: later", False),
        ("greater-than", 5, 6, True),
        ("greater-than", 5, 5, False),
        ("greater-than", 5, "6", False),
        ("greater-than", 0.5, 0.75, True),
        ("less-than", 5, 4, True),
        ("less-than", 5, 5, False),
        ("less-than", 5, None, False),
        ("any", None, "x", True),
        ("any", None, 0, True),
        ("any", None, False, True),
        ("any", None, "", False),
        ("any", None, [], False),
        ("any", None, {}, False),
        ("any", None, None, False),
        ("none", None, None, True),
        ("none", None, "", True),
        ("none", None, "x", False),
        ("none", None, 0, False),
    ],
)
def test_operator(op: str, value: Any, actual: Any, expected: bool) -> None:
    assert single(op, value).matches({"field": actual}) is expected


def test_condition_can_be_built_directly() -> None:
    condition = Condition(choice="review.author", op="is", value="alice")

    assert condition.matches({"review": {"author": "alice"}}) is True
    assert condition.matches({"review": {"author": "bob"}}) is False


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("is", True, 1, False),
        ("is", 1, True, False),
        ("is", False, 0, False),
        ("is", 0, False, False),
        ("is", True, True, True),
        ("is", 1, 1.0, True),
        ("is-not", True, 1, True),
        ("one-of", [1, 2], True, False),
        ("one-of", [True], 1, False),
        ("one-of", [True], True, True),
        ("contains", 1, [True, "1"], False),
        ("contains", True, [1, True], True),
        ("greater-than", 0, True, False),  # a boolean is not a number
        ("less-than", 2, False, False),
    ],
)
def test_json_equality_keeps_booleans_apart_from_numbers(
    op: str, value: Any, actual: Any, expected: bool
) -> None:
    assert single(op, value).matches({"field": actual}) is expected


# -- paths -------------------------------------------------------------------

EVENT_DATA: dict[str, Any] = {
    "review": {
        "author": {"name": "alice", "admin": False},
        "files": ["README", "setup.py", {"path": "docs/index.rst"}],
        "counts": {"0": "zero-key"},
        "title": "Fix it",
        "closed": None,
    },
}


@pytest.mark.parametrize(
    ("choice", "value"),
    [
        ("review.author.name", "alice"),
        ("review.author.admin", False),
        ("review.files.0", "README"),
        ("review.files.1", "setup.py"),
        ("review.files.2.path", "docs/index.rst"),
        ("review.counts.0", "zero-key"),  # digits look up a dict by key, not by position
        ("review.title", "Fix it"),
    ],
)
def test_dotted_path_reaches_nested_values(choice: str, value: Any) -> None:
    assert single("is", value, choice=choice).matches(EVENT_DATA) is True
    assert single("is", "something else", choice=choice).matches(EVENT_DATA) is False


@pytest.mark.parametrize(
    "choice",
    [
        "nothing",
        "review.nothing",
        "review.author.name.first",  # through a string
        "review.files.3",  # past the end of the list
        "review.files.first",  # a list needs a digit segment
        "review.closed.at",  # through a null
        "review.title.0",  # a string is not indexed
    ],
)
def test_paths_that_lead_nowhere_have_no_value(choice: str) -> None:
    assert single("any", choice=choice).matches(EVENT_DATA) is False
    assert single("none", choice=choice).matches(EVENT_DATA) is True


# A valid value for each operator, to look up a path that is missing.
MISSING_PATH_CASES: list[tuple[str, Any, bool]] = [
    ("is", "alice", False),
    ("one-of", ["alice"], False),
    ("contains", "x", False),
    ("starts-with", "a", False),
    ("ends-with", "a", False),
    ("matches-regex", ".*", False),
    ("greater-than", -1000, False),
    ("less-than", 1000, False),
    ("any", None, False),
    ("is-not", "alice", True),
    ("not-one-of", ["alice"], True),
    ("does-not-contain", "x", True),
    ("does-not-match-regex", ".*", True),
    ("none", None, True),
]


@pytest.mark.parametrize(("op", "value", "expected"), MISSING_PATH_CASES)
def test_missing_path_holds_only_for_negative_operators_and_none(
    op: str, value: Any, expected: bool
) -> None:
    condition_set = single(op, value, choice="review.missing")

    assert condition_set.matches({"review": {"author": "alice"}}) is expected
    assert condition_set.matches({}) is expected


def test_every_operator_is_covered_for_missing_paths() -> None:
    assert {op for op, _, _ in MISSING_PATH_CASES} == OPERATORS


# -- modes -------------------------------------------------------------------

AUTHOR_IS_ALICE = {"choice": "author", "op": "is", "value": "alice"}
TOUCHES_SETUP = {"choice": "files", "op": "contains", "value": "setup.py"}


@pytest.mark.parametrize(
    ("data", "all_expected", "any_expected"),
    [
        ({"author": "alice", "files": ["setup.py"]}, True, True),
        ({"author": "alice", "files": ["README"]}, False, True),
        ({"author": "bob", "files": ["setup.py"]}, False, True),
        ({"author": "bob", "files": ["README"]}, False, False),
        ({}, False, False),
    ],
)
def test_all_and_any_modes(data: dict[str, Any], all_expected: bool, any_expected: bool) -> None:
    conditions = [AUTHOR_IS_ALICE, TOUCHES_SETUP]

    all_set = ConditionSet.parse({"mode": "all", "conditions": conditions})
    any_set = ConditionSet.parse({"mode": "any", "conditions": conditions})

    assert all_set.matches(data) is all_expected
    assert any_set.matches(data) is any_expected


@pytest.mark.parametrize("data", [{}, {"author": "bob"}, {"anything": [1, 2, 3]}])
def test_always_mode_matches_everything(data: dict[str, Any]) -> None:
    condition_set = ConditionSet.parse({"mode": "always"})

    assert condition_set.always is True
    assert condition_set.matches(data) is True


def test_parse_none_gives_always() -> None:
    condition_set = ConditionSet.parse(None)

    assert condition_set.mode == "always"
    assert condition_set.conditions == ()
    assert condition_set.always is True
    assert condition_set.matches({"author": "anyone"}) is True


def test_parse_defaults_to_always_and_keeps_conditions_in_order() -> None:
    assert ConditionSet.parse({}).mode == "always"

    parsed = ConditionSet.parse({"mode": "any", "conditions": [AUTHOR_IS_ALICE, TOUCHES_SETUP]})

    assert parsed.always is False
    assert [c.choice for c in parsed.conditions] == ["author", "files"]
    assert [c.op for c in parsed.conditions] == ["is", "contains"]


# -- refusal at parse time -----------------------------------------------------


def one_condition(**condition: Any) -> dict[str, Any]:
    return {"mode": "all", "conditions": [{"choice": "field", **condition}]}


@pytest.mark.parametrize(
    ("raw", "key", "reason"),
    [
        pytest.param(
            one_condition(op="equals", value="x"),
            "conditions.conditions.0.op",
            "unknown operator 'equals'",
            id="unknown-operator",
        ),
        pytest.param(
            one_condition(op="greater-than", value="5"),
            "conditions.conditions.0.value",
            "'greater-than' needs a number, not '5'",
            id="greater-than-string",
        ),
        pytest.param(
            one_condition(op="less-than", value=True),
            "conditions.conditions.0.value",
            "'less-than' needs a number",
            id="less-than-boolean",
        ),
        pytest.param(
            one_condition(op="greater-than"),
            "conditions.conditions.0.value",
            "'greater-than' needs a number",
            id="greater-than-without-value",
        ),
        pytest.param(
            one_condition(op="one-of", value="alice"),
            "conditions.conditions.0.value",
            "'one-of' needs a non-empty list of values",
            id="one-of-non-list",
        ),
        pytest.param(
            one_condition(op="one-of", value=[]),
            "conditions.conditions.0.value",
            "'one-of' needs a non-empty list of values",
            id="one-of-empty-list",
        ),
        pytest.param(
            one_condition(op="starts-with", value=5),
            "conditions.conditions.0.value",
            "'starts-with' needs a non-empty string",
            id="starts-with-non-string",
        ),
        pytest.param(
            one_condition(op="ends-with", value=""),
            "conditions.conditions.0.value",
            "'ends-with' needs a non-empty string",
            id="ends-with-empty-string",
        ),
        pytest.param(
            one_condition(op="is", value=["a", "b"]),
            "conditions.conditions.0.value",
            "'is' compares with a single value",
            id="is-with-list",
        ),
        pytest.param(
            one_condition(op="contains", value={"a": 1}),
            "conditions.conditions.0.value",
            "'contains' needs a single value",
            id="contains-with-object",
        ),
        pytest.param(
            one_condition(op="matches-regex", value="(unclosed"),
            "conditions.conditions.0.value",
            "the regex '(unclosed' does not compile",
            id="regex-does-not-compile",
        ),
        pytest.param(
            one_condition(op="matches-regex", value=5),
            "conditions.conditions.0.value",
            "'matches-regex' needs a regular expression",
            id="regex-not-a-string",
        ),
        pytest.param(
            one_condition(op="any", value="x"),
            "conditions.conditions.0.value",
            "'any' takes no value",
            id="any-with-value",
        ),
        pytest.param(
            {"mode": "all"},
            "conditions",
            "mode 'all' needs at least one condition",
            id="all-without-conditions",
        ),
        pytest.param(
            {"mode": "any", "conditions": []},
            "conditions",
            "mode 'any' needs at least one condition",
            id="any-without-conditions",
        ),
        pytest.param(
            {"mode": "always", "conditions": [{"choice": "field", "op": "any"}]},
            "conditions",
            "mode 'always' takes no conditions",
            id="always-with-conditions",
        ),
        pytest.param(
            one_condition(op="is", value="x", negate=True),
            "conditions.conditions.0.negate",
            "unknown key",
            id="unknown-key-in-condition",
        ),
        pytest.param(
            {"mode": "always", "priority": 1},
            "conditions.priority",
            "unknown key",
            id="unknown-key-in-set",
        ),
        pytest.param(
            {"mode": "all", "conditions": [{"choice": "review..author", "op": "any"}]},
            "conditions.conditions.0.choice",
            "dotted path into the event data",
            id="choice-with-empty-segment",
        ),
        pytest.param(
            {"mode": "all", "conditions": [{"choice": "review author", "op": "any"}]},
            "conditions.conditions.0.choice",
            "dotted path into the event data",
            id="choice-with-space",
        ),
        pytest.param(
            {"mode": "all", "conditions": [{"op": "any"}]},
            "conditions.conditions.0.choice",
            "this field is required",
            id="choice-missing",
        ),
        pytest.param(
            {"mode": "sometimes"},
            "conditions.mode",
            "'always', 'all' or 'any'",
            id="unknown-mode",
        ),
    ],
)
def test_parse_refuses_invalid_conditions(raw: Any, key: str, reason: str) -> None:
    errors = parse_errors(raw)

    assert key in errors, errors
    assert reason in errors[key]


def test_unknown_operator_reason_lists_the_operators() -> None:
    reason = parse_errors(one_condition(op="equals", value="x"))["conditions.conditions.0.op"]

    assert "use one of:" in reason
    assert "does-not-match-regex" in reason
    assert "greater-than" in reason


def test_error_key_names_the_index_of_the_bad_condition() -> None:
    raw = {
        "mode": "any",
        "conditions": [
            {"choice": "a", "op": "is", "value": 1},
            {"choice": "b", "op": "greater-than", "value": "lots"},
        ],
    }

    assert parse_errors(raw) == {
        "conditions.conditions.1.value": "'greater-than' needs a number, not 'lots'"
    }


def test_every_bad_condition_is_reported_at_once() -> None:
    raw = {
        "mode": "all",
        "conditions": [
            {"choice": "a", "op": "nope"},
            {"choice": "b", "op": "matches-regex", "value": "["},
        ],
    }

    errors = parse_errors(raw)

    assert set(errors) == {"conditions.conditions.0.op", "conditions.conditions.1.value"}


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("none", "x"),
        ("is-not", ["a", "b"]),
        ("not-one-of", "alice"),
        ("does-not-contain", {"a": 1}),
        ("does-not-match-regex", 5),
    ],
)
def test_refusal_of_a_negative_operator_names_that_operator(op: str, value: Any) -> None:
    """The reason must speak of the operator the user wrote, not of its positive twin."""
    reason = parse_errors(one_condition(op=op, value=value))["conditions.conditions.0.value"]

    assert f"'{op}'" in reason
