"""Starting a program in a pseudo-terminal with no Python between fork and exec.

subprocess.Popen forks and execs in C (_posixsubprocess): no Python code runs in the child,
which is safe in a parent with threads and quick (vfork). Popen gives the child the pty as its
standard streams, its environment and working directory, and closes every other descriptor.
The rest is done by small programs, each of which sets one thing up and execs the next, none
of which forks (the PID Popen gives is the program's from start to end):

    setsid --ctty   a session of its own, the pty its controlling terminal (util-linux)
    prlimit ...     the box's resource limits (util-linux)
    sh -c ...       joins the box's cgroup; bash, to open descriptors up to `taken`
    unshare ...     sandboxed: the check's root, its working directory there, the check's user
                    (util-linux 2.34: --root, --wd, --setuid, --setgid)

then the program. Each costs an exec, about a millisecond; the Python a program runs costs
tens. SIGINT's disposition and mask are the parent's business (procs.sigint_held)."""

import fcntl
import functools
import os
import shlex
import shutil
import struct
import subprocess
import termios
from pathlib import Path

from harness.system.containment import Box

SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"  # where the programs below are looked for, only


def open_pty(rows: int, cols: int) -> tuple[int, int]:
    """A pseudo-terminal of this size: (the harness's end, the program's end). NOFLSH: without
    it the terminal discards output not yet read when Ctrl-C arrives, and on a busy machine
    that can swallow what the program prints in answer ("exit"). Measured here."""
    harness_end, program_end = os.openpty()
    fcntl.ioctl(program_end, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    attributes = termios.tcgetattr(program_end)
    attributes[3] |= termios.NOFLSH
    termios.tcsetattr(program_end, termios.TCSANOW, attributes)
    return harness_end, program_end


def command(argv: list[str], box: Box | None = None, cwd: Path | None = None, taken: int = 0) -> list[str]:
    """argv, behind the programs that start it as a person's shell would, in its box."""
    steps = [tool("setsid"), "--ctty"]
    if box is not None:
        steps += _limits(box)
    steps += _shell(box.cgroup if box is not None else None, taken)
    if box is not None and box.uid is not None:
        steps += _root_and_user(box, cwd)
    return [*steps, *argv]


def start(command: list[str], env: dict[str, str], cwd: Path | None, terminal: int) -> subprocess.Popen[bytes]:
    """Run it with the program's end of a pty as its standard streams (close it here after)."""
    return subprocess.Popen(command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=cwd, close_fds=True)


def _limits(box: Box) -> list[str]:
    """prlimit: the box's resource limits, set on itself; the programs after it inherit them."""
    return [tool("prlimit"), *(f"--{name}={soft}:{hard}" for name, (soft, hard) in box.rlimits().items()), "--"]


def _root_and_user(box: Box, cwd: Path | None) -> list[str]:
    """unshare: chroot into the check's root and change to the working directory there, while
    root; then no supplementary groups, and the check's group and user, for good."""
    if box.jail is None or cwd is None:
        raise ValueError("a sandboxed program needs its check's root, and a working directory in it")
    root, user = f"--root={box.jail}", str(box.uid)
    return [tool("unshare"), root, f"--wd={cwd.resolve()}", f"--setgid={user}", f"--setuid={user}", "--"]


def _shell(cgroup: Path | None, taken: int) -> list[str]:
    """sh, to join the cgroup (its own PID into cgroup.procs) before the program runs, so that
    the program and everything it starts are counted from the start (moving the program in
    from here, once started, would race with its first fork); bash, to open /dev/null on every
    descriptor from 3 below `taken` (sh's redirections stop at 9). None if neither is asked."""
    actions = []
    if cgroup is not None:
        actions.append(f"echo $$ > {shlex.quote(str(cgroup / 'cgroup.procs'))}")
    if taken > 3:
        actions.append("exec " + " ".join(f"{number}</dev/null" for number in range(3, taken)))
    if not actions:
        return []
    shell = tool("bash") if taken > 3 else tool("sh")
    return [shell, "-c", " && ".join([*actions, 'exec "$@"']), "chat-harness"]


@functools.cache
def tool(name: str) -> str:
    """The path of a system program that starts programs (util-linux's setsid, prlimit, ...)."""
    found = shutil.which(name, path=SYSTEM_PATH)
    if found is None:
        raise FileNotFoundError(f"the harness starts programs with `{name}` (util-linux, bash): not in {SYSTEM_PATH}")
    return found
