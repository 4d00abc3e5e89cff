"""Runs a scenario in a room and says what every screen showed against what it should have.

Before each action every member must show everything expected so far (typing early
renders above the welcome; Ctrl-C with unread socket data closes with a reset), so
each step ends with one wait on all of them. Screens are compared whole.
"""

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

from harness import crowd
from harness.expect import SERVER_PORT, Mismatch, compare, fill
from harness.outcome import Failure, Outcome
from harness.robot import FakeServer, Wire
from harness.room import POLL, QUIET_PATIENCE, Room
from harness.scenario import FREE_PORT, Scenario, Step
from harness.terminal import CTRL_D, ENTER, Terminal

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
REFERENCE_SERVER = REFERENCE / "srv.py"
REFERENCE_CLIENT = REFERENCE / "cli.py"


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
    if scenario.crowd is not None:
        return crowd.run(scenario, server, client, timeout)
    kinds = scenario.members()
    # A terminal's whole screen is always judged; a robot's lines only if the scenario says.
    mentioned = {name for step in scenario.steps for name in step.expect}
    watched = [name for name, kind in kinds.items() if kind in ("server", "client") or name in mentioned]
    checked = [name for name in watched if scenario.judge is None or name in scenario.judge]
    expected: dict[str, list[str]] = {name: [] for name in watched}  # in order of arrival
    values: dict[str, str] = {}
    step_seconds: list[float] = []
    failure = None
    started = time.monotonic()
    with Room(server, client, rows=scenario.rows, cols=scenario.cols) as room:
        for number, step in enumerate(scenario.steps, start=1):
            step_started = time.monotonic()
            step_timeout = max(timeout, step.timeout)
            try:
                _act(room, step, step_timeout, values)
                for name, lines in step.expect.items():
                    expected[name].extend(lines)
                # Members not judged are looked at only when this step expects something of them.
                looked_at = [name for name in expected if name in checked or name in step.expect]
                _wait_for(room, expected, looked_at, checked, step.exits, values, step_timeout)
            except StepFailed as failed:
                failure = Failure(number, step.describe(), failed.member, failed.problem, failed.mismatch)
                break
            finally:
                step_seconds.append(time.monotonic() - step_started)
            if SERVER_PORT in values:  # learned, or chosen: the port clients connect to
                room.port = int(values[SERVER_PORT])
    seconds = time.monotonic() - started  # the room's teardown included
    return Outcome(
        scenario=scenario,
        server=server,
        client=client,
        failure=failure,
        screens={name: member.lines() for name, member in room.members.items()},
        expected={name: [fill(line, values) for line in expected[name]] for name in checked},
        checked=checked,
        values=values,
        exits={n: m.describe_exit() for n, m in room.members.items() if isinstance(m, Terminal)},
        step_seconds=step_seconds,
        seconds=seconds,
        timeline=room.timeline,
    )


def _act(room: Room, step: Step, timeout: float, values: dict[str, str]) -> None:
    who = step.who
    args = None if step.args is None else _command_line(room, step.args, values)
    try:
        match step.action:
            case "start":
                room.start_server(who, args)
            case "join":
                room.start_client(who, args)
            case "connect":
                room.connect_robot(who, step.reads)
            case "listen":
                room.listen_fake(who)
            case "say":
                room.terminal(who).type(step.text.encode() + ENTER)
            case "ctrl_c":
                room.press_ctrl_c(room.terminal(who))
            case "ctrl_d":
                room.terminal(who).type(CTRL_D)
            case "send":
                _send_in_pieces(room, room.wire(who), step, timeout)
            case "reset":
                member = room.members[who]
                member.reset() if isinstance(member, Wire) else member.kill()
            case "close":
                room.wire(who).close()
    except OSError as error:
        raise StepFailed(who, f"could not {step.action.replace('_', '-')} {who}: {error.strerror or error}") from None


def _command_line(room: Room, args: tuple[str, ...], values: dict[str, str]) -> list[str]:
    """A step's own command line; {free} becomes a free port, which {port} must then show."""
    if any(FREE_PORT in arg for arg in args):
        values[SERVER_PORT] = str(room.free_port())
    return [fill(arg.replace(FREE_PORT, "{" + SERVER_PORT + "}"), values) for arg in args]


