"""Scenarios are data: TOML files of steps, each an action and the lines it makes appear.

    [[step]]
    say = "alice"                       # the action, and who does it
    text = "Hi this is user 1"
    expect.alice = ["[You] Hi this is user 1"]
    expect.server = ["[{alice}] Hi this is user 1"]

Actions: start (the server), join (a client in a terminal), connect (a robot: a raw
socket), listen (a fake server: a raw socket that the clients who join connect to), say,
send (a robot's or fake server's bytes: text, or raw with \\xNN escapes, cut at the byte
offsets in split), ctrl_c, ctrl_d, reset (a client killed, or a TCP reset),
close (a robot hangs up). `exit.NAME = 0` waits for that program to end with status 0.
`repeat = N` sends the bytes N times in one go; `reads = false` on connect makes a robot that
never reads. The server starts as the documentation starts it, `srv.py 127.0.0.1 PORT`, on a
free port the grader chose, which {port} stands for. `args = ["127.0.0.1", "0"]` on start or join
replaces that command line ({free}: another free port; {lingering}: a free port on which a
connection lingers in TIME_WAIT; {port} stands for either). `{*}` in an expected line matches any text.
Expected lines add to what each screen already shows; the whole screen must match.
Blank rows on a terminal are not judged (a client that print()s each read, as the documented
one does, shows one after every line that ends in \\n) unless `blank_rows = true` at the top.
`judge = ["server", "alice"]` at the top checks those screens whole (default: every
terminal's, and each robot's that a step expects something of); the others need only show
at least the lines expected of them.

A crowd scenario has a [crowd] table instead of steps: many robot users at once, judged on
every byte each received (harness/engine/crowd.py says how):

    [crowd]
    users = 200        # robots that connect (all at once, in batches)
    messages = 50      # lines each talker sends, all at once
    talkers = 200      # how many of the users talk (default: all)
    leavers = 10       # talkers that close after half of their lines
    resets = 0         # talkers that reset their connection after half of their lines
    laggers = 0        # users that do not read until everyone else has all the lines
    may_refuse = false # true: the server may turn users away with the room-full line
    taken = 0          # the server starts with descriptors 0 to taken-1 open, so that its
                       # sockets are numbered from there (960: select()'s ceiling of 1024
                       # after a few dozen users)
"""

import codecs
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from harness.model import kit, protocol
from harness.model.expect import SERVER_PORT, placeholders
from harness.model.protocol import users_online
from harness.model.schema import COUNT, FLAG, NUMBER, TABLE, TABLES, TEXT, TEXTS, WHOLE, InputError, Table

SCENARIO_DIR = kit.SCENARIOS

# action -> the kind of member it starts, or the kinds it may be done to
STARTS = {"start": "server", "join": "client", "connect": "robot", "listen": "fake"}
ACTS_ON = {
    "say": {"server", "client"},
    "ctrl_c": {"server", "client"},
    "ctrl_d": {"server", "client"},
    "send": {"robot", "fake"},
    "close": {"robot", "fake"},
    "reset": {"client", "robot", "fake"},
}
ACTIONS = [*STARTS, *ACTS_ON]
STEP_KEYS = {"text", "raw", "split", "repeat", "reads", "args", "timeout", "expect", "exit", "note"}
FREE_PORT = "{free}"  # in args: a port the harness found free, which {port} must then show
LINGERING_PORT = "{lingering}"  # ... and one on which a connection lingers in TIME_WAIT


class Settings(TypedDict):
    """A scenario file's top-level settings (each has a default)."""

    timeout: float
    rows: int
    cols: int
    blank_rows: bool


DEFAULTS = Settings(timeout=3.0, rows=200, cols=120, blank_rows=False)


class ScenarioError(InputError):
    """A scenario file that cannot be run; the message says where and why."""


@dataclass(frozen=True)
class Step:
    action: str
    who: str
    text: str = ""  # typed by say
    data: bytes = b""  # written by send
    split: tuple[int, ...] = ()  # byte offsets where send cuts data into separate writes
    expect: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exits: dict[str, int] = field(default_factory=dict)
    note: str = ""
    args: tuple[str, ...] | None = None  # a program's command line instead of HOST PORT
    reads: bool = True  # connect: False for a robot that never reads
    timeout: float = 0.0  # the least this step's waits may take, whatever the run's timeout

    def describe(self) -> str:
        what = {"say": f"{self.who} says {self.text!r}", "send": f"{self.who} sends {self.data!r}"}
        return self.note or what.get(self.action, f"{self.action.replace('_', '-')} {self.who}")


