"""The one checker of the kit's input files: the manifest, hidden checks, scenarios, mutants.

Each table is described once (Table): the keys it must have, the keys it may have, and what
each holds. A file that says `titel`, `pionts` or `[[step.chek]]` is refused in one line that
names the file, the table and the key, with the key it most likely meant, instead of being
read as something else (a check worth 1 point, a hint gone, a step with no checks).
"""

import contextlib
import difflib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


class InputError(ValueError):
    """A file of the kit's (or an instructor's) that cannot be used as it is; one line."""


@contextlib.contextmanager
def refused_in_one_line(tool: str) -> Iterator[None]:
    """A command whose input file cannot be used ends with that line and exit status 2,
    not a traceback."""
    try:
        yield
    except InputError as error:
        print(f"{tool}: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


@dataclass(frozen=True)
class Kind:
    """What a key holds: a name for messages, and the test."""

    name: str
    test: Callable[[object], bool]

    def accepts(self, value: object) -> bool:
        return self.test(value)


TEXT = Kind("text", lambda v: isinstance(v, str))
WHOLE = Kind("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
COUNT = Kind("a whole number from 0 up", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0)
POINTS = Kind("a number from 0 up", lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0)
NUMBER = Kind("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool))
FLAG = Kind("true or false", lambda v: isinstance(v, bool))
TEXTS = Kind("a list of text", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
TABLES = Kind("a list of tables ([[...]])", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v))
TABLE = Kind("a table", lambda v: isinstance(v, dict))
ANY = Kind("anything", lambda v: True)


@dataclass(frozen=True)
class Table:
    """The keys a table must have and may have, with what each holds."""

    required: dict[str, Kind] = field(default_factory=dict)
    optional: dict[str, Kind] = field(default_factory=dict)

    @property
    def keys(self) -> dict[str, Kind]:
        return {**self.required, **self.optional}

    def check(self, raw: object, where: str, error: type[InputError] = InputError) -> dict:
        """raw, once it is a table with no unknown, missing or ill-typed key; else `error`."""
        at = f"{where}: " if where else ""
        if not isinstance(raw, dict):
            raise error(f"{at}expected a table, got {raw!r}")
        keys = self.keys
        for key in raw:
            if key not in keys:
                near = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
                maybe = f" (did you mean {near[0]!r}?)" if near else f"; it takes {', '.join(sorted(keys))}"
                raise error(f"{at}unknown key {key!r}{maybe}")
        for key in self.required:
            if key not in raw:
                raise error(f"{at}missing key {key!r}")
        for key, value in raw.items():
            if not keys[key].accepts(value):
                raise error(f"{at}{key} must be {keys[key].name}, not {value!r}")
        return raw
