"""Crowd scenarios: hundreds of raw-socket users at once, judged on every byte each received.

A step scenario waits for each line on every screen, which cannot scale to 200 users and
two million deliveries. A crowd run instead lets its users connect in batches, then talk all
at once (some of them leaving or resetting half-way), and then checks each user's whole
stream (harness/engine/streams.py): its welcome, the join notices with the right counts, every
other user's lines exactly once and in that user's order, never its own, and the leave
notices. It waits on facts, never on time: every planned byte written, every line each user
must have, and the server waiting in a system call with nothing more to read.
"""

import dataclasses
import resource
import time
from collections.abc import Callable
from pathlib import Path

from harness.engine import streams
from harness.engine.loop import WRITE
from harness.engine.robot import Robot
from harness.engine.room import (
    HOST,
    POLL,
    QUIET_PATIENCE,
    QUIET_VERDICT,
    SPIN_VERDICT,
    Lasting,
    Room,
    ending,
    wait_while_pumping,
)
from harness.engine.streams import StreamError
from harness.engine.terminal import Terminal
from harness.model import protocol
from harness.model.expect import NO_LINE_END
from harness.model.outcome import Outcome
from harness.model.scenario import Crowd, Scenario
from harness.system.ports import free_port
from harness.system.procs import is_idle
from harness.system.tcpinfo import Port, unread_at

BATCH = 50  # users connecting at once: a bigger batch would overrun a listen() backlog of 128
FREEZE_PATIENCE = 0.1  # seconds a server may wait while others' bytes wait for it, before it counts as frozen
FILES_NEEDED_BESIDES = 64  # descriptors the harness itself uses, beyond one per user


class Hall:
    """The crowd's users and the server's terminal, all in the room's one loop: the users are
    robots with no timeline, watched again only when what they want changes (hundreds of
    them, read thousands of times a second), not at every pump as a room's few members are."""

    def __init__(self, room: Room, server: Terminal) -> None:
        self.room, self.server = room, server
        self.loop = room.loop
        self.users: list[Robot] = []
        self._output_seen, self._output = 0, bytearray()

    def add(self, user: Robot) -> None:
        self.users.append(user)
        self.loop.watch(user)

    def hang_up(self, user: Robot, how: str) -> None:
        """Close (or reset) the user's connection."""
        user.hang_up(how)
        self.loop.watch(user)

    def pause(self, users: list[Robot], paused: bool) -> None:
        """Users that do not read for now (paused), or read again."""
        for user in users:
            user.reads = not paused
            self.loop.watch(user)

    @property
    def paused(self) -> list[Robot]:
        return [user for user in self.users if not user.reads]

    def send(self, user: Robot, data: bytes, then: str = "") -> None:
        """Queue data; `then` = "close" or "reset": hang up that way once it has all gone."""
        user.queue(data, then)
        user.serve(WRITE, self.loop.buffer)  # what the socket takes now, as the loop would
        self.loop.watch(user)

    def wait_until(
        self, condition, timeout: float, what: str, poll: float | None = None, progress: Callable[[], int] | None = None
    ) -> None:
        """Pump until condition() holds; a server that ended, or the timeout, is a StreamError.
        progress: a count that grows while the room gets somewhere (lines arrived); while it
        grows, the timeout starts again, so a correct server that is slow on a busy machine
        (a thread per user, a send() per line) is not failed for it."""

        def done() -> bool:
            if condition():
                return True
            if self.server.eof and self.server.settled_exit():
                ended = ending(self.server).describe()
                raise StreamError("server", f"expected the server to keep running, but it {ended} while {what}")
            return False

        seen = progress() if progress else 0
        while not wait_while_pumping(done, self.room.pump, timeout, poll):
            if progress is None or progress() == seen:
                raise StreamError(
                    "server", f"expected the room to get there, but it was still {what} after {timeout:g} s"
                )
            seen = progress()

    def server_output(self) -> bytearray:
        """Everything the server printed so far, gathered from the events new since last time
        (the hall's own buffer: read it, do not change it)."""
        events = self.room.timeline.events
        for event in events[self._output_seen :]:
            if event.who == self.server.name and event.kind == "printed":
                self._output += event.data
        self._output_seen = len(events)
        return self._output

    def quiet(self, port: int, unread_too: bool = False) -> bool:
        """Nothing more can arrive, but for paused users: all written, nothing to read, nothing
        on its way (tcpinfo.Port.in_flight), and the server waits for input. (A byte unread at
        the server's end of a connection it no longer watches changes nothing: an idle server
        would have been woken by one it watches.) unread_too: and no byte unread there at all."""
        if any(user.outgoing or user.then for user in self.users):
            return False
        if self.loop.anything_to_read() or not is_idle(self.server.pid):
            return False
        look = Port(port)
        return not look.in_flight() and not (unread_too and look.unread_at_server())

    def close(self) -> None:
        for user in self.users:
            user.close()


