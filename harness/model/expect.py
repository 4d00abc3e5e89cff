"""Expected lines are templates: `{port}` and `{alice}` stand for values learned while running.

A placeholder whose value is not known yet matches what such a value looks like, and the
line that matches teaches it: the server's start line teaches {port}, its join line
teaches a user's address.
"""

import functools
import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{(\w+|\*)\}")
SERVER_PORT = "port"
ANYTHING = "*"  # {*} matches any text, for lines whose wording is the student's own
NO_LINE_END = "the kit's protocol ends each message with \\n"  # said of a line that arrived without it
# What a value looks like before it is known: a port, or a member's IP:PORT address.
SHAPES = {SERVER_PORT: r"[1-9][0-9]{0,4}"}
ADDRESS_SHAPE = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}:[1-9][0-9]{0,4}"


def placeholders(template: str) -> list[str]:
    return [name for name in PLACEHOLDER.findall(template) if name != ANYTHING]


def fill(template: str, values: dict[str, str]) -> str:
    """The template with every known value put in; unknown placeholders stay as {name}."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _learn(template: str, line: str, values: dict[str, str]) -> dict[str, str] | None:
    """The values that make the template read as line, or None when it cannot."""
    if "{" not in template:  # most lines: no placeholder
        return {} if template == line else None
    known = tuple((name, values[name]) for name in _names(template) if name in values)
    pattern, names = _pattern(template, known)
    found = pattern.fullmatch(line)
    return None if found is None else {name: found.group(name) for name in names}


@functools.lru_cache(maxsize=1024)
def _names(template: str) -> tuple[str, ...]:
    return tuple(PLACEHOLDER.findall(template))


@functools.lru_cache(maxsize=4096)
def _pattern(template: str, known: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, tuple[str, ...]]:
    """The template as a regular expression, with the known values in it, and the names of
    the values it would learn. Judging a room asks the same again and again: kept."""
    values = dict(known)
    pattern, names, pos = [], [], 0
    for m in PLACEHOLDER.finditer(template):
        pattern.append(re.escape(template[pos : m.start()]))
        name = m.group(1)
        if name == ANYTHING:
            pattern.append(".*")
        elif name in values:
            pattern.append(re.escape(values[name]))
        elif name in names:
            pattern.append(f"(?P={name})")
        else:
            pattern.append(f"(?P<{name}>{SHAPES.get(name, ADDRESS_SHAPE)})")
            names.append(name)
        pos = m.end()
    pattern.append(re.escape(template[pos:]))
    return re.compile("".join(pattern)), tuple(names)


@dataclass(frozen=True)
class Mismatch:
    """The first line where a screen differs from what was expected (1-based row)."""

    row: int
    expected: str | None  # None: the screen has a line too many
    seen: str | None  # None: the screen is missing this line

    def describe(self) -> str:
        if self.seen is None:
            return f"line {self.row}: expected {self.expected!r}, but the screen has no line {self.row}"
        if self.expected is None:
            return f"line {self.row}: expected nothing more, but the screen shows {self.seen!r}"
        said = f"line {self.row}: expected {self.expected!r}, seen {self.seen!r}"
        how = "" if PLACEHOLDER.search(self.expected) else difference(self.expected, self.seen)
        return f"{said}: {how}" if how else said


def first_difference(expected: str, seen: str) -> int:
    """Where two lines part: the index of the first character that differs."""
    pairs = zip(expected, seen, strict=False)
    return next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(expected), len(seen)))


def difference(expected: str, seen: str) -> str:
    """How seen differs from expected, as a person would say it: "missing '.' at the end",
    "'users' where 'user' was expected", "missing ' ' after '[You]'"."""
    start = first_difference(expected, seen)
    end = 0  # how many characters the two share at their ends, after `start`
    while end < min(len(expected), len(seen)) - start and expected[-1 - end] == seen[-1 - end]:
        end += 1
    wanted, got = expected[start : len(expected) - end], seen[start : len(seen) - end]
    words_expected, words_seen = expected.split(" "), seen.split(" ")
    if end and (wanted + got).isalnum() and len(words_expected) == len(words_seen):  # inside a word
        changed = [(w, s) for w, s in zip(words_expected, words_seen, strict=True) if w != s]
        if len(changed) == 1:
            return f"{changed[0][1]!r} where {changed[0][0]!r} was expected"
    if not start and not end:
        return ""  # nothing in common: the lines themselves say it
    before = expected[:start].split(" ")[-1] or expected[:start][-10:]
    where = "at the end" if end == 0 else (f"after {before!r}" if start else "at the start")
    if not got:
        return f"missing {wanted!r} {where}"
    if not wanted:
        return f"{got!r} too many {where}"
    return f"{got!r} where {wanted!r} was expected {where}"


def _guessed(template: str, line: str, values: dict[str, str]) -> dict[str, str]:
    """For a line that does not match: the values it seems to show for placeholders not known
    yet (an address where an address is expected), so the expected line can be shown whole
    and compared character by character. Only for saying what differs: nothing is learned."""
    guesses: dict[str, str] = {}
    unknown = [name for name in placeholders(template) if name not in values]
    for name in dict.fromkeys(unknown):
        found = re.findall(SHAPES.get(name, ADDRESS_SHAPE), line)
        taken = set(guesses.values())
        fresh = [value for value in found if value not in taken]
        if fresh:
            guesses[name] = fresh[0]
    return guesses


@dataclass(frozen=True)
class Row:
    """The judge's verdict on one row of a screen."""

    seen: str | None  # None: the screen has no such line
    expected: str | None  # None: a line too many; else the template, filled with what is known
    ok: bool


def judge_rows(seen: list[str], templates: list[str], values: dict[str, str]) -> list[Row]:
    """Every row's verdict, top to bottom: what a matching line teaches (a port, an address)
    holds for the rows below it, and `values` keeps it; a line that differs teaches nothing."""
    rows = []
    for row, template in enumerate(templates):
        if row >= len(seen):
            rows.append(Row(None, fill(template, values), False))
            continue
        learned = _learn(template, seen[row], values)
        if learned is None:
            guessed = {**_guessed(template, seen[row], values), **values}
            rows.append(Row(seen[row], fill(template, guessed), False))
        else:
            values.update(learned)
            rows.append(Row(seen[row], fill(template, values), True))
    return rows + [Row(line, None, False) for line in seen[len(templates) :]]


def compare(seen: list[str], templates: list[str], values: dict[str, str]) -> Mismatch | None:
    """Check a whole screen against its expected lines, learning values into `values`.

    Returns the first mismatch, or None when the screen shows exactly the expected lines.
    """
    for number, row in enumerate(judge_rows(seen, templates, values), start=1):
        if not row.ok:
            return Mismatch(number, row.expected, row.seen)
    return None
