"""Containment of the programs a check runs: limits, a folder of their own, and no escape.

A graded check runs inside `confined(limits)`; every room opened meanwhile (harness/engine/room.py)
runs its programs contained, the reference's as well as the student's (one code path: the
reference must pass within the same limits). Outside it, as in run_scenario.py, programs run
as they are. A contained check:

- runs copies of the programs (each program's folder's *.py files) from a fresh temporary
  folder, with its working directory there too, and removes the folder afterwards: relative
  and `__file__`-relative writes land in it, never in the submission or the grader. Only
  other users, namespaces or containers could stop writes by absolute path;
- gives each program resource limits (see `Limits`), which it takes on as it starts
  (`prlimit`, harness/system/spawn.py);
- caps the processes and threads a program may run at once: in a cgroup of its own with a
  `pids.max` when the pids controller is writable (here: cgroup v1, as root), joined as it
  starts, before the program runs (spawn.py); else with RLIMIT_NPROC when not root (it
  counts all of the user's tasks, so the cap is the count at start plus the allowance). As
  root without a writable cgroup nothing caps them; the end of the check still finds and
  kills them all, and more than a few found then fails the check;
- marks each program's environment (procs.MARK), so that everything it started is found
  and killed at the end, even what left its session (setsid) or lost its parent; a cgroup,
  when there is one, lists them all without that;
- turns a broken limit into the failed check's cause, named (`Breach`): from the signal that
  ended the program (SIGXCPU, SIGXFSZ), the cgroup's refusals, the processes found at the
  end, or the traceback it printed last (MemoryError, EFBIG, a refused fork() or thread).
"""

import contextlib
import itertools
import os
import resource
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from harness.system import sandbox
from harness.system.procs import MARK, mark, marked

MIB = 1 << 20
WORKDIR_PREFIX = "chat-check-"  # the temporary folder of a check; reports may strip it
CGROUP_PREFIX = "chat-harness-"


@dataclass(frozen=True)
class Limits:
    """What one program of a check may use. Each must be far above what a correct program
    needs in the heaviest check: 200 users each with up to 1 MiB waiting in the server's
    outbox, served by a thread (or two) each in a threaded server."""

    # RLIMIT_CPU, a backstop for what escapes everything else: tests/variants/threads-server
    # used 38-53 s of CPU in full-room (1100 users, 2200 threads fighting for the GIL) on a
    # busy machine, and more than 120 s on another (2026-12-02: 85 s of wall time alone).
    # full-room now starts its server with 960 descriptors open and needs 100 users (0.7 s);
    # the backstop stays: a busy loop in a check ends at the check's timeouts long before.
    cpu_seconds: int = 300
    # RLIMIT_DATA counts the heap, anonymous maps and every thread's whole stack, which glibc
    # sizes by RLIMIT_STACK: at 8 MiB, a server with two threads a connection (tests/variants/
    # threads-server) measured 3.3 GB for 200 users and 16.6 GB for 1100; at 1 MiB, 2.1 GB.
    memory_bytes: int = 4096 * MIB
    stack_bytes: int = 1 * MIB  # also the main thread's: Python's default recursion limit needs < 512 KiB
    open_files: int = 4096  # RLIMIT_NOFILE: full-room's 960 descriptors, its 100 users, and room to spare
    file_bytes: int = 64 * MIB  # RLIMIT_FSIZE: the largest file a program may write
    tasks: int = 4096  # processes and threads at once (pids.max or RLIMIT_NPROC): 2200 threads fit
    processes: int = 32  # more processes than this still running at the end is a fork loop
    output_bytes: int = 32 * MIB  # printed on its terminal; slow-reader's server prints 9 MB


LIMITS = Limits()


@dataclass(frozen=True)
class Breach:
    member: str  # the terminal's name in the scenario
    text: str  # "srv.py printed more than 32 MiB and was stopped"


