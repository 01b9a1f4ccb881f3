"""ConditionSet and Condition: operators, paths, modes, and refusal at parse time."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
import re2

from switchboard.integrations import Condition, ConditionSet, ConfigValidationError
from switchboard.integrations.conditions import MAX_CONDITIONS, MAX_ONE_OF_VALUES, OPERATORS
from switchboard.integrations.patterns import (
    MAX_PATTERN_LENGTH,
    MAX_PROGRAM_SIZE,
    MAX_SEARCHED_BYTES,
)


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
        ("contains", 1, [True, 1.0], True),
        ("contains", 0, [False], False),
        ("contains", 0, [False, 0], True),
        ("contains", 0.0, [False, 0], True),
        ("contains", False, [0, 0.0], False),
        ("contains", False, [0, False], True),
        ("contains", 2, [True, 2.0], True),
        ("contains", "1", [1, True], False),
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


# -- what a tenant's conditions can cost ----------------------------------------


@contextmanager
def hang_fails_after(seconds: float) -> Iterator[None]:
    """A hang becomes a failure: Python's re checks for signals while it backtracks.

    A watchdog, not a measure: RE2 answers in microseconds, a backtracking
    engine would take hours on these inputs.
    """

    def expire(signum: int, frame: FrameType | None) -> None:
        raise AssertionError(f"still matching after {seconds} s: a backtracking engine?")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("op", ["matches-regex", "does-not-match-regex"])
def test_regexes_are_compiled_by_re2(op: str) -> None:
    condition = single(op, "^(a+)+b$").conditions[0]

    assert condition.regex is not None
    assert isinstance(condition.regex.compiled, type(re2.compile("")))
    assert condition.regex.program_size > 0


def test_other_operators_have_no_regex() -> None:
    assert single("contains", "a").conditions[0].regex is None


def test_backtracking_pattern_of_the_issue_is_accepted_and_matched_in_linear_time() -> None:
    raw = {
        "mode": "all",
        "conditions": [{"choice": "s", "op": "matches-regex", "value": "^(a+)+b$"}],
    }
    condition_set = ConditionSet.parse(raw)
    negated = single("does-not-match-regex", "^(a+)+b$", choice="s")

    with hang_fails_after(10):
        assert condition_set.matches({"s": "aaaaaaaaaaaaaaaaaaaaaaaaaaa!"}) is False
        assert condition_set.matches({"s": "a" * 40 + "!"}) is False  # hours for Python's re
        assert condition_set.matches({"s": "a" * 100_000 + "!"}) is False
        assert negated.matches({"s": "a" * 40 + "!"}) is True
    assert condition_set.matches({"s": "a" * 40 + "b"}) is True


@pytest.mark.parametrize(
    ("pattern", "lacked"),
    [
        (r"(a)\1", r"a backreference (\1)"),
        (r"(?P<x>a)(?P=x)", "a backreference ((?P=...))"),
        (r"(?<x>a)\k<x>", r"a backreference (\k)"),
        (r"(?=a)", "a lookahead ((?=...)"),
        (r"foo(?!bar)", "a lookahead ((?!...)"),
        (r"(?<=a)b", "a lookbehind ((?<=...)"),
        (r"(?<!a)b", "a lookbehind ((?<!...)"),
        (r"(?>a+)b", "an atomic group ((?>...))"),
        (r"a++b", "a possessive quantifier (++)"),
    ],
)
@pytest.mark.parametrize("op", ["matches-regex", "does-not-match-regex"])
def test_what_re2_lacks_is_refused_when_saved(op: str, pattern: str, lacked: str) -> None:
    reason = parse_errors(one_condition(op=op, value=pattern))["conditions.conditions.0.value"]

    assert reason.startswith(f"the regex {pattern!r} uses {lacked}, which RE2 does not have")
    assert "no backreferences, lookahead, lookbehind, atomic groups" in reason


def test_python_only_end_of_text_is_refused_with_the_re2_spelling() -> None:
    reason = parse_errors(one_condition(op="matches-regex", value=r"\.py\Z"))[
        "conditions.conditions.0.value"
    ]

    assert "does not compile" in reason
    assert r"\z" in reason
    assert single("matches-regex", r"\.py\z").matches({"field": "setup.py"}) is True


def test_a_pattern_longer_than_the_limit_is_refused() -> None:
    assert single("matches-regex", "a" * MAX_PATTERN_LENGTH).matches({"field": "a" * 600}) is True

    reason = parse_errors(one_condition(op="matches-regex", value="a" * (MAX_PATTERN_LENGTH + 1)))[
        "conditions.conditions.0.value"
    ]

    assert reason.startswith("the regex 'aaaa")
    assert f"{MAX_PATTERN_LENGTH + 1} characters long, over the limit of {MAX_PATTERN_LENGTH}" in (
        reason
    )


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r".{130}", f"RE2 compiles it to 1044 instructions, over the limit of {MAX_PROGRAM_SIZE}"),
        (r"\pL{20}", "RE2 cannot compile it within 256 KiB"),  # refused by RE2's max_mem
        (r"[\w\W]{1000}", "instructions, over the limit"),
    ],
)
def test_a_pattern_too_complex_to_be_cheap_is_refused(pattern: str, why: str) -> None:
    reason = parse_errors(one_condition(op="matches-regex", value=pattern))[
        "conditions.conditions.0.value"
    ]

    assert reason.startswith(f"the regex {pattern!r} is too complex")
    assert why in reason


def test_the_regexes_of_a_set_share_one_budget() -> None:
    dots = {"choice": "field", "op": "matches-regex", "value": ".{70}"}  # 564 instructions
    assert ConditionSet.parse({"mode": "any", "conditions": [dots]}).conditions[0].regex

    errors = parse_errors({"mode": "any", "conditions": [dots, {**dots, "choice": "other"}]})

    assert errors == {
        "conditions": "the regexes of these conditions are too complex together: RE2 compiles "
        f"them to 1128 instructions, over the limit of {MAX_PROGRAM_SIZE} for a set"
    }


def test_a_string_is_searched_in_its_first_bytes_only() -> None:
    head = "x" * (MAX_SEARCHED_BYTES - len("needle"))

    assert single("matches-regex", "needle").matches({"field": head + "needle"}) is True
    assert single("matches-regex", "needle").matches({"field": head + "xneedle"}) is False
    # The search reads the string as if it ended at the limit.
    assert single("matches-regex", "needle$").matches({"field": head + "needle!"}) is True
    # contains reads the whole string: a plain substring is found anywhere.
    assert single("contains", "needle").matches({"field": head + "x" * 10**6 + "needle"}) is True


def test_a_long_string_is_cut_between_characters() -> None:
    fits = "x" * (MAX_SEARCHED_BYTES - 2) + "é"  # the é is the limit's last two bytes
    cut = "x" * (MAX_SEARCHED_BYTES - 1) + "é"  # the limit falls inside the é

    assert single("matches-regex", "é").matches({"field": fits + "z"}) is True
    assert single("matches-regex", "é").matches({"field": cut + "z"}) is False
    # The search ends at the last x: no half of the é is left at its end.
    assert single("matches-regex", "x$").matches({"field": cut + "z"}) is True


def test_lone_surrogates_are_matched_not_raised() -> None:
    assert single("matches-regex", "^x.y$").matches({"field": "x\udcffy"}) is True
    assert single("matches-regex", "\udcff").matches({"field": "a\udcff"}) is True
    assert single("matches-regex", "b").matches({"field": "a\udcff"}) is False


def test_a_set_holds_at_most_the_limit_of_conditions() -> None:
    condition = {"choice": "field", "op": "any"}
    assert len(ConditionSet.parse({"mode": "all", "conditions": [condition] * 20}).conditions) == 20

    errors = parse_errors({"mode": "all", "conditions": [condition] * (MAX_CONDITIONS + 1)})

    assert errors == {"conditions.conditions": f"a set holds at most {MAX_CONDITIONS} conditions"}


def test_a_huge_set_is_refused_before_its_conditions_are_compiled() -> None:
    regex = {"choice": "field", "op": "matches-regex", "value": "(?=a)"}

    errors = parse_errors({"mode": "all", "conditions": [regex] * 100_000})

    assert list(errors) == ["conditions.conditions"]  # one reason, not 100,000


@pytest.mark.parametrize("op", ["one-of", "not-one-of"])
def test_one_of_holds_at_most_the_limit_of_single_values(op: str) -> None:
    values = [f"user{i}" for i in range(MAX_ONE_OF_VALUES)]
    assert single(op, values).matches({"field": "user99"}) is (op == "one-of")

    for value in (
        [*values, "one more"],
        ["alice", ["bob"]],
        ["alice", {"name": "bob"}],
    ):
        reason = parse_errors(one_condition(op=op, value=value))["conditions.conditions.0.value"]
        assert reason == f"'{op}' takes at most {MAX_ONE_OF_VALUES} single values"
