"""Expected lines are templates: `{port}` and `{alice}` stand for values learned while running.

A placeholder whose value is not known yet matches what such a value looks like, and the
line that matches teaches it: the server's start line teaches {port}, its join line
teaches a user's address.
"""

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{(\w+|\*)\}")
SERVER_PORT = "port"
ANYTHING = "*"  # {*} matches any text, for lines whose wording is the student's own
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
    found = re.fullmatch("".join(pattern), line)
    return None if found is None else {name: found.group(name) for name in names}


def matches(template: str, line: str, values: dict[str, str]) -> bool:
    """Whether the line reads as the template, with the values known so far."""
    return _learn(template, line, values) is not None


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
        return f"line {self.row}: expected {self.expected!r}, seen {self.seen!r}"


def compare(seen: list[str], templates: list[str], values: dict[str, str]) -> Mismatch | None:
    """Check a whole screen against its expected lines, learning values into `values`.

    Returns the first mismatch, or None when the screen shows exactly the expected lines.
    """
    for row, template in enumerate(templates, start=1):
        if row > len(seen):
            return Mismatch(row, fill(template, values), None)
        learned = _learn(template, seen[row - 1], values)
        if learned is None:
            return Mismatch(row, fill(template, values), seen[row - 1])
        values.update(learned)
    if len(seen) > len(templates):
        return Mismatch(len(templates) + 1, None, seen[len(templates)])
    return None
