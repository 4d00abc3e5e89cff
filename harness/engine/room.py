"""A room: the server, its clients and robots, all read by one loop (harness/engine/loop.py),
all ended on the way out.

Every wait goes through `wait_until`, which keeps reading every terminal and socket while
it waits (a pty nobody reads blocks its writer after ~18 KB) and gives up at a deadline.
"""

import time
from collections.abc import Callable
from pathlib import Path

from harness.engine.loop import Loop
from harness.engine.robot import FakeServer, Robot, Wire
from harness.engine.terminal import Terminal
from harness.model import kit
from harness.model.outcome import Ending
from harness.model.timeline import Timeline
from harness.system import containment, sandbox
from harness.system.ports import HOST
from harness.system.procs import (
    cpu_seconds,
    file_io_bytes,
    is_idle,
    is_waiting,
    is_writing_files,
    python_command,
    voluntary_switches,
)
from harness.system.tcpinfo import Port, lookup

POLL = 0.002  # how soon to look again at a condition that no output announces
MAX_POLL = 0.05  # ... backing off to this while it takes longer
QUIET_PATIENCE = 0.5  # seconds a room that shows what it should may take to fall quiet (is_quiet)
# Seconds a room that shows something else must stay quiet to be failed before its timeout.
# Quiet is exact (is_quiet: keys typed are pushed through to the program first, output is
# looked for after every program is seen waiting, a partner's timed wait is work to come),
# so this only has to outlast the moment between a wake-up and the woken program running.
QUIET_VERDICT = 0.05
# Seconds a room that shows something else may go on without a byte printed or received
# while one of its programs runs flat out (SPIN_SHARE of a core): a loop that never waits.
SPIN_VERDICT = 0.1
SPIN_SHARE = 0.5
# ... or, on a busy machine where it gets less, as long as it takes to run that CPU time
# (SPIN_SHARE * SPIN_VERDICT: more than a Python program needs to start) without once
# waiting (procs.voluntary_switches).


def ending(terminal: Terminal) -> Ending:
    """How the terminal's program ended, as data (Ending.describe says it in words); it may
    wait a moment for a program whose terminal has closed to be reaped."""
    if terminal.stopped or terminal.ended_by_harness:
        by_harness, stopped = terminal.ended_by_harness, terminal.stopped
        return Ending(terminal.exit_status, terminal.signal_status, by_harness=by_harness, stopped=stopped)
    if not terminal.settled_exit():
        return Ending(running=True)
    return Ending(terminal.exit_status, terminal.signal_status)


def wait_while_pumping(
    condition: Callable[[], bool], pump: Callable[[float], bool], timeout: float, poll: float | None = None
) -> bool:
    """Pump (read what arrives, waiting at most the time given; True if anything came) until
    condition() holds (True) or timeout seconds pass (False). poll: also look again this
    often, backing off while nothing happens: a program falls quiet a moment after its last
    output, and that moment is looked for soon after every output."""
    deadline, first_poll = time.monotonic() + timeout, poll
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        busy = pump(remaining if poll is None else min(remaining, poll))
        if poll is not None:  # quick for short waits, cheap for long ones
            poll = first_poll if busy else min(poll * 1.5, MAX_POLL)
    return True


