"""The kernel's view of a TCP connection (Linux /proc/net/tcp), to wait on facts no output shows."""

import socket
import struct
from pathlib import Path

TCP_TABLE = Path("/proc/net/tcp")


def hex_address(address: tuple[str, int]) -> str:
    """127.0.0.1:6900 as /proc/net/tcp writes it: 0100007F:1AF4 (the IP in host byte order)."""
    ip = struct.unpack("=I", socket.inet_aton(address[0]))[0]
    return f"{ip:08X}:{address[1]:04X}"


LISTEN, TIME_WAIT = "0A", "06"  # the state column of a listening socket, and of a lingering one


def connections() -> list[tuple[str, str, int, int]]:
    """(local, remote, bytes not yet acknowledged, bytes not yet read) of every connection."""
    rows = []
    for fields in _rows():
        sent, received = fields[4].split(":")
        rows.append((fields[1], fields[2], int(sent, 16), int(received, 16)))
    return rows


def listening() -> dict[int, int]:
    """{socket inode: port} of every listening socket."""
    return {int(fields[9]): int(fields[1].split(":")[1], 16) for fields in _rows() if fields[3] == LISTEN}


def lingers(port: int) -> bool:
    """Whether a connection whose local end was on this port lingers in TIME_WAIT."""
    return any(fields[3] == TIME_WAIT and fields[1].endswith(f":{port:04X}") for fields in _rows())


def _rows() -> list[list[str]]:
    return [row.split() for row in TCP_TABLE.read_text().splitlines()[1:]]


def unread(port: int, skip: set[tuple[str, int]] = frozenset()) -> int:
    """Bytes that arrived but their program has not read yet, on every connection with one end
    on this port (connections with an end in `skip` left out). On loopback a byte sent is at
    once a byte arrived; bytes not yet acknowledged are not counted (delayed ACKs hold them)."""
    ours, left_out = f":{port:04X}", {hex_address(address) for address in skip}
    return sum(
        received
        for local, remote, _, received in connections()
        if (local.endswith(ours) or remote.endswith(ours)) and not {local, remote} & left_out
    )


def unread_at(port: int) -> int:
    """Bytes waiting unread at the end of each connection that is on this port (a server's)."""
    ours = f":{port:04X}"
    return sum(received for local, _, _, received in connections() if local.endswith(ours))
