"""Members with no terminal, that speak raw bytes: a robot client, and a fake server.

Both send exact bytes (split, glued, invalid) and keep what they hear, so a check can see
what a program really sent, not only what a screen shows. A crowd's hundreds of users are
robots too, with no timeline: their streams are judged whole (harness/engine/streams.py)."""

import socket
import struct

from harness.engine.loop import READ, WRITE
from harness.model.timeline import Timeline

LAGGER_BUFFER = 4096  # bytes; the kernel doubles it, and keeps at least a few kilobytes
LAGGER_SEGMENT = 1024  # bytes a TCP segment to a lagger may carry


class Wire:
    """One TCP connection seen from the harness's end.

    timeline: where what it sends and receives is recorded, or None (a crowd's users)."""

    def __init__(self, name: str, timeline: Timeline | None) -> None:
        self.name = name
        self.timeline = timeline
        self.received = bytearray()  # every byte, as it came
        self.complete = 0  # how many whole lines are in it
        self._split: tuple[int, list[bytes], bytes] = (0, [], b"")  # (bytes split, lines, partial)
        self.outgoing = bytearray()
        self.then = ""  # once everything queued is sent: "close", "reset", or "" (nothing)
        self.eof = False
        self.reads = True  # False: it does not read (for now, or ever), and the program's bytes pile up
        self.sock: socket.socket | None = None
        self.address: tuple[str, int] = ("", 0)  # our end
        self.peer: tuple[str, int] = ("", 0)  # the program's end
        self.endpoint = ""  # our end as the server names it: "127.0.0.1:PORT"

    def _attach(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.sock, self.address, self.peer = sock, sock.getsockname(), sock.getpeername()
        self.endpoint = f"{self.address[0]}:{self.address[1]}"

    def _record(self, kind: str, data: bytes) -> None:
        if self.timeline is not None:
            self.timeline.record(self.name, kind, data)

    # --- in the room's loop (harness/engine/loop.py) ---------------------------------------

    def fileno(self) -> int:
        assert self.sock is not None
        return self.sock.fileno()

    def _open_socket(self) -> socket.socket | None:
        """Its socket, unless it has none (a fake server before its client) or it is closed."""
        return self.sock if self.sock is not None and self.sock.fileno() != -1 else None

    def wants(self) -> int:
        """Reading until the other end has closed its side; writing while anything is queued,
        even after that: the other end may still read (a half-closed connection), and if it
        has gone, the write fails, and what is queued is dropped (write_some)."""
        if self._open_socket() is None:
            return 0
        return (READ if self.reads and not self.eof else 0) | (WRITE if self.outgoing else 0)

    def serve(self, events: int, buffer: memoryview) -> None:
        if events & WRITE and self.write_some() and self.then:
            self.hang_up(self.then)
        elif events & READ:
            self.read_available(buffer)

    # --- receiving -----------------------------------------------------------------------

    def read_available(self, buffer: memoryview) -> None:
        """Take what arrived, through the buffer given; call when select() says there is some."""
        assert self.sock is not None
        try:
            size = self.sock.recv_into(buffer)
        except BlockingIOError:
            return
        except OSError:
            size = 0
        if not size:
            self.eof = True
            return
        start = len(self.received)
        self.received += buffer[:size]
        self.complete += self.received.count(b"\n", start)
        if self.timeline is not None:
            self._record("received", bytes(buffer[:size]))

    @property
    def received_lines(self) -> list[bytes]:
        """The whole lines received so far, each ended by a newline (split once per arrival, when asked)."""
        return self._lines_and_partial()[0]

    @property
    def partial(self) -> bytes:
        """What it received after the last newline: the start of a line whose end has not come (yet)."""
        return self._lines_and_partial()[1]

    def _lines_and_partial(self) -> tuple[list[bytes], bytes]:
        if self._split[0] != len(self.received):
            *lines, partial = bytes(self.received).split(b"\n")
            self._split = (len(self.received), lines, partial)
        return self._split[1], self._split[2]

    def lines(self) -> list[str]:
        """What it received, as lines of text (as a screen's lines are; see `unfinished` for the rest)."""
        return [line.decode("utf-8", "replace") for line in self.received_lines]

    @property
    def unfinished(self) -> str:
        return self.partial.decode("utf-8", "replace")

    # --- sending and hanging up ------------------------------------------------------------

    def queue(self, data: bytes, then: str = "") -> None:
        """Bytes to send; the room's loop writes them as the program takes them. then: "close"
        or "reset" to hang up that way once they have all gone (the loop must watch it again)."""
        self._record("sent", data)
        self.outgoing += data
        self.then = then

    def write_some(self) -> bool:
        """Send what the socket takes now; True once everything queued is gone."""
        assert self.sock is not None
        try:
            del self.outgoing[: self.sock.send(self.outgoing)]
        except BlockingIOError:
            return False
        except OSError:  # the program is gone; nothing more will be taken
            self.outgoing.clear()
        return not self.outgoing

    def hang_up(self, how: str) -> None:
        """Close ("close") or close with a TCP reset ("reset"), as a crashed or killed program's
        connection may end; what was still queued is dropped."""
        if how == "reset" and (sock := self._open_socket()) is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.outgoing.clear()
        self.then = ""
        self.close()

    def close(self) -> None:
        if (sock := self._open_socket()) is not None:
            self._record("action", b"closed")
            sock.close()
        self.eof = True


class Robot(Wire):
    """A client with no terminal, connected to the server.

    reads=False: a client that never reads, whose backlog grows at the server. lags: small
    buffers at both ends, so that the server's send() soon takes only part of what it has for
    a user who stops reading (a crowd's laggers)."""

    def __init__(
        self, name: str, server: tuple[str, int], timeline: Timeline | None, reads: bool = True, lags: bool = False
    ) -> None:
        super().__init__(name, timeline)
        self.reads, self.lags = reads, lags  # streams.Book finds its laggers by it
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if lags:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, LAGGER_BUFFER)
                # On loopback the server's send buffer grows with the segment size (64 KB) to
                # megabytes; small segments keep it small, as on a real network.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, LAGGER_SEGMENT)
            sock.settimeout(5)
            sock.connect(server)
        except BaseException:
            sock.close()
            raise
        self._attach(sock)
        self._record("action", f"connected from {self.endpoint}".encode())


class FakeServer(Wire):
    """A server with no terminal: listens on a free port and takes the first client."""

    def __init__(self, name: str, host: str, timeline: Timeline) -> None:
        super().__init__(name, timeline)
        self.listener = socket.create_server((host, 0))
        self.listener.setblocking(False)
        self.port: int = self.listener.getsockname()[1]
        self._record("action", f"listening on {host}:{self.port}".encode())

    @property
    def connected(self) -> bool:
        return self.sock is not None

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else self.listener.fileno()

    def wants(self) -> int:
        return super().wants() if self.sock is not None else READ  # a client to accept

    def read_available(self, buffer: memoryview) -> None:
        if self.sock is not None:
            super().read_available(buffer)
            return
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        self._attach(sock)
        self.listener.close()
        self._record("action", f"accepted {self.peer[0]}:{self.peer[1]}".encode())

    def close(self) -> None:
        self.listener.close()
        super().close()
