"""Runs a scenario in a room and says what every screen showed against what it should have.

Before each action every member must show everything expected so far (typing early
renders above the welcome; Ctrl-C with unread socket data closes with a reset), so
each step ends with one wait on all of them. Screens are compared whole.
"""

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.engine import crowd
from harness.engine.robot import FakeServer, Wire
from harness.engine.room import POLL, QUIET_PATIENCE, QUIET_VERDICT, SPIN_VERDICT, Room, ending
from harness.engine.terminal import CTRL_D, ENTER, Terminal
from harness.model import kit
from harness.model.expect import SERVER_PORT, Mismatch, compare, fill, judge_rows
from harness.model.outcome import Failure, Outcome, Wait
from harness.model.scenario import FREE_PORT, LINGERING_PORT, Scenario, Step
from harness.system import ports
from harness.system.tcpinfo import lingers

REFERENCE, REFERENCE_SERVER, REFERENCE_CLIENT = kit.REFERENCE, kit.REFERENCE_SERVER, kit.REFERENCE_CLIENT
# The grader's side of a graded check: programs that show what the reference shows and speak
# both the documented protocol and the kit's (their docstrings; docs/protocol.md).
PARTNER_SERVER = kit.PARTNERS / "srv.py"
PARTNER_CLIENT = kit.PARTNERS / "cli.py"


STARTS_ROOM = ("start", "join", "connect")  # a failure here, with a program gone, means the room never formed