def run(scenario: Scenario, server: Path, client: Path, timeout: float) -> Outcome:
    """The scenario's timeout is the least any wait may take: crowds take what they take."""
    crowd = scenario.crowd
    assert crowd is not None
    timeout = max(timeout, scenario.timeout)
    _enough_descriptors(crowd.users + crowd.taken)  # an uncontained server inherits the limit
    started = time.monotonic()
    phase_seconds: list[float] = []
    failure = None
    with Room(server, client, rows=scenario.rows, cols=scenario.cols) as room:
        terminal = room.start_server("server", [HOST, str(free_port())], taken=crowd.taken)
        hall = Hall(room, terminal)
        book: streams.Book[Robot] = streams.Book(crowd)
        try:
            for number, step in enumerate(scenario.steps, start=1):
                phase_started = time.monotonic()
                try:
                    PHASES[step.who](hall, book, crowd, timeout)
                except StreamError as failed:
                    failure = failed.at(number, step.describe())
                    if failed.member != "server" and terminal.eof and terminal.settled_exit():
                        failure = dataclasses.replace(failure, ending=ending(terminal), ended="server")
                    break
                finally:
                    phase_seconds.append(time.monotonic() - phase_started)
        finally:
            hall.close()
        screens = {"server": terminal.lines()[-40:], **book.summaries()}
    values = {"port": str(book.port), "served": str(len(book.order)), "refused": str(len(book.refused))}
    endings = {"server": ending(terminal)}
    seconds = time.monotonic() - started
    return Outcome(scenario, server, client, failure, screens, values, endings, phase_seconds, seconds, room.timeline)


def _enough_descriptors(users: int) -> None:
    """Raise this process's open-files limit as far as the crowd needs and the system allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = users + FILES_NEEDED_BESIDES
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise StreamError("harness", f"{users} users need {needed} open files; this system allows {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def _start(hall: Hall, book: "streams.Book[Robot]", crowd: Crowd, timeout: float) -> None:
    """Wait for the start line; a server that printed another first line and then waits for
    input will not print it: that is said at once."""

    idle = Lasting(QUIET_VERDICT)  # waiting for input, with a first line that is not it

    def started() -> bool:
        output = hall.server_output()
        if book.learn_port(output):
            return True
        first, ended, _ = bytes(output).partition(b"\n")
        if idle(bool(ended) and is_idle(hall.server.pid)):
            seen = first.decode(errors="replace").rstrip("\r")
            raise StreamError("server", f"server: line 1: expected {protocol.START.format(port='N')!r}, seen {seen!r}")
        return False

    hall.wait_until(started, timeout, "waiting for its start line", poll=POLL)


def _connect(hall: Hall, book: "streams.Book[Robot]", crowd: Crowd, timeout: float) -> None:
    for first in range(1, crowd.users + 1, BATCH):
        batch = []
        for number in range(first, min(first + BATCH, crowd.users + 1)):
            try:
                user = Robot(f"user{number}", (HOST, book.port), None, lags=book.lags(number))
            except OSError as error:
                problem = f"user{number}: expected to connect, but it could not: {error.strerror or error}"
                raise StreamError(f"user{number}", problem) from None
            hall.add(user)
            batch.append(user)
        hall.wait_until(
            lambda b=batch: all(u.received_lines or u.eof or u.partial for u in b),
            timeout,
            f"connecting users {first} and on",
        )
        unfinished = [user for user in batch if not user.received_lines and not user.eof]
        if unfinished:  # the rest of a line cut across sends, or a line that never ends?
            settled_by = time.monotonic() + QUIET_PATIENCE
            hall.wait_until(
                lambda these=unfinished, by=settled_by: (
                    all(u.received_lines for u in these) or hall.quiet(book.port) or time.monotonic() > by
                ),
                timeout,
                "waiting for the end of a welcome",
                poll=POLL,
            )
        for user in batch:
            if not user.received_lines and user.partial:
                shown = repr(user.partial[:60]) + (
                    f" and {len(user.partial) - 60} bytes more" if len(user.partial) > 60 else ""
                )
                problem = f"{user.name}: expected a welcome line, but it received {shown}, with no line end"
                raise StreamError(user.name, f"{problem}: {NO_LINE_END}")
            book.arrived(user)  # raises StreamError for a first line that is neither welcome nor refusal
            if user.endpoint in book.refused:
                hall.hang_up(user, "close")
    book.check_served()


def _talk(hall: Hall, book: "streams.Book[Robot]", crowd: Crowd, timeout: float) -> None:
    """Everyone talks at once while the laggers do not read: the server must keep their
    lines for later (a blocking send() would freeze the room here), then deliver them.
    Waits on counts: the lines each user must have, known once the server has printed who
    left and how many of their lines it heard; then on the room falling quiet, or a moment
    (a threaded server never looks idle), to catch a late extra line."""
    plan = book.plan()
    hall.pause(book.laggers, True)
    for user, lines, then in plan:
        hall.send(user, b"".join(line + b"\n" for line in lines), then)
    readers = [user for user in book.staying() if user not in book.laggers]
    lagging = f" while {len(book.laggers)} users did not read" if book.laggers else ""
    _wait_for_lines(hall, book, readers, timeout, f"the others' lines{lagging}")
    hall.pause(book.laggers, False)
    _wait_for_lines(hall, book, book.staying(), timeout, "every line")
    settled_by = time.monotonic() + QUIET_PATIENCE
    hall.wait_until(lambda: hall.quiet(book.port) or time.monotonic() > settled_by, timeout, "settling", poll=POLL)
    book.check_talk()


class FreezeWatch:
    """A room frozen behind a user who does not read: the server waits (every thread of it in
    a system call, one of them a send()) while the others' bytes sit unread at its end, and
    it stays so. A correct server reads what is there at once. Looked at every POLL*10 s."""

    def __init__(self, hall: Hall, port: int) -> None:
        self.hall, self.port = hall, port
        self.next_look = 0.0
        self.frozen = Lasting(FREEZE_PATIENCE)

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self.next_look:
            return
        self.next_look = now + POLL * 10
        waiting = unread_at(self.port) if is_idle(self.hall.server.pid) else 0
        if self.frozen(waiting > 0):
            problem = (
                f"expected the others to go on hearing each other while {len(self.hall.paused)} users did not "
                f"read, but the room froze: the server waits (in send()?) while {waiting} bytes from the others "
                "wait unread for it"
            )
            raise RoomFroze("server", problem)


class RoomFroze(StreamError):
    """Said as it is: the lines missing at that moment are the freeze's doing, not lost."""


