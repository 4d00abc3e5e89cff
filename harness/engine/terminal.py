"""One program running in a pseudo-terminal, as a person would run it, read into a Screen.

It is started by harness/system/spawn.py: no Python runs between fork and exec."""

import contextlib
import errno
import fcntl
import os
import select
import signal
import termios
import time
from pathlib import Path

import pexpect
from pexpect import fdpexpect

from harness.engine.loop import READ
from harness.engine.screen import Screen
from harness.model.timeline import Timeline
from harness.system import spawn
from harness.system.containment import Box
from harness.system.procs import kill_session, pinned_env, sigint_held, started_sessions

CTRL_C = b"\x03"
CTRL_D = b"\x04"
ENTER = b"\r"
# A new descriptor of the program's end of the pty, opened through the harness's end (Linux
# 4.13; the same number on x86-64 and arm64).
TIOCGPTPEER = 0x5441


class Terminal:
    def __init__(
        self,
        name: str,
        argv: list[str],
        timeline: Timeline,
        rows: int,
        cols: int,
        box: Box | None = None,
        cwd: Path | None = None,
        taken: int = 0,
        deadline_is_work: bool = False,
    ) -> None:
        """box: the limits the program runs in (harness/system/containment.py), or None: none.
        taken: the program starts with descriptors 0 to taken-1 open (/dev/null from 3 on).
        deadline_is_work: the program waits with a time limit only when it will act as the
        limit ends (the kit's partners do); see procs.is_idle."""
        self.name = name
        self.box = box
        self.stopped = False  # by the harness, for printing too much
        self.timeline = timeline
        self.screen = Screen(rows, cols)
        self.eof = False
        self.exit_status: int | None = None
        self.signal_status: int | None = None
        self.ended_by_harness = False
        self.deadline_is_work = deadline_is_work
        self.closed = False  # the harness's end of the pty
        self._typed = False  # keys typed that may not have reached the program yet
        command, env = spawn.command(argv, box, cwd, taken), pinned_env() | (box.env() if box else {})
        try:
            with sigint_held():  # a Ctrl-C pressed meanwhile lands once the program is known here
                self.fd, program_end = spawn.open_pty(rows, cols)
                try:
                    self._process = spawn.start(command, env, cwd, program_end)
                finally:
                    os.close(program_end)  # the program's alone now: it closes as the program ends
                started_sessions.append(self._process.pid)
                self.pid = self._process.pid
            # pexpect reads and writes the harness's end of the pty (the program is started
            # without it: its spawn runs Python in the child between fork and exec).
            self._io = fdpexpect.fdspawn(self.fd, use_poll=True)
            self._io.delaybeforesend = None
            timeline.record(name, "action", " ".join(argv).encode())
        except BaseException:  # Ctrl-C, before the room knows this terminal: end its program here
            if hasattr(self, "pid"):
                self.kill()
            elif hasattr(self, "fd"):
                os.close(self.fd)
            raise

    def fileno(self) -> int:
        return self.fd

    def wants(self) -> int:  # in the room's loop (harness/engine/loop.py): what it printed, until its end
        return 0 if self.eof else READ

    def serve(self, events: int, buffer: memoryview) -> None:
        self.read_available()

    def read_available(self) -> None:
        """Take what the program printed; call only when select() says there is some."""
        try:
            data = self._io.read_nonblocking(65536, timeout=0)
        except pexpect.TIMEOUT:  # nothing after all
            return
        except pexpect.EOF:  # Linux reports a closed pty as EIO, which pexpect says so
            data = b""
        except OSError as error:
            if error.errno != errno.EBADF:
                raise
            data = b""
        if not data:
            self.eof = True
            return
        self.timeline.record(self.name, "printed", data)
        self.screen.feed(data)
        if self.box is not None and self.box.took(data):  # it may print only so much
            self.stopped = True
            self.kill()

    def lines(self) -> list[str]:
        return self.screen.lines()

    def type(self, data: bytes) -> None:
        self.timeline.record(self.name, "typed", data)
        self._typed = True
        self._io.send(data)

    def deliver_typed(self) -> None:
        """Hand what was typed to the program now. The kernel moves keys from the harness's end
        of a pty to the program's with deferred work, which a busy machine may run late; until
        then the program sleeps as if nothing had been typed, and no /proc file shows the keys.
        Polling the program's end runs that work at once (n_tty_poll flushes the pty's buffer),
        so a program that watches its keyboard is awake before anyone looks at it."""
        if not self._typed or self.eof:
            return
        try:
            end = fcntl.ioctl(self.fd, TIOCGPTPEER, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:  # closed, or a kernel before 4.13: the quiet verdict's patience covers it
            return
        try:
            poller = select.poll()
            poller.register(end, select.POLLIN)
            poller.poll(0)
        finally:
            os.close(end)
        self._typed = False

    def interrupt(self) -> None:
        """Ctrl-C as the terminal gives it: ^C echoed, and SIGINT to the foreground process group.

        The terminal itself signals first and echoes a moment later, so a quick program can
        print its answer above the ^C. Here the echo is written first, through the terminal
        (as the line discipline writes it), and then the same signal the terminal sends is
        sent, to the same process group: the kernel hands it to a thread that is not stopped
        and not blocking it, the main thread first, as it does for a real Ctrl-C. (Stopping
        the program until the echo showed, as the harness once did, let any thread take the
        signal when it resumed: a threaded program's main thread then never saw it.)
        A program that turned off ISIG gets the key itself, as it asked."""
        self.timeline.record(self.name, "typed", CTRL_C)
        try:
            local_modes = termios.tcgetattr(self.fd)[3]
            group = os.tcgetpgrp(self.fd)
        except OSError:  # its terminal has closed: nothing to interrupt
            return
        if group <= 0 or group == os.getpgrp():  # 0: no one is in the foreground (killpg(0) would hit us)
            return
        if not local_modes & termios.ISIG:
            self._typed = True
            os.write(self.fd, CTRL_C)
            return
        if local_modes & termios.ECHO and local_modes & termios.ECHOCTL:
            terminal = fcntl.ioctl(self.fd, TIOCGPTPEER, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                os.write(terminal, b"^C")
            except BlockingIOError:  # its output is full: let the terminal echo it, as ever
                self._typed = True
                os.write(self.fd, CTRL_C)
                return
            finally:
                os.close(terminal)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGINT)

    def has_exited(self) -> bool:
        """True once the process has ended and been reaped (its status is then known)."""
        if self.exit_status is None and self.signal_status is None:
            if self._process.poll() is None:
                return False
            self._record_status(self._process.returncode)
        return True

    def settled_exit(self, grace: float = 0.5) -> bool:
        """has_exited(), giving a program whose terminal has closed a moment to be reaped."""
        deadline = time.monotonic() + (grace if self.eof else 0)
        while not self.has_exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def kill(self) -> None:
        """End the program and everything it started, at once, and wait for it."""
        self.ended_by_harness = not self.settled_exit()
        if self.box is not None and self.box.cgroup is not None:  # it holds all: no need to look for them
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        else:
            kill_session(self.pid)
        if self.box is not None:
            self.box.end(self.pid)
        if not self.has_exited():
            self._record_status(self._process.wait())
        if self.box is not None:
            if not self.eof:
                self.box.drain(self.fd)  # its last words, unread yet, may say which limit it broke
            self.box.release()
            self.box.report(self.signal_status)
        if not self.closed:
            os.close(self.fd)
            self.closed = True
        self.eof = True

    def _record_status(self, returncode: int) -> None:
        """Popen's: the exit status, or minus the signal that ended it."""
        if returncode < 0:
            self.signal_status = -returncode
        else:
            self.exit_status = returncode
