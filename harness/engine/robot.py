"""Members with no terminal, that speak raw bytes: a robot client, and a fake server.

Both send exact bytes (split, glued, invalid) and keep what they hear, so a check can see
what a program really sent, not only what a screen shows."""

import socket
import struct

from harness.model.timeline import Timeline


class Wire:
    """One TCP connection seen from the harness's end."""

    def __init__(self, name: str, timeline: Timeline) -> None:
        self.name = name
        self.timeline = timeline
        self.received = bytearray()
        self.outgoing = bytearray()
        self.eof = False
        self.reads = True
        self.sock: socket.socket | None = None
        self.address: tuple[str, int] = ("", 0)  # our end
        self.peer: tuple[str, int] = ("", 0)  # the program's end

    def _attach(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.sock, self.address, self.peer = sock, sock.getsockname(), sock.getpeername()

    def fileno(self) -> int:
        assert self.sock is not None
        return self.sock.fileno()

    def read_available(self) -> None:
        assert self.sock is not None
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return
        self.timeline.record(self.name, "received", data)
        self.received += data

    def lines(self) -> list[str]:
        """What it received, as lines: each ended by a newline (see `unfinished` for the rest)."""
        return self.received.decode("utf-8", "replace").split("\n")[:-1]

    @property
    def unfinished(self) -> str:
        """What it received after the last newline: a line whose end has not arrived (yet)."""
        return self.received.decode("utf-8", "replace").rpartition("\n")[2]

    def queue(self, data: bytes) -> None:
        """Bytes to send; the room writes them as the program takes them (see write_some)."""
        self.timeline.record(self.name, "sent", data)
        self.outgoing += data

    def write_some(self) -> None:
        """Send what the socket takes now; call when select() says it is writable."""
        assert self.sock is not None
        try:
            sent = self.sock.send(self.outgoing)
        except BlockingIOError:
            return
        except OSError:
            sent = len(self.outgoing)  # the program is gone; nothing more will be taken
        del self.outgoing[:sent]

    def reset(self) -> None:
        """Close with a TCP reset, as a crashed or killed program's connection may end."""
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        if self.sock is not None and self.sock.fileno() != -1:
            self.timeline.record(self.name, "action", b"closed")
            self.sock.close()
        self.eof = True


class Robot(Wire):
    """A client with no terminal, connected to the server."""

    def __init__(self, name: str, server: tuple[str, int], timeline: Timeline, reads: bool = True) -> None:
        super().__init__(name, timeline)
        self.reads = reads  # False: a client that never reads, whose backlog grows at the server
        self._attach(socket.create_connection(server, timeout=5))
        timeline.record(name, "action", f"connected from {self.address[0]}:{self.address[1]}".encode())


class FakeServer(Wire):
    """A server with no terminal: listens on a free port and takes the first client."""

    def __init__(self, name: str, host: str, timeline: Timeline) -> None:
        super().__init__(name, timeline)
        self.listener = socket.create_server((host, 0))
        self.listener.setblocking(False)
        self.port: int = self.listener.getsockname()[1]
        timeline.record(name, "action", f"listening on {host}:{self.port}".encode())

    @property
    def connected(self) -> bool:
        return self.sock is not None

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else self.listener.fileno()

    def read_available(self) -> None:
        if self.sock is not None:
            super().read_available()
            return
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        self._attach(sock)
        self.listener.close()
        self.timeline.record(self.name, "action", f"accepted {self.peer[0]}:{self.peer[1]}".encode())

    def close(self) -> None:
        self.listener.close()
        super().close()
