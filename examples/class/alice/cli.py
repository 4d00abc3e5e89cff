"""Reference chat client: one select() loop over the keyboard and the server.

    python3 cli.py HOST PORT

What you type is sent as one UTF-8 line ending in "\\n" (docs/protocol.md) and shown
as "[You] ..." over the line the terminal echoed. Ctrl-C or Ctrl-D leaves the room.
"""

import os
import select
import socket
import sys

USAGE = "usage: python3 cli.py HOST PORT"
CURSOR_TO_PREVIOUS_LINE = "\033[F"


def fail(status, problem):
    """Leave with one line on stderr: what is wrong, then the usage."""
    print(f"cli.py: {problem} ({USAGE})", file=sys.stderr)
    sys.exit(status)


def parse_args(args):
    """HOST and PORT from the command line; exit status 2 when they are not usable."""
    if len(args) != 2:
        fail(2, f"expected 2 arguments, HOST and PORT, got {len(args)}")
    host, port = args
    if not host.isprintable():  # also rejects bytes the locale could not decode
        fail(2, f"HOST must be a host name or an IP address, not {host!r}")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        fail(2, f"PORT must be a number from 1 to 65535, not {port!r}")
    return host, int(port)


def connect(host, port):
    """A connected socket; exit status 1 when there is no server to talk to."""
    try:
        sock = socket.create_connection((host, port))
    except (socket.gaierror, UnicodeError):  # a name no resolver can look up, like 'a..b'
        fail(1, f"unknown host {host!r}")
    except OSError as error:
        fail(1, f"cannot connect to {host}:{port}: {error.strerror or error}")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class LineReader:
    """Cuts a byte stream into text lines; keeps an unfinished line until its end arrives."""

    def __init__(self):
        self.partial = b""

    def feed(self, data):
        *lines, self.partial = (self.partial + data).split(b"\n")
        # Whole lines only are decoded, so a character split across reads stays intact.
        return [line.rstrip(b"\r").decode("utf-8", "replace") for line in lines]


def chat(sock):
    """Relay until the user or the server leaves; returns the line that says why."""
    keyboard = sys.stdin.fileno()
    typed, heard = LineReader(), LineReader()
    while True:
        readable, _, _ = select.select([keyboard, sock], [], [])
        # Keyboard first: "[You] ..." must overwrite the echo before anything else prints.
        if keyboard in readable:
            data = os.read(keyboard, 4096)
            if not data:  # Ctrl-D
                return "exit"
            for text in typed.feed(data):
                print(f"{CURSOR_TO_PREVIOUS_LINE}[You] {text}")
                if text and not send_line(sock, text):
                    return "< Disconnected from the chat server"
        if sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                return "< Disconnected from the chat server"
            for text in heard.feed(data):
                print(text)


def send_line(sock, text):
    try:
        sock.sendall(f"{text}\n".encode())
    except OSError:
        return False
    return True


def main(args):
    host, port = parse_args(args)
    sock = connect(host, port)
    try:
        print(chat(sock))
    except KeyboardInterrupt:
        print("\nexit")  # the terminal has already echoed ^C
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
