"""Chat client that sends each typed line in two sendall() calls: the text, then "\\n".

    python3 cli.py HOST PORT

With TCP_NODELAY set, the two calls usually leave in two TCP segments, so the server
sees the text and its newline in separate reads and has to put the line together.
"""

import os
import select
import socket
import sys

USAGE = "usage: python3 cli.py HOST PORT"


class Leave(Exception):
    """The chat is over; the message is what the client shows last."""


class Chatter:
    def __init__(self, sock):
        self.sock = sock
        self.keys = sys.stdin.fileno()
        self.typed = bytearray()
        self.heard = bytearray()

    @staticmethod
    def lines(buffer, data):
        buffer.extend(data)
        found = []
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            found.append(line.removesuffix(b"\r").decode("utf-8", "replace"))
        return found

    def on_keys(self):
        data = os.read(self.keys, 4096)
        if not data:
            raise Leave("exit")
        for text in self.lines(self.typed, data):
            print("\033[F[You] " + text)
            if text:
                self.transmit(text)

    def transmit(self, text):
        try:
            self.sock.sendall(text.encode("utf-8"))
            self.sock.sendall(b"\n")
        except OSError:
            raise Leave("< Disconnected from the chat server") from None

    def on_socket(self):
        try:
            data = self.sock.recv(16384)
        except OSError:
            data = b""
        if not data:
            raise Leave("< Disconnected from the chat server")
        for text in self.lines(self.heard, data):
            print(text)

    def loop(self):
        while True:
            ready, _, _ = select.select([self.keys, self.sock], [], [])
            if self.keys in ready:  # the echo is overwritten before anything else is printed
                self.on_keys()
            if self.sock in ready:
                self.on_socket()


def usage(code, why):
    print(f"cli.py: {why} ({USAGE})", file=sys.stderr)
    sys.exit(code)


def main(argv):
    if len(argv) != 2:
        usage(2, f"expected HOST PORT, got {len(argv)} arguments")
    host, port = argv
    if not host.isprintable():
        usage(2, f"HOST {host!r} is not printable")
    if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        usage(2, f"PORT {port!r} is not from 1 to 65535")
    try:
        sock = socket.create_connection((host, int(port)))
    except (socket.gaierror, UnicodeError):
        usage(1, f"unknown host {host!r}")
    except OSError as error:
        usage(1, f"cannot connect to {host}:{port}: {error.strerror or error}")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with sock:
        try:
            try:
                Chatter(sock).loop()
            except Leave as end:
                print(end)
        except KeyboardInterrupt:  # also while the last line is printed
            print("\nexit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