class Room:
    def __init__(self, server: Path, client: Path, rows: int = 200, cols: int = 120) -> None:
        self.server_program, self.client_program = server, client
        self.rows, self.cols = rows, cols
        self.timeline = Timeline()
        self.members: dict[str, Terminal | Wire] = {}
        self.loop = Loop()  # reads and writes the members, and any other wires (a crowd's users)
        self.port = 0  # where clients connect: the server's, once chosen or learned
        # In a graded check (containment.confined), programs run contained, from a folder of their own.
        self.confinement = containment.current()
        self.workdir = containment.Workdir(self.confinement.uid) if self.confinement else None

    def __enter__(self) -> "Room":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- who is in the room -------------------------------------------------------------

    def start_server(self, name: str, args: list[str] | None = None, taken: int = 0) -> Terminal:
        """The server, as `srv.py 127.0.0.1 PORT` on the room's port (see harness/system/ports.py);
        taken: it starts with descriptors 0 to taken-1 open (harness/system/spawn.py)."""
        return self._spawn(name, self.server_program, [HOST, str(self.port)] if args is None else args, taken)

    def start_client(self, name: str, args: list[str] | None = None) -> Terminal:
        return self._spawn(name, self.client_program, [HOST, str(self.port)] if args is None else args)

    def listen_fake(self, name: str) -> FakeServer:
        """A fake server in place of the server program; clients that join connect to it."""
        fake = FakeServer(name, HOST, self.timeline)
        self.members[name] = fake
        self.port = fake.port
        return fake

    def connect_robot(self, name: str, reads: bool = True) -> Robot:
        robot = Robot(name, (HOST, self.port), self.timeline, reads)
        self.members[name] = robot
        return robot

    def _spawn(self, name: str, program: Path, args: list[str], taken: int = 0) -> Terminal:
        box, cwd, partner = None, None, program.parent == kit.PARTNERS
        if self.confinement and self.workdir:
            program, cwd = self.workdir.place(program), self.workdir.cwd
            box = containment.Box(self.confinement, name, program.name, self.workdir.jail)
        sandboxed = self.confinement is not None and self.confinement.uid is not None
        argv = python_command(program, *args, python=sandbox.python() if sandboxed else None)
        try:
            terminal = Terminal(
                name, argv, self.timeline, self.rows, self.cols, box, cwd, taken, deadline_is_work=partner
            )
        except BaseException:
            if box is not None:
                box.release()
            raise
        self.members[name] = terminal
        return terminal

    def terminal(self, name: str) -> Terminal:
        member = self.members[name]
        assert isinstance(member, Terminal), f"{name} has no terminal"
        return member

    def wire(self, name: str) -> Wire:
        member = self.members[name]
        assert isinstance(member, Wire), f"{name} has no raw connection"
        return member

    # --- reading and waiting ------------------------------------------------------------

    def pump(self, timeout: float) -> bool:
        """Read whatever any member has to give, and send what waits to be sent, waiting at
        most timeout for the first; True if there was anything to read or write."""
        self._watch_members()
        if not self.loop.watching():
            time.sleep(min(timeout, POLL))  # only a process's exit status can still change
            return False
        return self.loop.pump(timeout)

    def _watch_members(self) -> None:
        """The loop watches each member for what it wants now: the room's few members may each
        have changed since the last look (bytes queued, a program ended, a client accepted)."""
        for member in self.members.values():
            self.loop.watch(member)

    def wait_until(self, condition: Callable[[], bool], timeout: float, poll: float | None = None) -> bool:
        """Read until condition() holds (True) or timeout seconds pass (False).

        poll: also look again this often, for conditions that no output announces."""
        return wait_while_pumping(condition, self.pump, timeout, poll)

    def is_quiet(self, unread_too: bool = True) -> bool:
        """Nothing more can appear unless someone acts: every program waits for input, no
        terminal has output unread, nothing is on its way on the room's connections (on a busy
        machine a packet may wait a while for the kernel to deliver it), and no byte waits
        unread on them.

        unread_too=False leaves out the last: a program that has waited a while with bytes
        (or a connection to accept) unread is not watching them, and that is a verdict."""
        # A program is looked at until it has ended, not only until its terminal has: one that
        # has closed it may still be on its way out, preempted on a busy machine, its exit
        # status not yet known (or it runs on without a terminal).
        terminals = [m for m in self.members.values() if isinstance(m, Terminal) and not m.has_exited()]
        for terminal in terminals:
            terminal.deliver_typed()
        # Idle first, then nothing to read: what a program printed or sent before it went to
        # sleep is readable by then (polling a pty's end flushes what is on its way to it).
        if not all(is_idle(t.pid, t.deadline_is_work) for t in terminals):
            return False
        self._watch_members()
        if self.loop.anything_to_read():
            return False
        look = Port(self.port) if self.port else None  # where the room's connections all are
        if look is not None and look.in_flight():  # the kernel has yet to wake whoever they are for
            return False
        if not unread_too:
            return True
        # (The programs' connections with each other need no look: a program with bytes to read
        # on a socket it watches is woken as they arrive, and is_idle sees it running.)
        wires = [m for m in self.members.values() if isinstance(m, Wire) and m.reads and not m.eof]
        return look is None or all(look.unread(wire.address, wire.peer) == 0 for wire in wires if wire.peer[1])

    def spinning(self, progress: Callable[[], int] | None = None) -> "SpinWatch":
        return SpinWatch(self, progress)

    def press_ctrl_c(self, terminal: Terminal, patience: float = 1.0) -> None:
        """Ctrl-C once the program waits for input, as a person would press it (a SIGINT that
        lands a moment before select() is entered is lost); a program that never waits (a busy
        loop) gets it after `patience` seconds all the same. See Terminal.interrupt."""
        self.wait_until(lambda: terminal.eof or is_waiting(terminal.pid), patience, poll=POLL / 4)
        terminal.interrupt()

    def wait_until_read(self, wire: Wire, timeout: float) -> bool:
        """Wait until the program at the other end has read everything the wire sent: the
        kernel there has acknowledged every byte, and none of them waits unread. The kernel's
        table is looked at on its own schedule, not at every byte some terminal prints."""
        next_look, interval = 0.0, POLL

        def all_read() -> bool:
            nonlocal next_look, interval
            if time.monotonic() < next_look:
                return False
            next_look, interval = time.monotonic() + interval, min(interval * 1.5, MAX_POLL)
            ours, theirs = lookup(wire.address, wire.peer), lookup(wire.peer, wire.address)
            return (ours is None or ours.sent == 0) and (theirs is None or theirs.received == 0)

        return self.wait_until(all_read, timeout, poll=POLL)

    # --- the way out --------------------------------------------------------------------

    def close(self) -> None:
        """End every process the room started, by PID, and close every socket. Idempotent."""
        errors: list[BaseException] = []
        for member in self.members.values():
            try:
                if isinstance(member, Terminal):
                    member.kill()
                else:
                    member.close()
            except BaseException as error:  # even Ctrl-C: end the others first, then raise
                errors.append(error)
        self.loop.close()
        if self.workdir is not None:  # once nothing runs that could write to it
            self.workdir.remove()
        if errors:
            raise errors[0]


