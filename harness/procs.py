"""Starting programs the way a person's shell would, and ending every one of them by PID."""

import contextlib
import os
import signal
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path


def python_command(program: Path, *args: str) -> list[str]:
    """Run with the interpreter running the harness: the `python3` on PATH may be a slow shim."""
    return [sys.executable, str(program), *args]


def pinned_env() -> dict[str, str]:
    """The same environment on every machine: inherited PYTHON* variables change buffering."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm",
        "PYTHONDONTWRITEBYTECODE": "1",  # leave no __pycache__ in the folders we grade
    }


def default_sigint() -> None:
    """Run in the child before exec, on its terminal: a background shell job ignores SIGINT,
    and its children inherit that; a person's terminal delivers Ctrl-C. The parent blocks
    SIGINT while it starts a child (see `sigint_held`), and the mask is inherited too."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # Without NOFLSH the tty discards output not yet read when Ctrl-C arrives; on a busy
    # machine that can swallow what the program prints in answer ("exit"). Measured here.
    if os.isatty(0):  # a program started without a terminal (a benchmark's server) has none to set
        attributes = termios.tcgetattr(0)
        attributes[3] |= termios.NOFLSH
        termios.tcsetattr(0, termios.TCSANOW, attributes)


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold back Ctrl-C while a child is started and recorded, so none goes unrecorded;
    a Ctrl-C pressed meanwhile is delivered on the way out."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


# Every program the harness started runs in a session of its own whose ID is its PID.
started_sessions: list[int] = []


# A contained program's environment carries MARK=<harness PID>-<n>, and so does that of
# every process it starts, even one that leaves its session (see harness/containment.py).
MARK = "CHAT_HARNESS_BOX"


def leftovers() -> list[int]:
    """Processes still alive in any session the harness started, or marked as started by
    a program it contained: there should be none."""
    ours = set(started_sessions)
    in_sessions = [pid for pid, session in live_processes() if session in ours]
    return sorted({*in_sessions, *marked(f"{MARK}={os.getpid()}-")})


def marked(entry: str) -> list[int]:
    """PIDs of live processes whose environment has an entry starting with `entry`
    (end it with "\\0" for a whole entry). Other users' processes cannot be read: not ours."""
    needle = b"\0" + entry.encode()
    found = []
    for process in Path("/proc").iterdir():
        if process.name.isdigit():
            try:
                environment = (process / "environ").read_bytes()  # empty once it has ended
            except OSError:
                continue
            if needle in b"\0" + environment:
                found.append(int(process.name))
    return found


def session_members(session_id: int) -> list[int]:
    """PIDs of live processes in a session, including ones that left its process group."""
    return [pid for pid, session in live_processes() if session == session_id]


def live_processes() -> list[tuple[int, int]]:
    """(PID, session ID) of every process on the machine that has not ended."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            found.append((int(entry.name), int(fields[3])))
    return found


# x86-64 system calls in which a program waits for input or time: read, poll, select,
# accept, nanosleep, futex, epoll_wait, pselect6, ppoll, epoll_pwait, accept4, clock_nanosleep,
# epoll_pwait2. A signal interrupts them at once and Python then raises KeyboardInterrupt.
WAITING_SYSCALLS = {0, 7, 23, 35, 43, 202, 230, 232, 270, 271, 281, 288, 441}


def is_waiting(pid: int) -> bool:
    """Whether the program sits in a system call that waits for input, as it is when a person
    presses Ctrl-C. A SIGINT that lands a moment before select() is entered is taken by
    Python's handler but does not wake select(): the program would miss it."""
    return _sleeps_in(Path(f"/proc/{pid}"), WAITING_SYSCALLS)


# ... and those in which one thread of a threaded server waits on its peer: recvfrom, recvmsg,
# sendto, sendmsg (a thread blocked sending to a user who does not read is waiting too).
PEER_SYSCALLS = {44, 45, 46, 47}


# ... and those in which it waits for time only: it will act when it wakes, so it is not idle.
SLEEP_SYSCALLS = {35, 230}  # nanosleep, clock_nanosleep


def is_idle(pid: int) -> bool:
    """Whether every thread of the program waits, for input or a peer: nothing more happens
    until something arrives. (is_waiting looks at the main thread only.)"""
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return True  # gone
    return all(_sleeps_in(thread, (WAITING_SYSCALLS | PEER_SYSCALLS) - SLEEP_SYSCALLS) for thread in threads)


def _sleeps_in(task: Path, calls: set[int]) -> bool:
    """Whether the process or thread whose /proc folder this is sleeps in one of these calls;
    True when it cannot be read (it has ended, or is not ours): nothing to wait for."""
    try:
        stat = (task / "stat").read_text()
        if stat[stat.rindex(")") + 2] != "S":
            return False
        call = (task / "syscall").read_text().split()[0]
    except (OSError, IndexError):
        return True
    return call.isdigit() and int(call) in calls


def kill_session(leader: int, timeout: float = 5.0) -> None:
    """SIGKILL a program started in its own session, with every process it started, and
    return once they are gone: SIGKILL is delivered at once but takes effect a moment later."""
    deadline = time.monotonic() + timeout
    members = [leader, *session_members(leader)]
    while members and time.monotonic() < deadline:
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        members = [pid for pid in session_members(leader) if pid != leader]
        if members:
            time.sleep(0.001)