@dataclass
class Confinement:
    """One check's limits, the user its programs run as (sandbox.py; None: the grader's own),
    and the limits its programs broke."""

    limits: Limits
    breaches: list[Breach] = field(default_factory=list)
    uid: int | None = field(default_factory=sandbox.next_user)


_current: ContextVar[Confinement | None] = ContextVar("confinement", default=None)


@contextlib.contextmanager
def confined(limits: Limits | None) -> Iterator[Confinement | None]:
    """Rooms opened inside (in this thread) contain their programs; None: they do not."""
    confinement = None if limits is None else Confinement(limits)
    token = _current.set(confinement)
    try:
        yield confinement
    finally:
        _current.reset(token)


def current() -> Confinement | None:
    return _current.get()


def size(count: int) -> str:
    return f"{count / (1 << 30):g} GiB" if count >= 1 << 30 else f"{count / MIB:g} MiB"


class Workdir:
    """A check's temporary folder: copies of the programs, and an empty working directory;
    the check's user's alone, where there is one, with the root its programs run in
    (sandbox.py)."""

    def __init__(self, uid: int | None = None) -> None:
        self.uid = uid
        self.path = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        self.jail: Path | None = None
        self._copies: dict[Path, Path] = {}
        try:
            sandbox.own_folder(self.path, uid)
            self.cwd = self.path / "cwd"
            self.cwd.mkdir()
            sandbox.hand_over(self.cwd, uid)
            if uid is not None:
                self.jail = sandbox.jail(self.path)
        except BaseException:
            self.remove()
            raise

    def place(self, program: Path) -> Path:
        """The program's copy, beside copies of the Python files of its folder; the copy's
        folder has the original's name, so a traceback names it as the student knows it."""
        folder = program.resolve().parent
        if folder not in self._copies:
            copy = self.path / folder.name
            while copy.exists():
                copy = copy.with_name(copy.name + "-")
            copy.mkdir()
            sandbox.hand_over(copy, self.uid)
            for source in folder.glob("*.py"):
                if source.is_file():
                    shutil.copyfile(source, copy / source.name)
                    sandbox.hand_over(copy / source.name, self.uid)
            self._copies[folder] = copy
        placed = self._copies[folder] / program.name
        if not placed.exists() and program.is_file():
            shutil.copyfile(program, placed)
            sandbox.hand_over(placed, self.uid)
        return placed

    def remove(self) -> None:
        def writable_again(function, path, _error) -> None:  # a program may chmod what it made
            with contextlib.suppress(OSError):
                os.chmod(Path(path).parent, 0o700)
                os.chmod(path, 0o700)
                function(path)

        if self.jail is not None:
            sandbox.release_jail(self.jail)
        sandbox.release_folder(self.path)
        if self.path.exists():
            shutil.rmtree(self.path, onerror=writable_again)


_boxes = itertools.count(1)


