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
        while True:
            waiting = {sock for sock, client in self.clients.items() if client.outbox}
            readable, writable, _ = select.select([self.listener, *self.clients], waiting, [])
            for sock in readable:
                if sock is self.listener:
                    self.accept()
                elif sock in self.clients:
                    self.receive(self.clients[sock])
            self.flush(set(writable), waiting)

    def accept(self):
        try:
            sock, address = self.listener.accept()
        except OSError as error:
            if error.errno in (errno.EMFILE, errno.ENFILE):
                self.refuse_without_descriptors()
            return  # otherwise the caller gave up before we got to it
        if sock.fileno() >= FD_SETSIZE:
            self.refuse(sock, address)
            return
        sock.setblocking(False)
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

    def send(self, client, line):
        """Only for the newcomer's welcome: what was said earlier this round is not for it."""
        client.outbox += (line + "\n").encode()
        client.skip.append((0, len(self.said)))

    def broadcast(self, line, sender=None):
        start = len(self.said)
        self.said += (line + "\n").encode()
        if sender is not None:
            sender.skip.append((start, len(self.said)))

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
        while True:
            self.deliver()
            for client in list(self.clients.values()):
                if client.outbox and (client.sock in writable or client.sock not in waiting):
                    self.send_some(client)
                if len(client.outbox) > MAX_OUTBOX:  # not reading: the room goes on without it
                    self.drop(client)
            if not self.said:  # a drop announces the leaving: deliver that too
                return

    def send_some(self, client):
        """One send() of the client's outbox: the socket takes what fits now."""
        try:
            sent = client.sock.send(client.outbox)
        except BlockingIOError:
            return
        except OSError:
            self.drop(client)
            return
        del client.outbox[:sent]

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
