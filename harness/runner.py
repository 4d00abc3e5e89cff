"""Runs a scenario in a room and says what every screen showed against what it should have.

Before each action every member must show everything expected so far (typing early
renders above the welcome; Ctrl-C with unread socket data closes with a reset), so
each step ends with one wait on all of them. Screens are compared whole.
"""

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.expect import SERVER_PORT, Mismatch, compare, fill
from harness.robot import Robot
from harness.room import Room
from harness.scenario import Scenario, Step
from harness.terminal import CTRL_C, CTRL_D, ENTER, Terminal
from harness.timeline import Timeline

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
REFERENCE_SERVER = REFERENCE / "srv.py"
REFERENCE_CLIENT = REFERENCE / "cli.py"


@dataclass(frozen=True)
class Failure:
    step: int  # 1-based
    step_text: str
    member: str
    problem: str
    mismatch: Mismatch | None = None


@dataclass
class Outcome:
    scenario: Scenario
    server: Path
    client: Path
    failure: Failure | None
    screens: dict[str, list[str]]  # what each member finally showed (a robot: what it received)
    expected: dict[str, list[str]]  # what each should have shown, placeholders filled in
    checked: list[str]  # members whose screens were judged (robots only when expected to see something)
    values: dict[str, str]  # placeholders learned: port, addresses
    exits: dict[str, str]  # how each terminal's program ended
    step_seconds: list[float]
    seconds: float
    timeline: Timeline = field(repr=False)

    @property
    def passed(self) -> bool:
        return self.failure is None


class StepFailed(Exception):
    def __init__(self, member: str, problem: str, mismatch: Mismatch | None = None) -> None:
        super().__init__(problem)
        self.member, self.problem, self.mismatch = member, problem, mismatch


def run(
    scenario: Scenario,
    server: Path = REFERENCE_SERVER,
    client: Path = REFERENCE_CLIENT,
    timeout: float | None = None,
) -> Outcome:
    timeout = scenario.timeout if timeout is None else timeout
    kinds = scenario.members()
    # A terminal's whole screen is always judged; a robot's lines only if the scenario says.
    mentioned = {name for step in scenario.steps for name in step.expect}
    checked = [name for name, kind in kinds.items() if kind != "robot" or name in mentioned]
    if scenario.judge is not None:
        checked = [name for name in checked if name in scenario.judge]
    expected: dict[str, list[str]] = {name: [] for name in checked}  # in order of arrival
    values: dict[str, str] = {}
    step_seconds: list[float] = []
    failure = None
    started = time.monotonic()
    with Room(server, client, rows=scenario.rows, cols=scenario.cols) as room:
        for number, step in enumerate(scenario.steps, start=1):
            step_started = time.monotonic()
            try:
                _act(room, step, timeout)
                for name, lines in step.expect.items():
                    expected[name].extend(lines)
                _wait_for(room, expected, step.exits, values, timeout)
            except StepFailed as failed:
                failure = Failure(number, step.describe(), failed.member, failed.problem, failed.mismatch)
                break
            finally:
                step_seconds.append(time.monotonic() - step_started)
            room.port = int(values.get(SERVER_PORT, 0))
    seconds = time.monotonic() - started  # the room's teardown included
    return Outcome(
        scenario=scenario,
        server=server,
        client=client,
        failure=failure,
        screens={name: member.lines() for name, member in room.members.items()},
        expected={name: [fill(line, values) for line in lines] for name, lines in expected.items()},
        checked=checked,
        values=values,
        exits={n: m.describe_exit() for n, m in room.members.items() if isinstance(m, Terminal)},
        step_seconds=step_seconds,
        seconds=seconds,
        timeline=room.timeline,
    )


def _act(room: Room, step: Step, timeout: float) -> None:
    who = step.who
    try:
        match step.action:
            case "start":
                room.start_server(who)
            case "join":
                room.start_client(who)
            case "connect":
                room.connect_robot(who)
            case "say":
                room.terminal(who).type(step.text.encode() + ENTER)
            case "ctrl_c":
                room.terminal(who).type(CTRL_C)
            case "ctrl_d":
                room.terminal(who).type(CTRL_D)
            case "send":
                _send_in_pieces(room, room.robot(who), step, timeout)
            case "reset":
                member = room.members[who]
                member.reset() if isinstance(member, Robot) else member.kill()
            case "close":
                room.robot(who).close()
    except OSError as error:
        raise StepFailed(who, f"could not {step.action.replace('_', '-')} {who}: {error.strerror or error}") from None


def _send_in_pieces(room: Room, robot: Robot, step: Step, timeout: float) -> None:
    """Each piece arrives in a read of its own: the next is sent once the server has read it."""
    cuts = [0, *step.split, len(step.data)]
    for start, end in itertools.pairwise(cuts):
        robot.send(step.data[start:end])
        if end < len(step.data) and not room.wait_until_read(robot, timeout):
            raise StepFailed("server", f"the server did not read the first {end} bytes {robot.name} sent")


@dataclass(frozen=True)
class Unmet:
    """What is not as expected yet; final when it can no longer change."""

    final: bool
    member: str
    problem: str
    mismatch: Mismatch | None = None


def _wait_for(room: Room, expected: dict[str, list[str]], exits: dict[str, int], values: dict, timeout: float) -> None:
    """Wait until every member shows what it should and the programs that must end have.

    Learned values are kept only when everything matches. A mismatch on a member that can
    no longer change (its program ended, its socket closed) fails at once."""
    unmet: Unmet | None = None

    def settled() -> bool:
        nonlocal unmet
        unmet = _judge(room, expected, exits, values)
        return unmet is None or unmet.final

    room.wait_until(settled, timeout, poll=0.002 if exits else None)
    if unmet is None:
        return
    problem = unmet.problem if unmet.final else f"{unmet.problem} (still so after {timeout:g} s)"
    raise StepFailed(unmet.member, problem, unmet.mismatch)


def _judge(room: Room, expected: dict[str, list[str]], exits: dict[str, int], values: dict) -> Unmet | None:
    """None when all is as expected (and `values` learns what matched), else the first thing not."""
    trial = dict(values)
    unmet = []
    for name, templates in expected.items():
        member = room.members.get(name)
        if member is None:
            continue
        mismatch = compare(member.lines(), templates, trial)
        if mismatch:
            ended = (
                f" ({name}'s program {member.describe_exit()})" if member.eof and isinstance(member, Terminal) else ""
            )
            unmet.append(Unmet(member.eof, name, f"{name}: {mismatch.describe()}{ended}", mismatch))
    if unmet:  # a screen that can no longer change says the most, and at once
        return next((u for u in unmet if u.final), unmet[0])
    for name, status in exits.items():
        terminal = room.terminal(name)
        ended = terminal.eof and terminal.has_exited()
        if not ended or terminal.exit_status != status:
            problem = f"{name}: should have ended with exit status {status}, but it {terminal.describe_exit()}"
            return Unmet(ended, name, problem)
    values.update(trial)
    return None