class StepFailed(Exception):
    """A step went wrong: its failure, found before the runner places it at its step (Failure.at)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.problem)
        self.failure = failure


def _found(
    member: str,
    what: str = "",
    mismatch: Mismatch | None = None,
    unfinished: str = "",
    expected_exit: int | None = None,
) -> Failure:
    """A failure at no step yet: StepFailed carries it to the runner, which knows the step."""
    return Failure(0, "", member, what, mismatch, unfinished, expected_exit)


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
    shown = _shown if scenario.blank_rows else _shown_without_blank_rows
    with Room(server, client, rows=scenario.rows, cols=scenario.cols) as room:
        for number, step in enumerate(scenario.steps, start=1):
            step_started = time.monotonic()
            step_timeout = max(timeout, step.timeout)
            try:
                if step.action == "start" and step.args is None and SERVER_PORT not in values:
                    values[SERVER_PORT] = str(ports.free_port())  # srv.py 127.0.0.1 PORT, as documented
                    room.port = int(values[SERVER_PORT])
                _act(room, step, step_timeout, values)
                for name, lines in step.expect.items():
                    expected[name].extend(lines)
                # Members not judged are looked at only when this step expects something of them.
                looked_at = [name for name in expected if name in checked or name in step.expect]
                listens = step.action == "start" and step.who in room.members and not step.exits
                try:
                    _wait_for(room, expected, looked_at, checked, step.exits, values, step_timeout, shown)
                except StepFailed:
                    if listens and SERVER_PORT in values:  # a port elsewhere explains a wrong start line
                        _listens_on_its_port(room, step.who, int(values[SERVER_PORT]), 0, failed=True)
                    raise
                if listens:
                    _listens_on_its_port(room, step.who, int(values[SERVER_PORT]), step_timeout)
            except StepFailed as failed:
                halted = _cannot_run(room, step, failed.failure.member, values.get(SERVER_PORT))
                failure = failed.failure.at(number, step.describe(), halted)
                break
            finally:
                step_seconds.append(time.monotonic() - step_started)
            if SERVER_PORT in values:  # learned, or chosen: the port clients connect to
                room.port = int(values[SERVER_PORT])
    seconds = time.monotonic() - started  # the room's teardown included
    screens = {name: shown(member) for name, member in room.members.items()}
    return Outcome(
        scenario=scenario,
        server=server,
        client=client,
        failure=failure,
        screens=screens,
        expected={name: [fill(line, values) for line in expected[name]] for name in checked},
        rows={name: judge_rows(screens[name], expected[name], dict(values)) for name in checked if name in screens},
        checked=checked,
        values=values,
        endings={n: ending(m) for n, m in room.members.items() if isinstance(m, Terminal)},
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
                member.hang_up("reset") if isinstance(member, Wire) else member.kill()
            case "close":
                room.wire(who).close()
    except OSError as error:
        action = step.action.replace("_", "-")
        raise StepFailed(_found(who, f"could not {action} {who}: {error.strerror or error}")) from None


def _command_line(room: Room, args: tuple[str, ...], values: dict[str, str]) -> list[str]:
    """A step's own command line; {free} becomes a free port, which {port} must then show,
    and {lingering} a free port with a connection lingering on it (TIME_WAIT)."""
    for placeholder, pick in ((FREE_PORT, ports.free_port), (LINGERING_PORT, ports.lingering_port)):
        if any(placeholder in arg for arg in args):
            values[SERVER_PORT] = str(pick())
        args = tuple(arg.replace(placeholder, "{" + SERVER_PORT + "}") for arg in args)
    return [fill(arg, values) for arg in args]


def _cannot_run(room: Room, step: Step, failing: str, port: str | None) -> bool:
    """Whether a failure means the room could not even form: a program it starts with ended,
    a robot could not connect, or a server that was started listens on no port at all."""
    if step.action not in STARTS_ROOM:
        return False
    member = room.members.get(failing)
    if member is None or member.eof:
        return True
    server = room.members.get(step.who)
    return (
        step.action == "start"
        and port is not None
        and isinstance(server, Terminal)
        and not server.eof
        and (int(port) not in ports.listening().values())
    )


def _listens_on_its_port(room: Room, name: str, port: int, timeout: float, failed: bool = False) -> None:
    """A server started as `srv.py 127.0.0.1 PORT` must listen on PORT: say what it did instead.
    failed: its start step has failed already; say something only if it explains why."""
    server = room.terminal(name)
    listening = room.wait_until(lambda: server.eof or port in ports.listening().values(), timeout, poll=POLL)
    if listening and not server.eof:
        return
    if server.eof:
        screen = "\n".join(server.lines())
        if "Address already in use" not in screen:
            return  # it ended for a reason of its own, which the failure already shows
        if lingers(port):
            why = (
                f"a connection of an earlier server lingers on port {port} (TIME_WAIT), as after any restart, "
                "and bind() refuses such a port unless SO_REUSEADDR is set on the socket before bind()"
            )
        else:
            why = f"port {port} was free when it started: it must have tried to bind() another port (a fixed one?)"
        problem = f"{name}: expected it to listen on port {port}, but bind() said 'Address already in use'"
        raise StepFailed(_found(name, f"{problem}: {why}"))
    others = ports.listening_ports(server.pid)
    if failed and not others:
        return
    listens = f"listens on port {', '.join(map(str, others))} instead" if others else "listens on no port"
    problem = f"{name} was started with PORT {port}: expected it to listen there, but it {listens}"
    raise StepFailed(_found(name, f"{problem}: bind() the HOST and PORT of the command line"))


def _send_in_pieces(room: Room, wire: Wire, step: Step, timeout: float) -> None:
    """Each piece arrives in a read of its own: the next is sent once the program has read it,
    and the step ends once it has read the last."""
    if isinstance(wire, FakeServer) and not room.wait_until(lambda: wire.connected, timeout):
        raise StepFailed(_found(wire.name, f"no client connected to {wire.name} within {timeout:g} s"))
    cuts = [0, *step.split, len(step.data)]
    for start, end in itertools.pairwise(cuts):
        wire.queue(step.data[start:end])
        stalled = Stall(room, lambda: len(wire.outgoing))

        def read_or_stalled(s: Stall = stalled) -> bool:
            return not wire.outgoing or s()

        if not room.wait_until(read_or_stalled, timeout, poll=POLL) or wire.outgoing:
            when = "while every program waits" if stalled.verdict else f"after {timeout:g} s"
            problem = (
                f"{wire.name}: expected the program to read all {end - start} bytes {wire.name} sent, "
                f"but {len(wire.outgoing)} still wait {when}: it stopped reading"
            )
            raise StepFailed(_found(wire.name, problem))
        if not room.wait_until_read(wire, timeout):
            raise StepFailed(_found(wire.name, f"the program did not read the first {end} bytes {wire.name} sent"))


class Stall:
    """True once the room has been quiet (every program waiting) for QUIET_VERDICT seconds
    while what is left to do, `left()`, stayed the same: nothing will move it any more."""

    def __init__(self, room: Room, left: Callable[[], int]) -> None:
        self.room, self.left = room, left
        self.last, self.since, self.verdict = -1, 0.0, False

    def __call__(self) -> bool:
        now, left = time.monotonic(), self.left()
        if left != self.last or not self.room.is_quiet(unread_too=False):
            self.last, self.since = left, now
            return False
        self.verdict = now - self.since >= QUIET_VERDICT
        return self.verdict


def _crashed(member: Terminal | Wire) -> bool:
    return isinstance(member, Terminal) and member.has_exited() and member.exit_status != 0


@dataclass(frozen=True)
class Unmet:
    """What is not as expected yet; final when it can no longer change."""

    final: bool
    failure: Failure  # as it stands now, at no step yet

    @property
    def member(self) -> str:
        return self.failure.member


def _shown(member: Terminal | Wire) -> list[str]:
    return member.lines()


def _shown_without_blank_rows(member: Terminal | Wire) -> list[str]:
    """A terminal's rows less the blank ones: a client that print()s each read, as the
    documented one does, shows a blank row after each line that ends in \\n. A robot's bytes
    are always judged exactly."""
    if isinstance(member, Wire):
        return member.lines()
    return [line for line in member.lines() if line.strip()]


def _wait_for(
    room: Room,
    expected: dict[str, list[str]],
    looked_at: list[str],
    checked: list[str],
    exits: dict[str, int],
    values: dict,
    timeout: float,
    shown: Callable[[Terminal | Wire], list[str]] = _shown,
) -> None:
    """Wait until every member shows what it should and the programs that must end have.

    Learned values are kept only when everything matches. A mismatch on a member that can
    no longer change (its program ended, its socket closed) fails at once, and so does one
    in a room that has fallen quiet (QUIET_VERDICT): the timeout is for rooms that never settle."""
    looked = {name: expected[name] for name in looked_at}
    unmet: Unmet | None = None
    learned: dict[str, str] = {}
    matched_since: float | None = None
    quiet_since: float | None = None
    spin, spinning = room.spinning(), None
    final_since: float | None = None
    events = len(room.timeline.events)

    def settled() -> bool:
        nonlocal unmet, learned, matched_since, quiet_since, spinning, final_since, events
        unmet, learned = _judge(room, looked, checked, exits, values, shown)
        if len(room.timeline.events) != events:  # something happened: quiet starts again from here
            events, quiet_since = len(room.timeline.events), None
        if unmet is not None:
            matched_since = None
            if unmet.final:  # ... once the others have settled too: a program that crashed, and
                # closed every connection as it went, may not have been seen ending yet
                final_since = final_since or time.monotonic()
                return room.is_quiet(unread_too=False) or time.monotonic() - final_since >= QUIET_PATIENCE
            if not room.is_quiet(unread_too=False):
                quiet_since = None
                spinning = spin.culprit()
                return spinning is not None  # busy, silent and wrong: nothing more will come either
            quiet_since = quiet_since or time.monotonic()
            return time.monotonic() - quiet_since >= QUIET_VERDICT  # quiet and wrong: nothing more will come
        # Every screen matches; is more on its way (an echo to the sender, say)?
        if room.is_quiet():
            return True
        matched_since = matched_since or time.monotonic()
        return time.monotonic() - matched_since > QUIET_PATIENCE  # a busy loop is never quiet

    room.wait_until(settled, timeout, poll=POLL / 4)
    if unmet is None:
        values.update(learned)
        return
    waited = None
    if spinning:
        waited = Wait(SPIN_VERDICT, spinning=spinning)
    elif not unmet.final:
        waited = Wait(timeout, quiet=quiet_since is not None)
    member = room.members[unmet.member]
    said = unmet.failure.expected_exit is not None or member.eof  # an exit status, or a screen that ended
    how = ending(member) if isinstance(member, Terminal) and said else None
    raise StepFailed(dataclasses.replace(unmet.failure, ending=how, waited=waited))


def _judge(
    room: Room,
    expected: dict[str, list[str]],
    checked: list[str],
    exits: dict[str, int],
    values: dict,
    shown: Callable[[Terminal | Wire], list[str]],
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
        seen = shown(member) if name in checked else shown(member)[: len(templates)]  # "at least these"
        mismatch = compare(seen, templates, trial)
        if mismatch:
            unfinished = member.unfinished if isinstance(member, Wire) else ""
            unmet.append(Unmet(member.eof, _found(name, mismatch=mismatch, unfinished=unfinished)))
    if unmet:  # a crash says the most, once its last words are read; then a screen that can no longer change
        crashed = [u for u in unmet if _crashed(room.members[u.member])]
        final = [u for u in unmet if u.final]
        return (crashed or final or unmet)[0], {}
    for name, status in exits.items():
        terminal = room.terminal(name)
        ended = terminal.eof and terminal.has_exited()
        if not ended or terminal.exit_status != status:
            return Unmet(ended, _found(name, expected_exit=status)), {}
    return None, trial
