"""Chat client built from plain functions and a dict of state, waiting with selectors.

    python3 cli.py HOST PORT

The keyboard is read with os.read() on stdin's file descriptor, never through sys.stdin's
buffer (which select() cannot see into).
"""

import os
import selectors
import socket
import sys

HOW = "usage: python3 cli.py HOST PORT"
DROPPED = "< Disconnected from the chat server"


def stop(status, text):
    sys.stderr.write(f"cli.py: {text} ({HOW})\n")
    sys.exit(status)


def read_args(args):
    if len(args) != 2:
        stop(2, f"takes 2 arguments, HOST and PORT, not {len(args)}")
    if not args[0].isprintable():
        stop(2, f"HOST must be a name or an address, not {args[0]!r}")
    if not args[1].isascii() or not args[1].isdigit() or not 0 < int(args[1]) <= 65535:
        stop(2, f"PORT must be 1 to 65535, not {args[1]!r}")
    return args[0], int(args[1])


def open_line(host, port):
    try:
        sock = socket.create_connection((host, port))
    except (socket.gaierror, UnicodeError):
        stop(1, f"unknown host {host!r}")
    except OSError as error:
        stop(1, f"cannot connect to {host}:{port}: {error.strerror or error}")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def whole_lines(state, which, data):
    """Append data to state[which]; return the lines it completes, decoded one by one."""
    state[which] += data
    *done, state[which] = state[which].split(b"\n")
    return [line.rstrip(b"\r").decode("utf-8", "replace") for line in done]


def from_keyboard(state):
    data = os.read(state["fd"], 4096)
    if not data:
        return "exit"
    for text in whole_lines(state, "typed", data):
        print(f"\033[F[You] {text}", flush=True)
        if not text:
            continue
        try:
            state["sock"].sendall(text.encode("utf-8") + b"\n")
        except OSError:
            return DROPPED
    return None


def from_server(state):
    try:
        data = state["sock"].recv(65536)
    except OSError:
        data = b""
    if not data:
        return DROPPED
    for text in whole_lines(state, "heard", data):
        print(text, flush=True)
    return None


def talk(sock):
    state = {"sock": sock, "fd": sys.stdin.fileno(), "typed": b"", "heard": b""}
    handlers = {"keyboard": from_keyboard, "server": from_server}
    with selectors.DefaultSelector() as selector:
        selector.register(state["fd"], selectors.EVENT_READ, "keyboard")
        selector.register(sock, selectors.EVENT_READ, "server")
        while True:
            # The keyboard first: "[You] ..." must cover the echo before other lines print.
            ready = {key.data for key, _ in selector.select()}
            for which in [which for which in ("keyboard", "server") if which in ready]:
                verdict = handlers[which](state)
                if verdict is not None:
                    return verdict


def main():
    sock = open_line(*read_args(sys.argv[1:]))
    try:
        print(talk(sock))
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
