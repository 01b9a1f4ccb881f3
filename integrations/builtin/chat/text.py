"""Cutting text to a service's limit, cleanly, and escaping it for the service's markup.

Every limit is measured in a ``Unit``: code points (``CHARS``), UTF-16 code units
(``UTF16``: what JavaScript's ``length`` counts, the careful reading of "characters" when
a service does not say) or UTF-8 bytes (``UTF8``). A cut text ends with ``ELLIPSIS`` and
fits the limit with it. A cut never falls inside a code point, nor between a character
and what attaches to it (a combining accent, a variation selector, a skin tone, the two
halves of a ZWJ emoji), so the reader never sees a broken character.

Escaping is a table from a character to what stands for it (``{"&": "&amp;", ...}``),
which every service's markup here fits (Slack's three entities, HTML's, backslashes for
Markdown). ``fit_escaped`` cuts the raw text between characters and measures it
escaped, so a cut never falls inside an entity (``&am``) or between a backslash and what
it escapes, and the escaped result, not the raw one, is what fits the limit. Its cost is
that of the limit, not of the text: a tenant's 100 KiB of markup takes milliseconds.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping
from enum import StrEnum
from graphlib import CycleError, TopologicalSorter
from typing import Final

__all__ = ["ELLIPSIS", "Unit", "fit", "fit_escaped", "measure", "one_line"]

#: What ends a cut text: one character (three UTF-8 bytes), so readers know there was more.
ELLIPSIS: Final = "…"

_ZWJ: Final = "\u200d"
_ATTACHING: Final = frozenset({_ZWJ, "\ufe0e", "\ufe0f", "\u20e3"})


class Unit(StrEnum):
    CHARS = "chars"
    UTF16 = "utf16"
    UTF8 = "utf8"


def measure(text: str, unit: Unit) -> int:
    """The length of ``text`` in ``unit``."""
    if unit is Unit.CHARS:
        return len(text)
    # surrogatepass: a lone surrogate counts as the code unit (or 3 bytes) it would take.
    if unit is Unit.UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _attaches(char: str) -> bool:
    """Whether ``char`` belongs to the character before it."""
    return (
        char in _ATTACHING
        or unicodedata.combining(char) != 0
        or 0x1F3FB <= ord(char) <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= ord(char) <= 0xE007F  # tag characters (subdivision flags)
    )


def _clean_cut(text: str, cut: int) -> int:
    """The cut moved back until it falls between two whole characters."""
    while 0 < cut < len(text) and (_attaches(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    return cut


def fit(text: str, limit: int, unit: Unit = Unit.CHARS) -> str:
    """``text``, or as much of it as fits with ``ELLIPSIS``, in at most ``limit`` units."""
    return fit_escaped(text, limit, {}, unit)


def fit_escaped(text: str, limit: int, table: Mapping[str, str], unit: Unit = Unit.CHARS) -> str:
    """``text`` escaped by ``table``, cut with ``ELLIPSIS`` so that it fits ``limit``.

    The limit applies to the escaped text. ``limit`` must leave room for the ellipsis, and
    no escape in ``table`` may be empty.
    """
    ellipsis = measure(ELLIPSIS, unit)
    if limit < ellipsis:
        raise ValueError(f"a limit of {limit} leaves no room for the ellipsis")
    escape = _escaper(tuple(table.items()))
    # Every character takes a unit at least, escaped or not: past limit + 1 none can fit,
    # so a tenant's 100 KiB text costs what its first few KiB do.
    head = text[: limit + 1]
    escaped = escape(head)
    if len(head) == len(text) and measure(escaped, unit) <= limit:
        return escaped
    # The longest prefix whose escape fits beside the ellipsis. Its size only grows with
    # the prefix, so a binary search finds it, each step in C.
    budget = limit - ellipsis
    fits, too_long = 0, len(head)  # the head does not fit: it is over the limit
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if measure(escape(head[:middle]), unit) <= budget:
            fits = middle
        else:
            too_long = middle
    # Escaping character by character, a cut between characters never splits an escape.
    return escape(head[: _clean_cut(head, fits)]) + ELLIPSIS


@functools.lru_cache(maxsize=32)
def _escaper(table: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    """A function escaping text by ``table``, a character's escape a pair.

    Chained ``str.replace`` where the table allows it: on text dense with markup it is 20
    times faster than ``str.translate``, which looks up each character in Python's dicts.
    """
    escapes = dict(table)
    # An escape must not be rewritten by a later replace: a character found in another's
    # escape is replaced first ("&" before "<", whose escape is "&lt;").
    first = {
        char: {other for other in escapes if other != char and other in escape}
        for char, escape in escapes.items()
    }
    try:
        order = tuple(TopologicalSorter(first).static_order())
    except CycleError:  # escapes that contain each other: one pass it must be
        translation = str.maketrans(escapes)
        return lambda text: text.translate(translation)

    def escape(text: str) -> str:
        for char in order:
            text = text.replace(char, escapes[char])
        return text

    return escape


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(text.split())
