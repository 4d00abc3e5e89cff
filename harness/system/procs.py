"""Starting programs the way a person's shell would, and ending every one of them by PID."""

import atexit
import contextlib
import functools
import multiprocessing
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path


class SharedCounter:
    """A counter the grader's worker processes share (they are forked from the process that
    made it, grading.py): two checks side by side never take the same number."""

    def __init__(self, start: int = 0) -> None:
        self._value = multiprocessing.Value("q", start)

    def take(self) -> int:
        with self._value.get_lock():
            number = self._value.value
            self._value.value += 1
        return number


def python_command(program: Path, *args: str, python: Path | None = None) -> list[str]:
    """Run with the interpreter running the harness (the `python3` on PATH may be a slow
    shim), in an environment holding the standard library only (bare_python)."""
    return [str(python or bare_python()), str(program), *args]


def bare_python(base: Path | None = None) -> Path:
    """A Python (the harness's, or base) in a virtual environment of its own with nothing
    installed, as a student's bare `python3` is: the kit's environment would cost every program
    it starts 25 ms in `site` (the editable install's import hook), and offer packages the
    kit's rules do not allow. Two files in a temporary folder, made once per process and
    interpreter, removed at exit."""
    return _bare_python(base or Path(getattr(sys, "_base_executable", "") or sys.executable))


@functools.cache
def _bare_python(base: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="chat-python-"))
    maker = os.getpid()  # a forked worker that exits leaves it to the process that made it

    def remove() -> None:
        if os.getpid() == maker:
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    folder.chmod(0o755)  # a program run as another user needs it too
    (folder / "pyvenv.cfg").write_text(f"home = {base.parent}\ninclude-system-site-packages = false\n")
    (folder / "bin").mkdir(mode=0o755)
    python = folder / "bin" / "python3"
    python.symlink_to(base)
    return python


def pinned_env() -> dict[str, str]:
    """The same environment on every machine: inherited PYTHON* variables change buffering.
    It carries the harness's mark (MARK), so that leftovers() finds what any of its worker
    processes started."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm",
        "PYTHONDONTWRITEBYTECODE": "1",  # leave no __pycache__ in the folders we grade
        MARK: mark(0),
    }


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold back Ctrl-C while a child is started and recorded, so none goes unrecorded; a
    Ctrl-C pressed meanwhile is delivered on the way out.

    Meanwhile SIGINT is caught (by a handler that notes it) and not blocked, which is how the
    child must start, as a person's terminal gives it: exec resets a caught signal to its
    default, and keeps an ignored one ignored (a background shell job ignores SIGINT, and its
    children would) and a blocked one blocked. Signal handlers belong to the main thread: in
    another, only the mask is seen to."""
    if threading.current_thread() is not threading.main_thread():
        mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: pressed.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if pressed:
            signal.raise_signal(signal.SIGINT)


# Every program the harness started runs in a session of its own whose ID is its PID.
started_sessions: list[int] = []


# Every program's environment carries MARK=<harness PID>-<worker PID>-<n>, and so does that
# of every process it starts, even one that leaves its session (see harness/system/containment.py);
# n is 0 for a program not contained. The harness's PID is the one of the process that
# imported this module: its worker processes (grading.grade) are forked from it.
MARK = "CHAT_HARNESS_BOX"
HARNESS_PID = os.getpid()


def mark(n: int) -> str:
    return f"{HARNESS_PID}-{os.getpid()}-{n}"


def leftovers() -> list[int]:
    """Processes still alive in any session the harness started, or marked as started by
    it or its workers: there should be none."""
    ours = set(started_sessions)
    in_sessions = [pid for pid, session in live_processes() if session in ours]
    return sorted({*in_sessions, *marked(f"{MARK}={HARNESS_PID}-")})


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


# The system calls in which a program waits for input or time (a signal interrupts them at
# once, and Python then raises KeyboardInterrupt); those in which one thread of a threaded
# server waits on its peer (a thread blocked sending to a user who does not read waits too);
# and those in which it waits for time only: it will act when it wakes, so it is not idle.
WAITING = {"read", "poll", "select", "accept", "nanosleep", "futex", "epoll_wait", "pselect6", "ppoll",
           "epoll_pwait", "accept4", "clock_nanosleep", "epoll_pwait2"}  # fmt: skip
PEER = {"recvfrom", "recvmsg", "sendto", "sendmsg"}
SLEEP = {"nanosleep", "clock_nanosleep"}
# The system calls that write files: one may take a while in the kernel (16 MiB into a folder
# near its size limit), and its bytes count in /proc/PID/io only once it returns.
WRITING = {"write", "writev", "pwrite64", "openat", "fsync", "fdatasync", "ftruncate", "fallocate"}
# Their numbers, which differ between processors (arm64 uses the generic table, and has no
# poll, select or epoll_wait of its own: its C library calls ppoll, pselect6, epoll_pwait).
SYSCALL_NUMBERS = {
    "x86_64": {
        "read": 0, "poll": 7, "select": 23, "nanosleep": 35, "accept": 43, "sendto": 44, "recvfrom": 45,
        "sendmsg": 46, "recvmsg": 47, "futex": 202, "clock_nanosleep": 230, "epoll_wait": 232,
        "pselect6": 270, "ppoll": 271, "epoll_pwait": 281, "accept4": 288, "epoll_pwait2": 441,
        "write": 1, "pwrite64": 18, "writev": 20, "fsync": 74, "fdatasync": 75, "ftruncate": 77,
        "openat": 257, "fallocate": 285,
    },
    "aarch64": {
        "epoll_pwait": 22, "read": 63, "pselect6": 72, "ppoll": 73, "futex": 98, "nanosleep": 101,
        "clock_nanosleep": 115, "accept": 202, "sendto": 206, "recvfrom": 207, "sendmsg": 211,
        "recvmsg": 212, "accept4": 242, "epoll_pwait2": 441,
        "ftruncate": 46, "fallocate": 47, "openat": 56, "write": 64, "writev": 66, "pwrite64": 68,
        "fsync": 82, "fdatasync": 83,
    },
}  # fmt: skip
SYSCALL_NUMBERS["arm64"] = SYSCALL_NUMBERS["aarch64"]


