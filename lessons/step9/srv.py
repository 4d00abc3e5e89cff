"""Reference chat server: one select() loop serves every user.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

On the wire every message is one UTF-8 text line ending in "\\n" (docs/protocol.md).
The server never blocks on a send: each client has an outbox that is written when
select() says the socket can take more, so one client that stops reading cannot
freeze the room. The lines of one select() round go out as one send() per client.
"""

import errno
import os
import select
import socket
import sys

USAGE = "usage: python3 srv.py HOST PORT"
RECV_SIZE = 65536
MAX_LINE = 64 * 1024  # a client that sends a longer line is disconnected
MAX_OUTBOX = 1024 * 1024  # a client that lets more pile up unread is disconnected
FD_SETSIZE = 1024  # select() cannot watch a descriptor from this number on
ROOM_FULL = "> Sorry, the chat room is full, try again later"


def users_online(count):
    """'(1 user online)', '(2 users online)': plural only above one, so '(0 user online)'."""
    return f"({count} {'users' if count > 1 else 'user'} online)"


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
        self.outbox = bytearray()  # bytes for this user that its socket has not taken yet
        self.skip = []  # (start, end) of this round's lines that are not for this user

    def complete_lines(self, data):
        """The lines that data completes, decoded; an unfinished line is kept for later."""
        self.partial += data
        if b"\n" not in data:
            return []
        *lines, rest = self.partial.split(b"\n")
        self.partial = bytearray(rest)
        # Whole lines only are decoded, so a character split across reads stays intact.
        return [line.rstrip(b"\r").decode("utf-8", "replace") for line in lines]


class ChatServer:
    def __init__(self, listener):
        self.listener = listener
        self.clients = {}  # socket -> Client
        self.said = bytearray()  # this round's lines, in order, before they go to the outboxes
        # One descriptor held in reserve: at the open-files limit, closing it lets us accept
        # a connection just to refuse it (otherwise it waits, and select() wakes us forever).
        self.spare = os.open(os.devnull, os.O_RDONLY)

    def serve_forever(self):
        # TODO step 9: Also select() for writing on the sockets whose outbox is not empty (they
        # TODO step 9: were waiting for room), and after handling the readable sockets call
        # TODO step 9: self.flush(writable, waiting) so this round's lines go out.
        # TODO step 9: replace the code below.
        while True:
            readable, _, _ = select.select([self.listener, *self.clients], [], [])
            for sock in readable:
                if sock is self.listener:
                    self.accept()
                elif sock in self.clients:  # not dropped earlier in this round
                    self.receive(self.clients[sock])

    def accept(self):
        # TODO step 9: At the open-files limit accept() raises OSError EMFILE (or ENFILE): call
        # TODO step 9: self.refuse_without_descriptors(). A socket whose descriptor select() cannot
        # TODO step 9: watch (FD_SETSIZE or more) gets self.refuse(sock, address). Make the others
        # TODO step 9: non-blocking, so that send() takes what fits instead of waiting.
        # TODO step 9: replace the code below.
        try:
            sock, address = self.listener.accept()
        except OSError:  # the caller gave up before we got to it
            return
        # Without it, Nagle's algorithm and delayed ACKs hold back some notices by ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = Client(sock, address)
        self.clients[sock] = client
        online = users_online(len(self.clients))
        print(f"> New user {client.name} entered {online}")
        self.send(client, f"> Connected to the chat server {online}")
        self.broadcast(f"> New user {client.name} entered {online}", sender=client)

    def refuse(self, sock, address):
        """Turn a connection away with one line, and say so on the server's terminal."""
        print(f"> Refused {address[0]}:{address[1]}: the room is full {users_online(len(self.clients))}")
        try:
            sock.send((ROOM_FULL + "\n").encode())  # a new socket's buffer has room for it
        except OSError:
            pass
        sock.close()

    def refuse_without_descriptors(self):
        """At the open-files limit: free the spare descriptor just long enough to refuse."""
        os.close(self.spare)
        try:
            sock, address = self.listener.accept()
        except OSError:
            pass
        else:
            self.refuse(sock, address)
        finally:
            self.spare = os.open(os.devnull, os.O_RDONLY)

    def receive(self, client):
        try:
            data = client.sock.recv(RECV_SIZE)
        except OSError:  # a reset is a way of leaving too
            data = b""
        if not data:
            self.drop(client)
            return
        for text in client.complete_lines(data):
            if text:
                line = f"[{client.name}] {text}"
                print(line)
                self.broadcast(line, sender=client)
        if len(client.partial) > MAX_LINE:
            self.drop(client)

    # TODO step 9: send() and broadcast() only note what is to be sent: the newcomer's welcome
    # TODO step 9: goes into its outbox (and this round's earlier lines are not for it), and a
    # TODO step 9: broadcast line is added to self.said, its span noted in the sender's skip.
    # TODO step 9: replace the code below.
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

    def deliver(self):
        """This round's lines into every outbox, minus each user's own spans: per user one
        copy of the joined bytes, however many lines were said (no work per line and user)."""
        if not self.said:
            return
        said = memoryview(bytes(self.said))
        self.said.clear()
        for client in self.clients.values():
            start = 0
            for begin, end in client.skip:
                client.outbox += said[start:begin]
                start = max(start, end)
            client.outbox += said[start:]
            client.skip.clear()

    def flush(self, writable, waiting):
        """One send() per client for everything of this round; what does not fit waits."""
        # TODO step 9: deliver() this round's lines, then give each client with a non-empty outbox
        # TODO step 9: one send() if select() found its socket writable or it was not waiting before
        # TODO step 9: (its outbox was empty: try at once). Keep what the socket did not take. Drop a
        # TODO step 9: client whose send() fails or whose outbox passes MAX_OUTBOX; a drop says
        # TODO step 9: something to the others, so repeat until nothing more was said.
        pass  # TODO step 9: replace this line

    def send_some(self, client):
        """One send() of the client's outbox: the socket takes what fits now."""
        # TODO step 9: send() the outbox once and delete what was sent from its front; a socket that
        # TODO step 9: takes nothing now (BlockingIOError) keeps it all, and one that fails is dropped.
        pass  # TODO step 9: replace this line

    def drop(self, client):
        """Forget a client that left, for whatever reason, and tell everyone else."""
        if self.clients.pop(client.sock, None) is None:
            return
        client.sock.close()
        notice = f"< The user {client.name} left {users_online(len(self.clients))}"
        print(notice)
        self.broadcast(notice)


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
