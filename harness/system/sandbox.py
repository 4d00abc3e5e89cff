"""Student programs without the grader's rights: a user of their own, a network of their own,
and none of the grader's files in sight. Used where the grader runs as root (Gradescope, an
instructor's `sudo ... --class`); elsewhere programs run as the grader's user, and grading
others' work says so (`warning()`).

- Each check's programs run as a user of their own: a numeric user ID from USERS (no account
  is needed), unique among the checks running at once, in this grader and in any other
  beside it. They cannot signal the grader or another check's programs, `kill(-1, ...)`
  reaches only their own check, and the check's folder is theirs alone (mode 700).
  RLIMIT_NPROC, counted per user, caps their processes.
- Each worker process of the grader (grading.py) has a network namespace of its own, with
  loopback only: nothing a program does reaches beyond the machine, or another worker's
  checks. It has a mount namespace of its own too (so has any other process that runs a
  sandboxed check, from its first), where its checks' folders are tmpfs mounts of a fixed
  size, so a program that writes in a loop fills its folder, not the disk.
- Each check's programs run chrooted into a root of their own (`jail`), mounted once per
  check in that mount namespace: the system's folders read-only (/usr, /etc, ...), /dev,
  /proc, and a /tmp of its own with the check's folder and its Python's only: the kit, the
  reference, hidden checks, results and everyone's homes and submissions are not there to
  be read or written. Mounts outside its root are out of a program's sight and reach.

The kernel's features are the point, so the grader asks them of it directly (libc through
ctypes: Python 3.11 has no os.unshare). Each program enters its root and becomes the
check's user as it starts, by `unshare --root --wd --setgid --setuid` (spawn.py), which
chroots and changes directory while still root, then drops the supplementary groups, the
group and the user, for good, before the program runs.
"""

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import os
import socket
import struct
import sys
import tempfile
from pathlib import Path

from harness.system import procs

# IDs no account on a normal system has: a block of PER_GRADER for each process ID there can be
PER_GRADER = 500
USERS = range(2_000_000, 2_000_000 + (1 << 22) * PER_GRADER)
WORKDIR_BYTES = 256 << 20  # a check's folder holds this much at most
SYSTEM_BINARIES = ("/usr/bin", "/usr/local/bin", "/bin")
SYSTEM = ("usr", "bin", "lib", "lib32", "lib64", "sbin", "etc")  # what a program's root holds, read-only
JAIL_PREFIX = "chat-jail-"  # the temporary folder where a check's programs' root is mounted
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x2, 0x4, 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2  # unmount even while something still holds it, and everything mounted below
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

