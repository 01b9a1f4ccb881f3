"""The regexes of conditions, matched by RE2 in time linear in the text.

Python's ``re`` backtracks: ``^(a+)+b$`` against thirty ``a`` and a ``!``
takes most of a minute, each further ``a`` doubling it, and a condition is
matched on the worker's event loop, where that stops every tenant's
deliveries (a handler timeout cannot interrupt it). RE2 (Google's engine,
through its ``google-re2`` binding) runs an automaton instead, so no pattern
can make it backtrack. What it cannot do in linear time it does not have:
backreferences, lookahead and lookbehind, atomic groups, possessive
quantifiers. A pattern that uses one is refused when it is saved, with a
message that says so.

Linear is not yet cheap: when RE2's DFA gives up (its memory is bounded), its
NFA visits, for each byte, every instruction of the compiled program that is
alive. A condition's cost is therefore bounded on both sides, and a
pathological pattern is refused when saved rather than being slow:

* ``MAX_PATTERN_LENGTH``: at most 500 characters of pattern;
* ``MAX_PROGRAM_SIZE``: at most 1,000 RE2 instructions once compiled (the
  limit is for a whole condition set, see ``conditions.py``);
* ``MAX_MEMORY``: RE2's ``max_mem``, 256 KiB per regex, for its program and
  its DFA's cache;
* ``MAX_SEARCHED_BYTES``: a string is searched in its first 4 KiB of UTF-8,
  as if it ended there (4,096 characters of ASCII, 1,024 at the least).

Measured, the worst patterns within these bounds take about 16 ms against
4 KiB (``(?:\\C?){330}\\C{330}!``, one x86 core); ordinary ones, a microsecond.

RE2's syntax is Perl's, as Python's is, with these differences: ``\\d``,
``\\w``, ``\\s`` and ``\\b`` are ASCII only; ``$`` is the end of the text
only (not also before a final newline); the end of the text is written
``\\z``, not ``\\Z``; and there is no ``(?x)`` and no ``(?#...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import re2

from switchboard.config.errors import InvalidArgumentError

__all__ = [
    "MAX_MEMORY",
    "MAX_PATTERN_LENGTH",
    "MAX_PROGRAM_SIZE",
    "MAX_SEARCHED_BYTES",
    "Regex",
    "compile_regex",
]

#: Characters in a pattern. Real conditions' patterns (a version, a branch, a
#: ticket key, a file extension) are a few dozen; past 500 a pattern is no
#: longer read by whoever reviews it, and RE2 need not parse more.
MAX_PATTERN_LENGTH: Final = 500
#: RE2 instructions in a compiled program (RE2 counts them: ``programsize``).
#: The cost of a search is at worst its bytes times this; ordinary patterns
#: compile to under 100 (a full semver regex is 58), ``^.{0,72}$`` to 650.
#: Refused beyond it: ``\pL`` (any letter, 1,200: ``\p{Latin}`` is 82).
MAX_PROGRAM_SIZE: Final = 1000
#: RE2's ``max_mem`` for one regex: its program and the cache of its DFA.
#: RE2's default is 8 MiB, and every configuration's regexes are held at
#: once; 256 KiB leaves the DFA ample room for a program of 1,000
#: instructions (about 16 KiB), and RE2 refuses to compile beyond it.
MAX_MEMORY: Final = 256 * 1024
#: Bytes of UTF-8 a search reads: a title, a branch, a path (PATH_MAX is
#: 4,096), the first screen of a description. An event's string may hold up
#: to the event's limit (256 KiB by default), which times 1,000 instructions
#: would be a second of work; 4 KiB keeps the worst case about 16 ms.
MAX_SEARCHED_BYTES: Final = 4096


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_MEMORY
    options.never_capture = True  # only whether it matches is asked: no submatches
    options.log_errors = False  # errors are raised; RE2 would also print them
    return options


_OPTIONS: Final = _options()


@dataclass(frozen=True, slots=True)
class Regex:
    """A pattern as RE2 compiled it; ``compile_regex`` makes one."""

    pattern: str
    #: RE2's compiled pattern (``re2.compile``'s object; the binding has no types).
    compiled: Any
    #: RE2 instructions in the program, at most ``MAX_PROGRAM_SIZE``.
    program_size: int

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in the first ``MAX_SEARCHED_BYTES`` of ``text``."""
        # surrogatepass: a lone surrogate (JSON can carry one) has no UTF-8 of its own.
        data = text[:MAX_SEARCHED_BYTES].encode("utf-8", "surrogatepass")
        if len(data) > MAX_SEARCHED_BYTES:
            end = MAX_SEARCHED_BYTES
            while data[end] & 0xC0 == 0x80:  # a continuation byte: keep characters whole
                end -= 1
            data = data[:end]
        return self.compiled.search(data) is not None


def compile_regex(pattern: str) -> Regex:
    """``pattern`` compiled by RE2 within the bounds; ``InvalidArgumentError`` (a
    ``ValueError``) names it and says why."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidArgumentError(
            f"the regex {pattern[:40] + '...'!r} is {len(pattern)} characters long, "
            f"over the limit of {MAX_PATTERN_LENGTH}"
        )
    try:
        compiled = re2.compile(pattern.encode("utf-8", "surrogatepass"), _OPTIONS)  # as searched
    except re2.error as exc:
        raise InvalidArgumentError(_explain(pattern, _reason(exc))) from None
    size = int(compiled.programsize)
    if size > MAX_PROGRAM_SIZE:
        raise InvalidArgumentError(
            f"the regex {pattern!r} is too complex: RE2 compiles it to {size} instructions, "
            f"over the limit of {MAX_PROGRAM_SIZE}; use narrower classes or fewer repetitions"
        )
    return Regex(pattern, compiled, size)


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else ""
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


_LACKS: Final = (
    "conditions are matched by RE2, in time linear in the text, and it has no "
    "backreferences, lookahead, lookbehind, atomic groups or possessive quantifiers"
)


def _explain(pattern: str, reason: str) -> str:
    """A message for what RE2 says of ``pattern``, which names what RE2 lacks."""
    kind, _, fragment = reason.partition(": ")
    lacked = None
    if kind == "invalid escape sequence" and (fragment[1:].isdigit() or fragment in (r"\k", r"\g")):
        lacked = f"a backreference ({fragment})"
    elif kind == "invalid perl operator" and fragment == "(?P" and "(?P=" in pattern:
        lacked = "a backreference ((?P=...))"
    elif kind == "invalid perl operator" and fragment in ("(?=", "(?!"):
        lacked = f"a lookahead ({fragment}...)"
    elif kind == "invalid perl operator" and fragment in ("(?<=", "(?<!"):
        lacked = f"a lookbehind ({fragment}...)"
    elif kind == "invalid perl operator" and fragment == "(?>":
        lacked = "an atomic group ((?>...))"
    elif kind == "bad repetition operator" and len(fragment) > 1 and fragment.endswith("+"):
        lacked = f"a possessive quantifier ({fragment})"
    if lacked is not None:
        return f"the regex {pattern!r} uses {lacked}, which RE2 does not have: {_LACKS}"
    if reason == "pattern too large - compile failed":
        return (
            f"the regex {pattern!r} is too complex: RE2 cannot compile it within "
            f"{MAX_MEMORY // 1024} KiB; use narrower classes or fewer repetitions"
        )
    hint = r" (RE2 writes the end of the text \z)" if fragment == r"\Z" else ""
    return f"the regex {pattern!r} does not compile: {reason}{hint}"