class Box:
    """One contained program, with everything it starts: its limits, and how to end it all."""

    def __init__(self, confinement: Confinement, member: str, label: str, jail: Path | None = None) -> None:
        """jail: the root of the check's programs (Workdir.jail), where they run as its user."""
        self.confinement, self.limits = confinement, confinement.limits
        self.member, self.label = member, label  # "server", "srv.py"
        self.mark = mark(next(_boxes))
        self.cgroup = _pids_cgroup(self.mark, self.limits.tasks)
        self.uid = confinement.uid  # the check's user (sandbox.py), or None: the grader's
        self.jail = jail
        if self.uid is not None:  # a user of its own: RLIMIT_NPROC counts the check's tasks only,
            # and backs up the cgroup (which caps first, and says so) or stands in for it
            self.nproc: int | None = self.limits.tasks + (16 if self.cgroup else 0)
        else:
            self.nproc = None if self.cgroup or os.geteuid() == 0 else _tasks_of(os.getuid()) + self.limits.tasks
        self.printed = 0
        self.tail = b""  # the end of what it printed: a traceback says why it ended
        self.overflowed = False
        self.task_limit_hit = False
        self.left_running = 0  # processes besides the program found running at the end
        self.reported = False

    def env(self) -> dict[str, str]:
        return {MARK: self.mark}

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """Its resource limits, (soft, hard) by prlimit's names for them."""
        limits = self.limits
        bounds = {
            "cpu": _bounds(resource.RLIMIT_CPU, limits.cpu_seconds, slack=1),  # SIGXCPU, then SIGKILL a second later
            "data": _bounds(resource.RLIMIT_DATA, limits.memory_bytes),
            "stack": _bounds(resource.RLIMIT_STACK, limits.stack_bytes),
            "nofile": _bounds(resource.RLIMIT_NOFILE, limits.open_files),
            "fsize": _bounds(resource.RLIMIT_FSIZE, limits.file_bytes),
            "core": _bounds(resource.RLIMIT_CORE, 0),
        }
        if self.nproc is not None:
            bounds["nproc"] = _bounds(resource.RLIMIT_NPROC, self.nproc)
        return bounds

    def took(self, data: bytes) -> bool:
        """Count what the program printed; True once that is more than it may print."""
        self.printed += len(data)
        self.tail = (self.tail + data)[-4096:]
        self.overflowed = self.overflowed or self.printed > self.limits.output_bytes
        return self.overflowed

    def drain(self, fd: int, most: int = 1 << 20) -> None:
        """Take what is left unread on its ended terminal, for `tail` (not for the screen)."""
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while most > 0 and poller.poll(0):
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            most -= len(data)
            self.took(data)

    def members(self) -> set[int]:
        """Its live processes (a zombie is dead, only not yet reaped, perhaps never)."""
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                return {int(pid) for pid in (self.cgroup / "cgroup.procs").read_text().split() if _alive(int(pid))}
        return set(marked(f"{MARK}={self.mark}\0"))  # a zombie's environment reads empty

    def end(self, leader: int, timeout: float = 5.0) -> None:
        """SIGKILL every process the program started, wherever it went, until none is left.
        (The program itself is ended, and reaped, by its terminal.)"""
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        while (alive := self.members() - {leader}) and time.monotonic() < deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            seen |= alive
            time.sleep(0.001)
        self.left_running = max(self.left_running, len(seen))

    def release(self) -> None:
        """Once the program is reaped: note whether the cgroup refused a task, remove it."""
        if self.cgroup is None or not self.cgroup.exists():
            return
        with contextlib.suppress(OSError):
            events = dict(line.split() for line in (self.cgroup / "pids.events").read_text().splitlines())
            self.task_limit_hit = self.task_limit_hit or int(events.get("max", 0)) > 0
        for _ in range(1000):  # tasks leave the cgroup a moment after they are reaped
            try:
                self.cgroup.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.001)

    def report(self, signal_status: int | None) -> None:
        """Once the program has ended: name the limit it broke, if it broke one, for the check."""
        if self.reported:
            return
        self.reported = True
        why = self.breach(signal_status)
        if why:
            self.confinement.breaches.append(Breach(self.member, f"{self.label} {why}"))

    def breach(self, signal_status: int | None) -> str | None:
        """The limit it broke, said after its name; None if it broke none."""
        limits = self.limits
        tasks = f"{limits.tasks} processes and threads"
        if self.overflowed:
            return f"printed more than {size(limits.output_bytes)} and was stopped"
        if self.task_limit_hit:
            return f"tried to run more than {tasks} at once (a fork loop?)"
        if self.left_running > limits.processes:
            return f"was still running {self.left_running} other processes at the end (a fork loop?)"
        if signal_status == signal.SIGXCPU:
            return f"used more than {limits.cpu_seconds} s of CPU time and was stopped (SIGXCPU)"
        if signal_status == signal.SIGXFSZ:
            return f"wrote a file larger than the limit, {size(limits.file_bytes)}, and was stopped (SIGXFSZ)"
        # An uncaught exception: the last thing printed is a traceback's last line, which names
        # it (the program may still be exiting, or go on without the thread that raised it).
        last = self.tail.rstrip().splitlines()[-1] if self.tail.strip() else b""
        if b"Traceback (most recent call last)" not in self.tail:
            return None
        if last.startswith(b"MemoryError"):
            return f"ran out of memory (MemoryError: the limit is {size(limits.memory_bytes)})"
        if last.endswith(b"[Errno 27] File too large"):
            return f"tried to write a file larger than the limit, {size(limits.file_bytes)}"
        if last.endswith(b"[Errno 28] No space left on device"):
            return f"filled its folder: a check's files may take {size(sandbox.WORKDIR_BYTES)} in all"
        if last.startswith(b"BlockingIOError: [Errno 11]") and b"fork()" in self.tail:
            return f"could not start another process: it hit the limit of {tasks} (a fork loop?)"
        if last == b"RuntimeError: can't start new thread":
            return f"could not start another thread (the limits: {tasks}, {size(limits.memory_bytes)} of memory)"
        return None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _bounds(kind: int, value: int, slack: int = 0) -> tuple[int, int]:
    """Soft limit value, hard value + slack; never above a hard limit we may not raise (the
    program inherits ours)."""
    hard = resource.getrlimit(kind)[1]
    if os.geteuid() != 0 and hard != resource.RLIM_INFINITY:
        value, slack = min(value, hard), max(0, min(slack, hard - value))
    return value, value + slack