def _send_in_pieces(room: Room, wire: Wire, step: Step, timeout: float) -> None:
    """Each piece arrives in a read of its own: the next is sent once the program has read it,
    and the step ends once it has read the last."""
    if isinstance(wire, FakeServer) and not room.wait_until(lambda: wire.connected, timeout):
        raise StepFailed(wire.name, f"no client connected to {wire.name} within {timeout:g} s")
    cuts = [0, *step.split, len(step.data)]
    for start, end in itertools.pairwise(cuts):
        wire.queue(step.data[start:end])
        if not room.wait_until(lambda: not wire.outgoing, timeout):
            problem = (
                f"{wire.name}: expected the program to read all {end - start} bytes {wire.name} sent, "
                f"but {len(wire.outgoing)} still wait after {timeout:g} s: it stopped reading"
            )
            raise StepFailed(wire.name, problem)
        if not room.wait_until_read(wire, timeout):
            raise StepFailed(wire.name, f"the program did not read the first {end} bytes {wire.name} sent")


def _crashed(member: Terminal | Wire) -> bool:
    return isinstance(member, Terminal) and member.has_exited() and member.exit_status != 0


@dataclass(frozen=True)
class Unmet:
    """What is not as expected yet; final when it can no longer change."""

    final: bool
    member: str
    problem: str
    mismatch: Mismatch | None = None


def _wait_for(
    room: Room,
    expected: dict[str, list[str]],
    looked_at: list[str],
    checked: list[str],
    exits: dict[str, int],
    values: dict,
    timeout: float,
) -> None:
    """Wait until every member shows what it should and the programs that must end have.

    Learned values are kept only when everything matches. A mismatch on a member that can
    no longer change (its program ended, its socket closed) fails at once."""
    looked = {name: expected[name] for name in looked_at}
    unmet: Unmet | None = None
    learned: dict[str, str] = {}
    matched_since: float | None = None

    def settled() -> bool:
        nonlocal unmet, learned, matched_since
        unmet, learned = _judge(room, looked, checked, exits, values)
        if unmet is not None:
            matched_since = None
            return unmet.final
        # Every screen matches; is more on its way (an echo to the sender, say)?
        if room.is_quiet():
            return True
        matched_since = matched_since or time.monotonic()
        return time.monotonic() - matched_since > QUIET_PATIENCE  # a busy loop is never quiet

    room.wait_until(settled, timeout, poll=POLL / 4)
    if unmet is None:
        values.update(learned)
        return
    problem = unmet.problem + _how_it_ended(room.members[unmet.member], unmet)
    raise StepFailed(
        unmet.member, problem if unmet.final else f"{problem} (still so after {timeout:g} s)", unmet.mismatch
    )


def _how_it_ended(member: Terminal | Wire, unmet: Unmet) -> str:
    """For the message only (it may wait a moment for the program to be reaped)."""
    if not isinstance(member, Terminal):
        return ""
    if unmet.mismatch is None:  # an exit status that is not the one expected
        return f", but it {member.describe_exit()}"
    return f" ({member.name}'s program {member.describe_exit()})" if member.eof else ""


def _judge(
    room: Room, expected: dict[str, list[str]], checked: list[str], exits: dict[str, int], values: dict
) -> tuple[Unmet | None, dict[str, str]]:
    """(None, what was learned) when all is as expected, else (the first thing that is not, {}).
    A judged member's screen must be exactly its lines; any other must show at least its lines
    (they teach values: the server's start line teaches the port). Never waits."""
    trial = dict(values)
    unmet = []
    for name, templates in expected.items():
        member = room.members.get(name)
        if member is None:
            continue
        seen = member.lines() if name in checked else member.lines()[: len(templates)]  # "at least these"
        mismatch = compare(seen, templates, trial)
        if mismatch:
            unmet.append(Unmet(member.eof, name, f"{name}: {mismatch.describe()}", mismatch))
    if unmet:  # a screen that can no longer change says the most, and at once; a crash the most
        final = sorted((u for u in unmet if u.final), key=lambda u: not _crashed(room.members[u.member]))
        return (final[0] if final else unmet[0]), {}
    for name, status in exits.items():
        terminal = room.terminal(name)
        ended = terminal.eof and terminal.has_exited()
        if not ended or terminal.exit_status != status:
            return Unmet(ended, name, f"{name}: should have ended with exit status {status}"), {}
    return None, trial
