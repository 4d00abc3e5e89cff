"""A client with no terminal: sends exact bytes (split, glued, invalid) and keeps what it hears."""

import socket
import struct

from harness.timeline import Timeline


class Robot:
    def __init__(self, name: str, server: tuple[str, int], timeline: Timeline) -> None:
        self.name = name
        self.timeline = timeline
        self.received = bytearray()
        self.eof = False
        self.sock = socket.create_connection(server, timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.address: tuple[str, int] = self.sock.getsockname()
        self.server: tuple[str, int] = server
        timeline.record(name, "action", f"connected from {self.address[0]}:{self.address[1]}".encode())

    def fileno(self) -> int:
        return self.sock.fileno()

    def read_available(self) -> None:
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
        """What it received, as lines; an unfinished last line is included."""
        text = self.received.decode("utf-8", "replace")
        return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []

    def send(self, data: bytes) -> None:
        self.timeline.record(self.name, "sent", data)
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def reset(self) -> None:
        """Close with a TCP reset, as a crashed or killed program's connection may end."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        if self.sock.fileno() != -1:
            self.timeline.record(self.name, "action", b"closed")
            self.sock.close()
        self.eof = True