@dataclass(frozen=True)
class Crowd:
    users: int
    messages: int
    talkers: int
    leavers: int = 0
    resets: int = 0
    laggers: int = 0
    may_refuse: bool = False
    taken: int = 0  # descriptors 0 to taken-1 are open when the server starts

    def phases(self) -> tuple[Step, ...]:
        """What a crowd run does, in order, as steps a report can name: the first starts the
        server; each other names its phase (`who`), which the crowd runner acts by that name."""
        departing = f", {self.leavers} of them leaving and {self.resets} resetting half-way"
        departing += f", while {self.laggers} users do not read" if self.laggers else ""
        started = "the server starts"
        if self.taken:
            started += f" with descriptors 0 to {self.taken - 1} already open, as a busy process's may be"
        notes = {
            "connect": f"{self.users} users connect, in batches, and each waits for its first line",
            "talk": f"{self.talkers} of them send {self.messages} lines each at once" + departing,
            "leave": "everyone still there leaves at once",
            "last-user": "a last user connects: the room goes on",
        }
        return (Step("start", "server", note=started), *(Step("crowd", p, note=n) for p, n in notes.items()))


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: tuple[Step, ...]
    timeout: float = DEFAULTS["timeout"]  # seconds any one wait may take
    rows: int = DEFAULTS["rows"]
    cols: int = DEFAULTS["cols"]
    blank_rows: bool = DEFAULTS["blank_rows"]  # whether blank rows on a terminal are judged
    judge: tuple[str, ...] | None = None  # whose screens are checked; None: every terminal's
    crowd: Crowd | None = None  # a crowd scenario (its steps only name its phases)

    def members(self) -> dict[str, str]:
        """Every member's name and kind (server, client, robot), in order of arrival."""
        return {s.who: STARTS[s.action] for s in self.steps if s.action in STARTS}