def _table() -> dict[str, int]:
    """This machine's processor's numbers; none (and one warning) on a processor without a
    table: then no program ever looks idle, and each step waits out its patience instead of
    the room's quiet (slower, still right)."""
    table = SYSCALL_NUMBERS.get(platform.machine())
    if table is None:
        _warn_once(
            f"this processor ({platform.machine()}) has no table of system calls here: the grader cannot "
            "see a program wait, so every step waits out its patience (slower; harness/system/procs.py)"
        )
    return table or {}


@functools.cache
def _numbers(names: frozenset[str]) -> set[int]:
    """The numbers of these calls on this machine's processor."""
    return {_table()[name] for name in names if name in _table()}


@functools.cache
def _warn_once(text: str) -> None:
    print(f"harness: warning: {text}", file=sys.stderr)


def is_waiting(pid: int) -> bool:
    """Whether the program sits in a system call that waits for input, as it is when a person
    presses Ctrl-C. A SIGINT that lands a moment before select() is entered is taken by
    Python's handler but does not wake select(): the program would miss it."""
    return _sleeps_in(Path(f"/proc/{pid}"), _numbers(frozenset(WAITING)))


def is_idle(pid: int, deadline_is_work: bool = False) -> bool:
    """Whether every thread of the program waits, for input or a peer: nothing more happens
    until something arrives. (is_waiting looks at the main thread only.)

    deadline_is_work: a wait with a time limit counts as work to come, for a program known
    to set one only when it will act as it ends (the kit's partners, holding a cut line)."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True  # gone
    calls = _numbers(frozenset((WAITING | PEER) - SLEEP))
    limits = _limit_arguments() if deadline_is_work else {}
    return all(_sleeps_in(f"/proc/{pid}/task/{thread}", calls, limits) for thread in threads)


def is_writing_files(pid: int) -> bool:
    """Whether the program's main thread is inside a call that writes files, and not on a
    processor this moment ("running" says nothing of where it is): busy with files, not
    spinning. Seen only now and then, and most often on a busy machine, where it matters."""
    fields = _syscall(f"/proc/{pid}")
    return bool(fields) and fields[0].isdigit() and int(fields[0]) in _numbers(frozenset(WRITING))


# The waiting calls whose time limit is a pointer (NULL: no limit), and which argument it is.
LIMIT_ARGUMENT = {"select": 4, "pselect6": 4, "ppoll": 2}


@functools.cache
def _limit_arguments() -> dict[int, int]:
    return {_table()[name]: index for name, index in LIMIT_ARGUMENT.items() if name in _table()}


def _sleeps_in(task: Path | str, calls: set[int], limits: dict[int, int] | None = None) -> bool:
    """Whether the process or thread whose /proc folder this is sleeps in one of these calls
    (and, for those in `limits`, with no time limit); True when it cannot be read (it has
    ended, or is not ours): nothing to wait for. (Read with os.read: this is asked hundreds of
    times a second.)"""
    try:
        stat = _read(f"{task}/stat")
        if stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] != b"S":
            return False
    except (OSError, ValueError):
        return True
    fields = _syscall(task)
    if not fields:
        return True
    call = fields[0]
    if not call.isdigit() or int(call) not in calls:
        return False
    limit = (limits or {}).get(int(call))
    return limit is None or int(fields[1 + limit], 16) == 0


def _syscall(task: Path | str) -> list[bytes]:
    """/proc/.../syscall's fields: the call's number and arguments, or "running" (on a processor
    this moment); none once it cannot be read."""
    try:
        return _read(f"{task}/syscall").split()
    except OSError:
        return []


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time the process (all its threads) has used so far; 0.0 once it cannot be read."""
    try:
        stat = _read(f"/proc/{pid}/stat")
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def voluntary_switches(pid: int) -> int:
    """How many times the program's main thread has given up the CPU to wait (for input, a
    peer, time): a loop that never waits never adds one, however busy the machine. -1 once
    it cannot be read."""
    try:
        status = _read(f"/proc/{pid}/status")
    except OSError:
        return -1
    _, found, rest = status.partition(b"\nvoluntary_ctxt_switches:")
    return int(rest.split(None, 1)[0]) if found else -1


def file_io_bytes(pid: int) -> int:
    """Bytes the program has read and written through read() and write() so far (its
    modules as it starts, its files; sockets and terminals too); -1 once it cannot be read."""
    try:
        io = _read(f"/proc/{pid}/io").split()
    except OSError:
        return -1
    return int(io[1]) + int(io[3])  # rchar, wchar


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