def _tasks_of(uid: int) -> int:
    """Processes and threads the user runs now: RLIMIT_NPROC counts them all."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


_NO_CGROUP = Path("/nonexistent")
_pids_parent: Path | None = None


def _pids_cgroup(name: str, tasks: int) -> Path | None:
    """A new cgroup of the pids controller, below ours, allowing `tasks` tasks; None when
    there is none we may create (not root, a read-only /sys/fs/cgroup, no pids controller)."""
    global _pids_parent
    if _pids_parent is None:
        _pids_parent = _find_pids_parent() or _NO_CGROUP
        if _pids_parent != _NO_CGROUP:
            _remove_stale(_pids_parent)
    if _pids_parent == _NO_CGROUP:
        return None
    group = _pids_parent / f"{CGROUP_PREFIX}{name}"
    try:
        group.mkdir()
    except OSError:
        return None
    try:
        (group / "pids.max").write_text(f"{tasks}\n")
    except OSError:
        group.rmdir()
        return None
    return group


def _find_pids_parent() -> Path | None:
    """Our cgroup in the hierarchy that has the pids controller (v1 pids, or v2 with pids on)."""
    mounts = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            fields = line.split()
            tail = fields[fields.index("-") + 1 :]
            if tail[0] == "cgroup2" or (tail[0] == "cgroup" and "pids" in tail[2].split(",")):
                mounts["v2" if tail[0] == "cgroup2" else "pids"] = (fields[3], Path(fields[4]))
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            kind = "v2" if controllers == "" else "pids" if "pids" in controllers.split(",") else None
            if kind is None or kind not in mounts:
                continue
            root, mount = mounts[kind]
            relative = os.path.relpath(path, root)
            if relative.startswith(".."):
                continue  # our cgroup is not under that mount's root
            inside = mount if relative == "." else mount / relative
            if kind == "v2":
                with contextlib.suppress(OSError):
                    if "pids" not in (inside / "cgroup.subtree_control").read_text().split():
                        continue
            if os.access(inside, os.W_OK):
                return inside
    return None


def _remove_stale(parent: Path) -> None:
    """Empty cgroups a grader that died left behind."""
    for group in parent.glob(f"{CGROUP_PREFIX}*"):
        owner = group.name.removeprefix(CGROUP_PREFIX).split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                group.rmdir()