def _wait_for_lines(hall: Hall, book: "streams.Book[Robot]", users: list, timeout: float, what: str) -> None:
    """Wait until each user has every line it must get. A room that falls quiet short of that
    (nothing to read or write, the server waiting with nothing unread) or whose server runs
    flat out sending nothing will not get there: said at once, not after the timeout. A room
    frozen behind a lagger is FreezeWatch's. Those looks cost system calls: made every POLL*5 s."""
    frozen = FreezeWatch(hall, book.port) if hall.paused else None
    quiet = Lasting(QUIET_VERDICT)
    spin = hall.room.spinning(lambda: len(hall.room.timeline.events) + sum(len(u.received) for u in hall.users))
    next_look, stopped = 0.0, ""  # stopped: why the wait ended early, said after what is missing

    def arrived() -> bool:
        nonlocal next_look, stopped
        wanted = book.wanted(hall.server_output())
        if wanted is not None and all(user.complete >= wanted[user.endpoint] for user in users):
            return True
        if time.monotonic() < next_look:
            return False
        next_look = time.monotonic() + POLL * 5
        if frozen is not None:
            frozen()
        settled = hall.quiet(book.port, unread_too=True)
        if quiet(settled):
            stopped = "and nothing more was on its way"
            raise StreamError("server", f"the room fell quiet while waiting for {what}")
        if not settled and spin.culprit():
            stopped = f"while the server ran flat out, sending nothing for {SPIN_VERDICT:g} s: a loop that never waits?"
            raise StreamError("server", f"the server ran flat out for {SPIN_VERDICT:g} s, sending nothing")
        return False

    def lines_arrived() -> int:
        return sum(user.complete for user in users)

    try:
        hall.wait_until(arrived, timeout, f"waiting for {what}", poll=POLL, progress=lines_arrived)
    except RoomFroze:
        raise
    except StreamError as ended_early:
        waited = stopped or f"after {timeout:g} s of waiting for {what} in which none arrived"
        try:
            book.check_talk(users)  # says which lines are missing, if it can
        except StreamError as found:
            raise StreamError(found.member, f"{found.problem}, {waited}") from None
        raise ended_early


def _everyone_leaves(hall: Hall, book: "streams.Book[Robot]", crowd: Crowd, timeout: float) -> None:
    for user in book.staying():
        hall.hang_up(user, "close")

    def left() -> bool:
        """Every leave notice printed, the last one to its line end (a pty may hand the
        harness a line in two pieces); or printed without one, and nothing more comes."""
        output = hall.server_output()
        if book.all_left(output[: output.rfind(b"\n") + 1]):
            return True
        return book.all_left(output) and hall.quiet(book.port)

    hall.wait_until(left, timeout, "waiting for every leave notice", poll=POLL)
    book.check_server(hall.server_output())


def _last_user(hall: Hall, book: "streams.Book[Robot]", crowd: Crowd, timeout: float) -> None:
    user = Robot(f"user{crowd.users + 1}", (HOST, book.port), None)
    hall.add(user)
    hall.wait_until(lambda: user.received_lines or user.eof, timeout, "waiting for the last user's welcome")
    book.check_last(user)


# What each of Crowd.phases() does, by the name its step gives (the first step starts the server).
PHASES = {"server": _start, "connect": _connect, "talk": _talk, "leave": _everyone_leaves, "last-user": _last_user}
