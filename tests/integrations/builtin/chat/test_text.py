"""Cutting and escaping: within the limit in its unit, an ellipsis, no broken character."""

from __future__ import annotations

import pytest

from switchboard.integrations.builtin.chat.text import (
    ELLIPSIS,
    Unit,
    fit,
    fit_escaped,
    measure,
    one_line,
)

SLACK = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def test_text_that_fits_is_left_as_it_is() -> None:
    assert fit("abc", 3) == "abc"
    assert fit("", 1) == ""
    assert fit_escaped("a<b", 6, SLACK) == "a&lt;b"


def test_a_cut_ends_with_the_ellipsis_and_fits() -> None:
    assert fit("abcdef", 4) == "abc" + ELLIPSIS
    assert measure(fit("x" * 5000, 3000), Unit.CHARS) == 3000


@pytest.mark.parametrize("unit", list(Unit))
def test_every_unit_is_respected(unit: Unit) -> None:
    text = "né😀" * 400
    for limit in (5, 17, 100, 999):
        cut = fit(text, limit, unit)
        assert measure(cut, unit) <= limit
        assert cut.endswith(ELLIPSIS)
        cut.encode()  # never half a surrogate pair or a lone surrogate


def test_utf16_counts_astral_characters_twice() -> None:
    assert measure("😀a", Unit.UTF16) == 3
    assert measure("😀a", Unit.UTF8) == 5
    assert fit("😀😀😀", 4, Unit.UTF16) == "😀" + ELLIPSIS


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("e\u0301" * 5, "e\u0301"),  # a combining accent stays with its letter
        ("ab👍🏽cd", "ab"),  # a skin tone stays with its emoji
        ("a👩\u200d💻b", "a"),  # a ZWJ sequence is never split
        ("a❤\ufe0fbc", "a"),  # nor a variation selector
    ],
)
def test_a_cut_never_separates_what_belongs_together(text: str, kept: str) -> None:
    assert fit(text, 3) == kept + ELLIPSIS


def test_the_escaped_text_fits_and_no_entity_is_cut() -> None:
    raw = "a & b < c > d" * 100
    for limit in range(2, 60):
        cut = fit_escaped(raw, limit, SLACK)
        assert len(cut) <= limit
        body = cut.removesuffix(ELLIPSIS)
        # Every & starts a whole entity: the raw text's & < > are all escaped, none cut.
        assert body.count("&") == body.count("&amp;") + body.count("&lt;") + body.count("&gt;")
        assert "<" not in body
        assert ">" not in body


def test_an_entity_that_does_not_fit_is_left_out_whole() -> None:
    assert fit_escaped("ab&cd", 5, SLACK) == "ab" + ELLIPSIS
    assert fit_escaped("ab&cd", 8, SLACK) == "ab&amp;" + ELLIPSIS


def test_a_limit_with_no_room_for_the_ellipsis_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        fit("abcdef", 2, Unit.UTF8)


def test_one_line_joins_whitespace() -> None:
    assert one_line(" a\n\tb  c \r\n") == "a b c"


@pytest.mark.parametrize("unit", list(Unit))
def test_a_cut_keeps_the_longest_escaped_prefix_that_fits(unit: Unit) -> None:
    text = "a<é&😀b" * 7
    for limit in range(measure(ELLIPSIS, unit), measure(text, unit) + 30):
        cut = fit_escaped(text, limit, SLACK, unit)
        assert measure(cut, unit) <= limit
        if not cut.endswith(ELLIPSIS):
            continue
        kept = len(cut.removesuffix(ELLIPSIS).replace("&amp;", "&").replace("&lt;", "<"))
        one_more = text[: kept + 1].replace("&", "&amp;").replace("<", "&lt;")
        assert measure(one_more + ELLIPSIS, unit) > limit  # nothing more would have fitted


def test_a_lone_surrogate_is_measured_not_refused() -> None:
    # JSON may carry "\ud800"; counting it must not raise (it is a UTF-16 code unit).
    assert measure("a\ud800", Unit.UTF16) == 2
    assert measure("a\ud800", Unit.UTF8) == 4
    assert fit("\ud800" * 10, 7, Unit.UTF8) == "\ud800" + ELLIPSIS  # 3 bytes each


def test_a_long_text_of_markup_is_cut_to_its_escaped_prefix() -> None:
    # 100 KiB of markup cut to 4 KiB: the result is the prefix, escaped, and nothing past it.
    text = '<a href="x">y</a> & ' * 5000
    cut = fit_escaped(text, 4096, SLACK, Unit.UTF8)
    assert measure(cut, Unit.UTF8) <= 4096
    assert cut.startswith('&lt;a href="x"&gt;y&lt;/a&gt; &amp; ')


def test_escapes_are_never_escaped_again_whatever_the_tables_order() -> None:
    # "<" listed first: its "&lt;" must not become "&amp;lt;".
    assert fit_escaped("a<&b", 50, {"<": "&lt;", "&": "&amp;"}) == "a&lt;&amp;b"
    assert fit_escaped("*\\", 50, {"*": "\\*", "\\": "\\\\"}) == "\\*\\\\"


def test_escapes_that_contain_each_other_are_applied_in_one_pass() -> None:
    assert fit_escaped("ab", 50, {"a": "b", "b": "a"}) == "ba"
