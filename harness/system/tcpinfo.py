"""The kernel's view of a TCP connection, to wait on facts no output shows.

Asked through netlink's sock_diag (what `ss` uses), which hands over only the sockets in the
states asked for, in a fraction of a millisecond; /proc/net/tcp, the fallback where netlink
is not allowed, takes ~6 ms a read on a machine with a large connection table.
"""

import functools
import os
import socket
import struct
from pathlib import Path
from typing import NamedTuple

TCP_TABLE = Path("/proc/net/tcp")
LISTEN, TIME_WAIT = "0A", "06"  # the state column of a listening socket, and of a lingering one
ESTABLISHED, SYN_SENT, SYN_RECV = "01", "02", "03"  # ... of a connection, and of either end of a handshake


class Row(NamedTuple):
    local: str  # "0100007F:1AF4", as /proc/net/tcp writes 127.0.0.1:6900 (see hex_address)
    remote: str
    state: str  # two hex digits, as /proc/net/tcp writes it
    sent: int  # bytes not yet acknowledged (a listener: 0)
    received: int  # bytes not yet read (a listener: connections not yet accepted)
    inode: int
    retransmits: int = 0  # a handshake's: how often its SYN-ACK was sent again (its ACK is lost)
    info: "Sending | None" = None  # how its sending stands, when asked (netlink)


class Sending(NamedTuple):
    """From the kernel's tcp_info of one end: what it has sent, received, and holds to send."""

    mss: int  # the largest segment it sends
    acked: int  # bytes of it the other end has acknowledged (for the end that connected: and its SYN)
    received: int  # bytes (and a FIN) that have arrived in order from the other end
    unsent: int | None  # bytes written to it and not yet sent (None: a kernel before 4.6)
    window: int | None  # bytes the other end can take now (None: a kernel before 6.2)

    def sent(self, queued: int, connected: bool) -> int:
        """Bytes (and a FIN) it has sent so far, in the count the other end's `received` keeps.
        queued: written and not yet acknowledged (Row.sent); connected: the end that connected,
        whose SYN its `acked` counts. The other end may have them all, and not acknowledged
        them yet (a delayed ACK): acknowledgements say nothing of what has arrived."""
        return self.acked - connected + queued - (self.unsent or 0)

    def holds_sendable(self) -> bool:
        """Bytes the kernel holds and will send by itself (on a busy machine, or as a rate limit
        allows), as the other end has room for them; bytes held for want of room wait on the reader."""
        if not self.unsent or self.window is None:
            return False
        return self.window >= min(self.unsent, self.mss)


def hex_address(address: tuple[str, int]) -> str:
    """127.0.0.1:6900 as /proc/net/tcp writes it: 0100007F:1AF4 (the IP in host byte order)."""
    ip = struct.unpack("=I", socket.inet_aton(address[0]))[0]
    return f"{ip:08X}:{address[1]:04X}"


def connections() -> list[tuple[str, str, int, int]]:
    """(local, remote, bytes not yet acknowledged, bytes not yet read) of every connection."""
    return [(row.local, row.remote, row.sent, row.received) for row in _table()]


def listening() -> dict[int, int]:
    """{socket inode: port} of every listening socket."""
    return {row.inode: int(row.local.split(":")[1], 16) for row in _table() if row.state == LISTEN}


def lingers(port: int) -> bool:
    """Whether a connection whose local end was on this port lingers in TIME_WAIT."""
    return any(_on_port(row.local, port) for row in _table(lingering=True) if row.state == TIME_WAIT)


def _on_port(address: str, port: int) -> bool:
    """Whether an address as /proc/net/tcp writes it (0100007F:1AF4) is on this port."""
    return address.endswith(f":{port:04X}")