class Lasting:
    """Whether something has held at every look, `seconds` in a row (a room quiet, a server
    idle with bytes unread): told each look whether it holds now."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.since: float | None = None

    def __call__(self, holds: bool) -> bool:
        if not holds:
            self.since = None
            return False
        now = time.monotonic()
        self.since = self.since or now
        return now - self.since >= self.seconds


class SpinWatch:
    """Which program, if any, has run flat out without the room seeing a byte: nothing
    printed, nothing received, for SPIN_VERDICT seconds. Such a room never falls quiet, and
    waiting out the timeout would tell the student nothing more. A program that reads or
    writes files meanwhile (Python reading its modules as it starts, a program filling its
    folder, which its limits stop) is doing something, and is watched afresh."""

    def __init__(self, room: Room, progress: Callable[[], int] | None = None) -> None:
        """progress: a count that grows with what the room sees (by default its timeline's
        events; a crowd's users, which are not members, add the bytes they received)."""
        self.room = room
        self.progress = progress or (lambda: len(room.timeline.events))
        self.events = self.progress()
        self.watched: dict[str, tuple[float, float, int, int]] = {}  # since, CPU, switches, file I/O

    def _terminals(self) -> list[tuple[str, Terminal]]:
        return [(n, m) for n, m in self.room.members.items() if isinstance(m, Terminal) and not m.eof]

    def culprit(self) -> str | None:
        """The member whose program spins; None while the room changes or nobody spins."""
        if self.progress() != self.events:
            self.events = self.progress()
            self.watched.clear()
        now = time.monotonic()
        for name, terminal in self._terminals():
            io = file_io_bytes(terminal.pid)
            since, cpu, switches, last_io = self.watched.get(name, (now, 0.0, 0, -1))
            if io != last_io or is_writing_files(terminal.pid):  # first seen, or busy with files: afresh
                self.watched[name] = (now, cpu_seconds(terminal.pid), voluntary_switches(terminal.pid), io)
                continue
            elapsed = now - since
            if elapsed < SPIN_VERDICT:
                continue
            used = cpu_seconds(terminal.pid) - cpu
            # On a busy machine a loop gets less than its share, but it never waits.
            if used >= SPIN_SHARE * SPIN_VERDICT and (
                used >= SPIN_SHARE * elapsed or voluntary_switches(terminal.pid) == switches
            ):
                return name
        return None
