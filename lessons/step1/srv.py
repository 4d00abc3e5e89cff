"""Reference chat server: one select() loop serves every user.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

On the wire every message is one UTF-8 text line ending in "\\n" (docs/protocol.md).
"""

import select
import socket
import sys

USAGE = "usage: python3 srv.py HOST PORT"
RECV_SIZE = 65536
MAX_LINE = 64 * 1024  # a client that sends a longer line is disconnected


def fail(status, problem):
    """Leave with one line on stderr: what is wrong, then the usage."""
    print(f"srv.py: {problem} ({USAGE})", file=sys.stderr)
    sys.exit(status)


def parse_args(args):
    """HOST and PORT from the command line; exit status 2 when they are not usable."""
    if len(args) != 2:
        fail(2, f"expected 2 arguments, HOST and PORT, got {len(args)}")
    host, port = args
    if not host.isprintable():  # also rejects bytes the locale could not decode
        fail(2, f"HOST must be a host name or an IP address, not {host!r}")
    if not (port.isascii() and port.isdigit() and int(port) <= 65535):
        fail(2, f"PORT must be a number from 0 to 65535, not {port!r}")
    return host, int(port)


def open_listener(host, port):
    """A listening socket; exit status 1 when the address cannot be used."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # TODO step 1: Allow the address to be reused (SO_REUSEADDR) *before* binding,
        # TODO step 1: then bind the listener to (host, port) and start listening.
        pass  # TODO step 1: replace this line
    except (socket.gaierror, UnicodeError):  # a name no resolver can look up, like 'a..b'
        fail(1, f"unknown host {host!r}")
    except OSError as error:
        fail(1, f"cannot listen on {host}:{port}: {error.strerror or error}")
    listener.setblocking(False)
    return listener




def main(args):
    host, port = parse_args(args)
    listener = open_listener(host, port)
    try:  # from the first line printed on, Ctrl-C must end the server cleanly
        # TODO step 1: Print "Chat Server started on port P." with the port the listener really
        # TODO step 1: has (listener.getsockname()): with PORT 0 the system picks one.
        pass  # TODO step 1: replace this line
        select.select([], [], [])  # nothing to do yet but wait for Ctrl-C
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