class Port:
    """The connections on one port (a server's), as the kernel has them at one look: the
    kernel walks its whole table for it (a millisecond), so one look answers every question."""

    def __init__(self, port: int) -> None:
        self.port = port
        rows = [row for row in _table(sending=True) if _on_port(row.local, port) or _on_port(row.remote, port)]
        self.ends = {(row.local, row.remote): row for row in rows}

    def in_flight(self) -> int:
        """Ends with something on its way that no program has been woken by yet: bytes or a FIN
        sent that have not arrived, bytes the kernel holds and will send by itself, a handshake
        not yet complete, a reset on its way to an end whose other end is gone. On a busy
        machine the kernel may deliver them a while later (in its softirq thread). A sender
        stopped by a full window has nothing on its way: it waits on the reader."""
        return sum(
            1
            for (local, remote), row in self.ends.items()
            if _on_its_way(row, self.ends.get((remote, local)), connected=not _on_port(local, self.port))
        )

    def unread_at_server(self) -> int:
        """Bytes waiting unread at the server's end of each connection (at its listener:
        connections not yet accepted)."""
        return sum(row.received for (local, _), row in self.ends.items() if _on_port(local, self.port))

    def unread(self, address: tuple[str, int], peer: tuple[str, int]) -> int:
        """Bytes waiting unread at either end of one connection (a robot's)."""
        ends = ((hex_address(address), hex_address(peer)), (hex_address(peer), hex_address(address)))
        return sum(self.ends[end].received for end in ends if end in self.ends)


def unread_at(port: int) -> int:
    """Bytes waiting unread at the end of each connection that is on this port (a server's)."""
    return Port(port).unread_at_server()


def in_flight(port: int) -> int:
    """Port.in_flight, at one look."""
    return Port(port).in_flight()


def _on_its_way(row: Row, peer: Row | None, connected: bool) -> bool:
    """in_flight for one end; peer: the other end of its connection (both are on this machine),
    if the kernel still has it; connected: this end connected (the other is the server's)."""
    if row.state == LISTEN:
        return False  # connections waiting to be accepted are the program's to take
    if row.state in (SYN_SENT, SYN_RECV):
        return row.retransmits == 0  # its SYN-ACK or last ACK is on its way (if lost, it is sent again)
    if peer is None:
        return row.state == ESTABLISHED  # the other end's reset has yet to arrive (in TIME_WAIT: it is done)
    if row.info is None or peer.info is None:  # /proc/net/tcp: unacknowledged, and the reader is not full
        return row.sent > 0 and peer.received == 0
    return row.info.sent(row.sent, connected) > peer.info.received or row.info.holds_sendable()


def _table(lingering: bool = False, sending: bool = False) -> list[Row]:
    """Every IPv4 TCP socket; those in TIME_WAIT only when asked (they are most of the table);
    with how each stands in its sending (Row.info) when asked and netlink answers."""
    if _netlink_works():
        return _ask_netlink(lingering, sending)
    rows = [_parse(fields) for fields in (line.split() for line in TCP_TABLE.read_text().splitlines()[1:])]
    return rows if lingering else [row for row in rows if row.state != TIME_WAIT]


def _parse(fields: list[str]) -> Row:
    sent, received = fields[4].split(":")
    return Row(fields[1], fields[2], fields[3], int(sent, 16), int(received, 16), int(fields[9]), int(fields[6], 16))


# --- netlink sock_diag (linux/inet_diag.h) -------------------------------------------------

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port ID
# inet_diag_req_v2: family, protocol, extensions, states; the socket: ports (big-endian),
# addresses, interface, cookie (all ones: any)
REQUEST = struct.Struct("=BBBxI2s2s16s16sI8s")
ANY_COOKIE = b"\xff" * 8
MESSAGE = struct.Struct("=BBBB2s2s16s16sIQIIIII")  # inet_diag_msg: ..., rqueue, wqueue, uid, inode
ALL_STATES, TIME_WAIT_BIT = 0xFFF, 1 << 6
# The extension asked for with each end: its tcp_info (INET_DIAG_INFO, linux/tcp.h), read at
# the offsets of tcpi_snd_mss, tcpi_bytes_acked, tcpi_bytes_received (64 bits), tcpi_notsent_bytes
# and tcpi_snd_wnd; a field past the end of what this kernel sends is unknown.
INET_DIAG_INFO = 2
INFO_EXTENSION = 1 << (INET_DIAG_INFO - 1)
MSS, ACKED, RECEIVED, NOTSENT, SEND_WINDOW = 16, 120, 128, 144, 228
ATTRIBUTE = struct.Struct("=HH")  # rtattr: length, type


