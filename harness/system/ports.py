"""Ports for the programs of a room: chosen by the grader, as a person would choose one.

The documentation starts its server as `srv.py 127.0.0.1 PORT`, so the grader picks PORT:
one that nothing uses, not even a connection lingering in TIME_WAIT (a program that sets
SO_REUSEADDR after bind(), as the documented one does, must still start on it), and one
outside the kernel's range for outgoing connections, so that no client's own end takes
it between the pick and the server's bind(). Every pick in this process is a new port, so
checks that run side by side never share one.
"""

import contextlib
import errno
import os
import random
import socket
import time
from pathlib import Path

from harness.system.procs import SharedCounter
from harness.system.tcpinfo import listening

HOST = "127.0.0.1"  # nothing in a scenario talks beyond loopback
EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10000  # below: ports people and services tend to use


def _pickable() -> range:
    try:
        low = int(EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(LOWEST, low) if low - LOWEST >= 1000 else range(LOWEST, 65536)


_RANGE = _pickable()
_next = SharedCounter(random.randrange(len(_RANGE)))  # the next pick, whichever process of the grader picks


def is_free(port: int) -> bool:
    """Whether a socket without SO_REUSEADDR could bind 127.0.0.1:port now."""
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing uses now, and that no other room of this process was given."""
    for _ in range(len(_RANGE)):
        port = _RANGE[_next.take() % len(_RANGE)]
        if is_free(port):
            return port
    raise OSError(errno.EADDRINUSE, "no free port to give the server")


def lingering_port(timeout: float = 2.0) -> int:
    """A free port on which a connection lingers in TIME_WAIT, as one does after a server that
    had users stops: only a server that sets SO_REUSEADDR before bind() can listen there."""
    port = free_port()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen()
        with socket.create_connection((HOST, port), timeout=timeout) as user:
            accepted, _ = listener.accept()
            accepted.close()  # the side that closes first is the one that lingers
            user.recv(1)  # its end of file: the server's side has sent its FIN
    deadline = time.monotonic() + timeout
    while is_free(port):  # the user's FIN, acknowledged, moves the server's side to TIME_WAIT
        if time.monotonic() > deadline:
            raise OSError(errno.ETIMEDOUT, f"port {port} did not linger")
        time.sleep(0.001)
    return port


def listening_ports(pid: int) -> list[int]:
    """The ports a process listens on (read from its descriptors and the kernel's table)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return sorted({port for inode, port in listening().items() if inode in inodes})