# A grader's checks take their users from its own block, chosen by its process ID, which no
# other process running at the same time has: graders side by side (a test suite's workers,
# an instructor's two terminals) never share a user, whose kill(-1, ...) and RLIMIT_NPROC
# would reach across. Within the block, two checks, two users, whichever worker runs them.
_first_user = USERS.start + os.getpid() % (len(USERS) // PER_GRADER) * PER_GRADER
_next_user = procs.SharedCounter()
_own_namespaces: set[str] = set()  # the mount namespaces this process made: where its mounts go


class SandboxError(OSError):
    """A layer the kernel refused; the grader goes on without it, and says so."""


def active() -> bool:
    """Whether programs run without the grader's rights: only root can give them a user, and
    they need a Python they may run."""
    return os.geteuid() == 0 and _libc() is not None and python() is not None


def warning() -> str | None:
    """What grading others' work here lacks, in a line; None when nothing does."""
    if active():
        return None
    if os.geteuid() == 0:
        why = "no Python here that another user may run" if python() is None else "no libc to ask the kernel"
        return f"students' programs run as root ({why}): they could read and change anything"
    return (
        "students' programs run as you, with your rights: they could read your files and the hidden "
        "checks. Grade as root (as Gradescope does, or with sudo) for a user, a root and a network of "
        "their own (docs/instructors.md, 'What student code can reach')"
    )


@functools.cache
def python() -> Path | None:
    """The Python a check's user runs its programs with: the grader's, in a bare environment
    (procs.bare_python), when every folder on its way is open to other users; else the
    system's python3.X of the same version (the grader's may live in root's home, as pyenv's
    does); None if there is neither."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    own = Path(getattr(sys, "_base_executable", "") or sys.executable).resolve()
    for candidate in (own, *(Path(folder) / version for folder in SYSTEM_BINARIES)):
        if candidate.is_file() and _open_to_others(candidate.resolve()):
            return procs.bare_python(candidate.resolve())
    return None


def _open_to_others(path: Path) -> bool:
    """Whether a user with no rights of its own may run this file: every folder above it
    searchable, the file itself executable, by others."""
    try:
        return bool(path.stat().st_mode & 0o001) and all(folder.stat().st_mode & 0o001 for folder in path.parents)
    except OSError:
        return False


def next_user() -> int | None:
    """A user ID for one check's programs, or None where they run as the grader's user."""
    if not active():
        return None
    return _first_user + _next_user.take() % PER_GRADER


def enter_worker() -> None:
    """In a worker process of the grader, before its first check: a network namespace with
    loopback only, and a mount namespace for its checks' folders and roots."""
    if not active():
        return
    libc = _libc()
    assert libc is not None
    _call(libc.unshare, CLONE_NEWNET)
    _private_mounts(libc, anew=True)  # not the one of the process it was forked from
    _loopback_up()


def _private_mounts(libc: ctypes.CDLL, anew: bool = False) -> None:
    """A mount namespace of this process's own, whose mounts stay in it: the checks' folders
    and roots are mounted there, never in the machine's. Made once (anew: made again); in a
    process with threads, unshare() gives it to the calling thread only, so each thread that
    mounts is looked at."""
    if anew or _mount_namespace() not in _own_namespaces:
        _call(libc.unshare, CLONE_NEWNS)
        _call(libc.mount, b"none", b"/", None, MS_REC | MS_PRIVATE, None)
        _own_namespaces.add(_mount_namespace())


def _mount_namespace() -> str:
    return os.readlink("/proc/thread-self/ns/mnt")  # "mnt:[4026531841]"


def own_folder(path: Path, uid: int | None) -> None:
    """Make a check's new, empty folder a size-limited tmpfs owned by the check's user with
    mode 700: theirs alone."""
    if uid is None:
        return
    libc = _libc()
    assert libc is not None
    _private_mounts(libc)
    options = f"size={WORKDIR_BYTES},mode=0700,uid={uid},gid={uid}".encode()
    _call(libc.mount, b"chat-check", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options)
    os.chown(path, uid, uid)
    os.chmod(path, 0o700)


def release_folder(path: Path) -> None:
    """Unmount a check's tmpfs folder (its files go with it)."""
    _unmount(path)


def hand_over(path: Path, uid: int | None) -> None:
    """Give the check's user a file or folder the grader placed in its folder."""
    if uid is not None:
        os.chown(path, uid, uid)


def jail(folder: Path) -> Path:
    """A root file system for one check's programs, whose folder (in the temporary folder) is
    given: the system's folders read-only (SYSTEM), /dev and /proc, a /tmp of its own holding
    only the check's folder and its Python's, and nothing else: not the kit, the reference,
    hidden checks, results, anyone's home or submissions. Mounted here, in this process's
    mount namespace; release_jail() unmounts it."""
    libc = _libc()
    interpreter = python()
    assert libc is not None and interpreter is not None
    _private_mounts(libc)
    root = Path(tempfile.mkdtemp(prefix=JAIL_PREFIX))
    try:
        _mount_jail(libc, root, folder, interpreter)
    except BaseException:
        release_jail(root)
        raise
    return root


def release_jail(root: Path) -> None:
    """Unmount a check's root, with everything mounted in it, and remove its mount point."""
    _unmount(root)
    with contextlib.suppress(OSError):
        root.rmdir()


def _mount_jail(libc: ctypes.CDLL, jail: Path, folder: Path, interpreter: Path) -> None:
    _call(libc.mount, b"jail", str(jail).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m,mode=0755")
    for name in SYSTEM:
        source = Path("/") / name
        if source.is_symlink():  # /lib -> usr/lib on a merged /usr
            os.symlink(os.readlink(source), jail / name)
        elif source.is_dir():
            _bind(libc, source, jail / name, MS_REC, read_only=True)
    for name in ("dev", "proc"):
        _bind(libc, Path("/") / name, jail / name, MS_REC)
    tmp = Path(tempfile.gettempdir()).resolve()
    (jail / tmp.relative_to("/")).mkdir(parents=True, mode=0o1777)
    os.chmod(jail / tmp.relative_to("/"), 0o1777)
    prefix = interpreter.resolve().parent.parent  # /usr, or wherever that Python lives
    needed = {folder.resolve(), interpreter.parent.parent}
    if not any(prefix == Path("/") / name or Path("/") / name in prefix.parents for name in SYSTEM):
        needed.add(prefix)
    for source in sorted(needed):
        _bind(libc, source, jail / source.relative_to("/"), 0, read_only=source == prefix)


def _bind(libc: ctypes.CDLL, source: Path, target: Path, flags: int, read_only: bool = False) -> None:
    target.mkdir(parents=True, exist_ok=True)
    _call(libc.mount, str(source).encode(), str(target).encode(), None, MS_BIND | flags, None)
    if read_only:  # a bind mount is made read-only by remounting it so
        remount = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        _call(libc.mount, None, str(target).encode(), None, remount, None)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    return libc if all(hasattr(libc, call) for call in ("unshare", "mount", "umount2")) else None


def _unmount(path: Path) -> None:
    libc = _libc()
    if libc is not None and _mount_namespace() in _own_namespaces:
        libc.umount2(str(path).encode(), MNT_DETACH)


def _call(function, *args) -> None:
    if function(*args) != 0:
        error = ctypes.get_errno()
        raise SandboxError(error, f"{function.__name__}: {os.strerror(error)}")


def _loopback_up() -> None:
    """A new network namespace has loopback, down: bring it up (what `ip link set lo up` does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))