def lookup(local: tuple[str, int], remote: tuple[str, int]) -> Row | None:
    """One connection's end, found by its addresses: the kernel looks it up in its hash table
    instead of walking the whole table (~2 ms on a machine with a large one). None: no such end."""
    if not _netlink_works():
        ends = (hex_address(local), hex_address(remote))
        return next((row for row in _table() if (row.local, row.remote) == ends), None)
    packed = (struct.pack("!H", local[1]), struct.pack("!H", remote[1]), _ip(local[0]), _ip(remote[0]))
    try:
        rows = _ask(REQUEST.pack(socket.AF_INET, socket.IPPROTO_TCP, 0, ALL_STATES, *packed, 0, ANY_COOKIE), 0)
    except FileNotFoundError:
        return None
    return rows[0] if rows else None


def _ip(address: str) -> bytes:
    return socket.inet_aton(address) + bytes(12)


@functools.cache
def _netlink_works() -> bool:
    try:
        _ask_netlink(False)
    except OSError:
        return False
    return True


def _ask_netlink(lingering: bool, sending: bool = False) -> list[Row]:
    states = ALL_STATES if lingering else ALL_STATES & ~TIME_WAIT_BIT
    anywhere = (bytes(2), bytes(2), bytes(16), bytes(16), 0, ANY_COOKIE)
    extensions = INFO_EXTENSION if sending else 0
    return _ask(REQUEST.pack(socket.AF_INET, socket.IPPROTO_TCP, extensions, states, *anywhere), NLM_F_DUMP)


def _ask(body: bytes, flags: int) -> list[Row]:
    request = HEADER.pack(HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | flags, 1, 0) + body
    rows: list[Row] = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        sock.sendall(request)
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + HEADER.size <= len(data):
                length, kind, _, _, _ = HEADER.unpack_from(data, offset)
                if kind == NLMSG_DONE:
                    return rows
                if kind == NLMSG_ERROR:
                    error = -struct.unpack_from("=i", data, offset + HEADER.size)[0]
                    raise OSError(error, f"sock_diag: {os.strerror(error)}")
                fields = MESSAGE.unpack_from(data, offset + HEADER.size)
                rows.append(_row(fields, data[offset + HEADER.size + MESSAGE.size : offset + length]))
                offset += _aligned(length)
            if not data or not flags & NLM_F_DUMP:  # an exact lookup answers with one message
                return rows


def _row(fields: tuple, attributes: bytes = b"") -> Row:
    # (also there: the timer, the interface, the cookie, the timer's expiry, the owner)
    _, state, _, retransmits, sport, dport, src, dst, _, _, _, rqueue, wqueue, _, inode = fields

    def written(ip: bytes, port: bytes) -> str:  # as /proc/net/tcp writes it
        return f"{struct.unpack('=I', ip[:4])[0]:08X}:{struct.unpack('!H', port)[0]:04X}"

    listener = state == 10
    sent = 0 if listener else wqueue
    info = _sending(attributes)
    return Row(written(src, sport), written(dst, dport), f"{state:02X}", sent, rqueue, inode, retransmits, info)


def _sending(attributes: bytes) -> Sending | None:
    """What the INET_DIAG_INFO attribute among these says of the end's sending, if it is there."""
    offset = 0
    while offset + ATTRIBUTE.size <= len(attributes):
        length, kind = ATTRIBUTE.unpack_from(attributes, offset)
        if length < ATTRIBUTE.size:
            return None
        if kind == INET_DIAG_INFO:
            info = attributes[offset + ATTRIBUTE.size : offset + length]
            mss, acked, received = _field(info, MSS), _field(info, ACKED, 8), _field(info, RECEIVED, 8)
            if mss is None or acked is None or received is None:
                return None  # a kernel before 4.1
            return Sending(mss, acked, received, _field(info, NOTSENT), _field(info, SEND_WINDOW))
        offset += _aligned(length)
    return None


def _aligned(length: int) -> int:
    """A netlink message's or attribute's length, rounded up to the 4 bytes the next starts at."""
    return (length + 3) & ~3


def _field(info: bytes, offset: int, size: int = 4) -> int | None:
    """The tcp_info field (of 4 or 8 bytes) at this offset; None past the end of what the kernel sent."""
    if len(info) < offset + size:
        return None
    return struct.unpack_from("=Q" if size == 8 else "=I", info, offset)[0]
