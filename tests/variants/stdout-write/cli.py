"""Chat client that writes its screen with sys.stdout.write() and flush(), never print().

    python3 cli.py HOST PORT

One select() over the keyboard's file descriptor and the socket. The "[You] ..." line is
put together from several write() calls; the terminal shows it only once it is whole.
"""

import os
import select
import socket
import sys

USAGE = "usage: python3 cli.py HOST PORT"
UP_AND_HOME = "\033[F"
GONE = "< Disconnected from the chat server"


def out(*pieces):
    """Write the pieces, then end the line and flush: one screen line, several write() calls."""
    for piece in pieces:
        sys.stdout.write(piece)
    sys.stdout.write("\n")
    sys.stdout.flush()


def bail(code, why):
    sys.stderr.write(f"cli.py: {why} ({USAGE})\n")
    sys.stderr.flush()
    sys.exit(code)


def where_to(argv):
    if len(argv) != 2:
        bail(2, f"{len(argv)} arguments given, HOST and PORT wanted")
    host, port = argv
    if not host.isprintable():
        bail(2, f"{host!r} is not a usable HOST")
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        bail(2, f"{port!r} is not a PORT from 1 to 65535")
    return host, int(port)


def dial(host, port):
    try:
        sock = socket.create_connection((host, port))
    except (socket.gaierror, UnicodeError):
        bail(1, f"no such host {host!r}")
    except OSError as err:
        bail(1, f"nobody answers at {host}:{port}: {err.strerror or err}")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def split_lines(buffer, data):
    """(finished lines as text, bytes of the unfinished one)."""
    buffer += data
    *done, rest = buffer.split(b"\n")
    return [line.removesuffix(b"\r").decode("utf-8", "replace") for line in done], rest


def session(sock):
    """Returns what to write last, once the user or the server has ended the chat."""
    stdin = sys.stdin.fileno()
    typed = heard = b""
    while True:
        ready = select.select([stdin, sock], [], [])[0]
        if stdin in ready:  # first, so "[You]" lands on the echo before anything else prints
            chunk = os.read(stdin, 4096)
            if chunk == b"":
                return "exit"
            lines, typed = split_lines(typed, chunk)
            for text in lines:
                sys.stdout.write(UP_AND_HOME)
                out("[You] ", text)
                if not text:
                    continue
                try:
                    sock.sendall(text.encode("utf-8") + b"\n")
                except OSError:
                    return GONE
        if sock in ready:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk == b"":
                return GONE
            lines, heard = split_lines(heard, chunk)
            for text in lines:
                out(text)


def main():
    host, port = where_to(sys.argv[1:])
    sock = dial(host, port)
    try:
        out(session(sock))
    except KeyboardInterrupt:
        out("\n", "exit")
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