def available() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str | Path) -> Scenario:
    """A scenario by name (harness/scenarios/NAME.toml) or by path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = SCENARIO_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise ScenarioError(f"no scenario named {str(name_or_path)!r}; there are: {', '.join(available())}")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    try:
        return from_table(table, default_name=path.stem)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: {error}") from None


SCENARIO_FILE = Table(
    optional={
        "name": TEXT, "description": TEXT, "step": TABLES, "judge": TEXTS, "crowd": TABLE,
        "timeout": NUMBER, "rows": WHOLE, "cols": WHOLE, "blank_rows": FLAG,
    }
)  # fmt: skip
CROWD = Table(
    required={"users": COUNT, "messages": COUNT},
    optional={key: COUNT for key in ("talkers", "leavers", "resets", "laggers", "taken")} | {"may_refuse": FLAG},
)


def from_table(table: dict, default_name: str = "scenario") -> Scenario:
    SCENARIO_FILE.check(table, "", ScenarioError)
    settings = Settings(
        timeout=float(table.get("timeout", DEFAULTS["timeout"])),
        rows=int(table.get("rows", DEFAULTS["rows"])),
        cols=int(table.get("cols", DEFAULTS["cols"])),
        blank_rows=bool(table.get("blank_rows", DEFAULTS["blank_rows"])),
    )
    if "crowd" in table:
        if "step" in table or "judge" in table:
            raise ScenarioError("a [crowd] scenario has no [[step]] tables and no judge")
        crowd = _crowd(table["crowd"])
        name, description = str(table.get("name", default_name)), str(table.get("description", ""))
        return Scenario(name=name, description=description, steps=crowd.phases(), crowd=crowd, **settings)
    raw_steps = table.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError("no [[step]] tables")
    kinds: dict[str, str] = {}
    steps = []
    for number, raw in enumerate(raw_steps, start=1):
        try:
            steps.append(_step(raw, kinds))
        except ScenarioError as error:
            raise ScenarioError(f"step {number}: {error}") from None
    judge = table.get("judge")
    if judge is not None and (not isinstance(judge, list) or set(judge) - set(kinds)):
        raise ScenarioError(f"judge must list members of the room ({', '.join(kinds)}); got {judge!r}")
    return Scenario(
        judge=None if judge is None else tuple(judge),
        name=str(table.get("name", default_name)),
        description=str(table.get("description", "")),
        steps=tuple(steps),
        **settings,
    )


def _crowd(raw: object) -> Crowd:
    CROWD.check(raw, "[crowd]", ScenarioError)
    assert isinstance(raw, dict)
    numbers = {key: raw.get(key, 0) for key in CROWD.keys if key != "may_refuse"}
    numbers["talkers"] = raw.get("talkers", raw.get("users", 0))
    if not 1 <= numbers["talkers"] <= numbers["users"] or numbers["messages"] < 2:
        raise ScenarioError("[crowd] needs 1 <= talkers <= users, and messages >= 2")
    if numbers["laggers"] > numbers["users"] // 2:
        raise ScenarioError("[crowd] laggers can be at most half of the users")
    if numbers["leavers"] + numbers["resets"] >= numbers["talkers"]:
        raise ScenarioError("[crowd] leavers + resets must leave at least one talker who stays")
    return Crowd(may_refuse=raw.get("may_refuse", False), **numbers)


def _step(raw: dict, kinds: dict[str, str]) -> Step:
    """One step, checked against the members that exist so far (kinds, updated here)."""
    actions = [key for key in raw if key in ACTIONS]
    unknown = set(raw) - STEP_KEYS - set(ACTIONS)
    if unknown:
        raise ScenarioError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if len(actions) != 1:
        raise ScenarioError(f"needs exactly one action of {', '.join(ACTIONS)}; has {actions or 'none'}")
    action = actions[0]
    who = raw[action]
    if action in STARTS:
        if who in kinds:
            raise ScenarioError(f"{who!r} is already in the room")
        kinds[who] = STARTS[action]
    elif kinds.get(who) not in ACTS_ON[action]:
        allowed = " or ".join(sorted(ACTS_ON[action]))
        raise ScenarioError(f"{action} needs a {allowed} that is in the room; {who!r} is not")
    if action == "say" and "text" not in raw:
        raise ScenarioError("say needs text")
    if action == "send" and ("text" in raw) == ("raw" in raw):
        raise ScenarioError("send needs text or raw (one of them)")
    expect = {name: tuple(lines) for name, lines in raw.get("expect", {}).items()}
    exits = dict(raw.get("exit", {}))
    for name in [*expect, *exits]:
        if name not in kinds:
            raise ScenarioError(f"expects something of {name!r}, who is not in the room")
    for name in {p for lines in expect.values() for line in lines for p in placeholders(line)}:
        if name != SERVER_PORT and name not in kinds:
            raise ScenarioError(f"placeholder {{{name}}} is neither {{port}} nor a member's name")
    data = raw["text"].encode() if "text" in raw else codecs.escape_decode(raw.get("raw", ""))[0]
    repeat = raw.get("repeat", 1)
    if not isinstance(repeat, int) or repeat < 1 or (repeat > 1 and action != "send"):
        raise ScenarioError("repeat (a whole number from 1 up) goes with send")
    data *= repeat
    if "reads" in raw and (action != "connect" or not isinstance(raw["reads"], bool)):
        raise ScenarioError("reads (true or false) goes with connect")
    args = raw.get("args")
    if args is not None and (action not in ("start", "join") or not all(isinstance(a, str) for a in args)):
        raise ScenarioError("args (a list of strings) goes with start or join")
    split = tuple(raw.get("split", ()))
    if any(not 0 < offset < len(data) for offset in split) or list(split) != sorted(set(split)):
        raise ScenarioError(f"split needs rising byte offsets inside the {len(data)} bytes sent")
    return Step(
        action=action,
        who=who,
        text=raw.get("text", "") if action == "say" else "",
        data=data if action == "send" else b"",
        split=split,
        expect=expect,
        exits=exits,
        note=raw.get("note", ""),
        args=None if args is None else tuple(args),
        reads=raw.get("reads", True),
        timeout=float(raw.get("timeout", 0.0)),
    )


def room_of(users: int) -> Scenario:
    """N users join one by one, each says hello, then they leave in the order they came."""
    names = [f"user{n}" for n in range(1, users + 1)]
    steps = [{"start": "server", "expect": {"server": [protocol.START]}}]
    for count, name in enumerate(names, start=1):
        online = users_online(count)
        joined = protocol.JOINED.format(who=f"{{{name}}}", online=online)
        expect = {other: [joined] for other in ["server", *names[: count - 1]]}
        steps.append({"join": name, "expect": {**expect, name: [protocol.WELCOME.format(online=online)]}})
    for name in names:
        line = f"[{{{name}}}] Hello from {name}"
        expect = {other: [line] for other in ["server", *names] if other != name}
        steps.append(
            {"say": name, "text": f"Hello from {name}", "expect": {**expect, name: [f"[You] Hello from {name}"]}}
        )
    for left, name in enumerate(names, start=1):
        notice = protocol.LEFT.format(who=f"{{{name}}}", online=users_online(users - left))
        expect = {other: [notice] for other in ["server", *names[left:]]}
        steps.append({"ctrl_c": name, "expect": {**expect, name: ["^C", "exit"]}, "exit": {name: 0}})
    steps.append({"ctrl_c": "server", "expect": {"server": ["^C", "exit"]}, "exit": {"server": 0}})
    description = f"{users} users join one by one, each says hello, and they leave in the order they came."
    return from_table({"name": f"crowd-{users}", "description": description, "step": steps})
