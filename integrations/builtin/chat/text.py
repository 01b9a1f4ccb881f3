"""Cutting text to a service's limit, cleanly, and escaping it for the service's markup.

Every limit is measured in a ``Unit``: code points (``CHARS``), UTF-16 code units
(``UTF16``: what JavaScript's ``length`` counts, the careful reading of "characters" when
a service does not say) or UTF-8 bytes (``UTF8``). A cut text ends with ``ELLIPSIS`` and
fits the limit with it. A cut never falls inside a code point, nor between a character
and what attaches to it (a combining accent, a variation selector, a skin tone, the two
halves of a ZWJ emoji), so the reader never sees a broken character.

Escaping is a table from a character to what stands for it (``{"&": "&amp;", ...}``),
which every service's markup here fits (Slack's three entities, HTML's, backslashes for
Markdown). ``fit_escaped`` escapes and cuts in one pass, measuring the *escaped* text,
so a cut never falls inside an entity (``&am``) or between a backslash and what it
escapes, and the escaped result, not the raw one, is what fits the limit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from enum import StrEnum
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
    if unit is Unit.UTF8:
        return len(text.encode())
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _size(char: str, unit: Unit) -> int:
    code = ord(char)
    if unit is Unit.CHARS:
        return 1
    if unit is Unit.UTF16:
        return 2 if code > 0xFFFF else 1
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


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

    The limit applies to the escaped text. ``limit`` must leave room for the ellipsis.
    """
    ellipsis = _size(ELLIPSIS, unit)
    if limit < ellipsis:
        raise ValueError(f"a limit of {limit} leaves no room for the ellipsis")
    pieces: list[str] = []
    used = 0
    cut_at = len(text)  # where the text is cut if it does not all fit with the ellipsis
    for index, char in enumerate(text):
        # One piece per character, so a cut at a character never splits its escape.
        piece = table.get(char, char)
        size = sum(_size(c, unit) for c in piece)
        if cut_at == len(text) and used + size > limit - ellipsis:
            cut_at = index
        used += size
        if used > limit:
            return "".join(pieces[: _clean_cut(text, cut_at)]) + ELLIPSIS
        pieces.append(piece)
    return "".join(pieces)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(text.split())
