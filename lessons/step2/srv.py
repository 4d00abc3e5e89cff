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


def users_online(count):
    """'(1 user online)', '(2 users online)': plural only above one, so '(0 user online)'."""
    # TODO step 2: Return "(N user online)" when N is 0 or 1, and "(N users online)" above one.
    pass  # TODO step 2: replace this line


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
        # Before bind(): lets a restarted server reuse a port whose old connections linger.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except (socket.gaierror, UnicodeError):  # a name no resolver can look up, like 'a..b'
        fail(1, f"unknown host {host!r}")
    except OSError as error:
        fail(1, f"cannot listen on {host}:{port}: {error.strerror or error}")
    listener.setblocking(False)
    return listener


class Client:
    """One connected user: its socket, its name, and bytes waiting in each direction."""

    def __init__(self, sock, address):
        self.sock = sock
        self.name = f"{address[0]}:{address[1]}"  # taken now: getpeername() fails after a reset
        self.partial = bytearray()  # the start of a line whose "\n" has not arrived

    def complete_lines(self, data):
        """The lines that data completes, decoded; an unfinished line is kept for later."""
        return [data.decode("utf-8", "replace").rstrip("\r\n")]  # one read is not one line!


class ChatServer:
    def __init__(self, listener):
        self.listener = listener
        self.clients = {}  # socket -> Client

    def serve_forever(self):
        # TODO step 2: Loop forever: select() the sockets that are readable, among the listener and
        # TODO step 2: every client socket; accept() when the listener is readable, and
        # TODO step 2: receive() from a readable client.
        # TODO step 2: replace the code below.
        select.select([], [], [])  # until you write the loop: wait for Ctrl-C

    def accept(self):
        # TODO step 2: Accept the connection and turn on TCP_NODELAY, remember a Client for it in
        # TODO step 2: self.clients, and print "> New user IP:PORT entered (...)".
        pass  # TODO step 2: replace this line

    def receive(self, client):
        data = client.sock.recv(RECV_SIZE)
        if len(client.partial) > MAX_LINE:
            self.drop(client)

    def send(self, client, line):
        """Blocking: while this user's socket buffer is full, the whole room waits (step 9)."""
        try:
            client.sock.sendall((line + "\n").encode())
        except OSError:  # the user is gone; receive() will notice and drop them
            pass

    def broadcast(self, line, sender=None):
        for client in list(self.clients.values()):
            if client is not sender:
                self.send(client, line)

    def drop(self, client):
        """Forget a client that left, for whatever reason, and tell everyone else."""
        if self.clients.pop(client.sock, None) is None:
            return
        client.sock.close()


def main(args):
    host, port = parse_args(args)
    listener = open_listener(host, port)
    try:  # from the first line printed on, Ctrl-C must end the server cleanly
        print(f"Chat Server started on port {listener.getsockname()[1]}.")
        ChatServer(listener).serve_forever()
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
