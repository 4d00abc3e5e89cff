"""Reference chat server: one select() loop serves every user.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

On the wire every message is one UTF-8 text line ending in "\\n" (docs/protocol.md).
#@ given 9
The server never blocks on a send: each client has an outbox that is written when
select() says the socket can take more, so one client that stops reading cannot
freeze the room. The lines of one select() round go out as one send() per client.
#@ end
"""

#@ given 9
import errno
import os
#@ end
import select
import socket
import sys

USAGE = "usage: python3 srv.py HOST PORT"
RECV_SIZE = 65536
MAX_LINE = 64 * 1024  # a client that sends a longer line is disconnected
#@ given 9
MAX_OUTBOX = 1024 * 1024  # a client that lets more pile up unread is disconnected
FD_SETSIZE = 1024  # select() cannot watch a descriptor from this number on
ROOM_FULL = "> Sorry, the chat room is full, try again later"
#@ end


#@ given 2
def users_online(count):
    """'(1 user online)', '(2 users online)': plural only above one, so '(0 user online)'."""
#@ end
    #@ step 2
    #@ todo Return "(N user online)" when N is 0 or 1, and "(N users online)" above one.
    return f"({count} {'users' if count > 1 else 'user'} online)"


    #@ end
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
        #@ step 1
        #@ todo Allow the address to be reused (SO_REUSEADDR) *before* binding,
        #@ todo then bind the listener to (host, port) and start listening.
        # Before bind(): lets a restarted server reuse a port whose old connections linger.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        #@ end
    except (socket.gaierror, UnicodeError):  # a name no resolver can look up, like 'a..b'
        fail(1, f"unknown host {host!r}")
    except OSError as error:
        fail(1, f"cannot listen on {host}:{port}: {error.strerror or error}")
    listener.setblocking(False)
    return listener


#@ given 2
class Client:
    """One connected user: its socket, its name, and bytes waiting in each direction."""

    def __init__(self, sock, address):
        self.sock = sock
        self.name = f"{address[0]}:{address[1]}"  # taken now: getpeername() fails after a reset
        self.partial = bytearray()  # the start of a line whose "\n" has not arrived
        #@ end
        #@ given 9
        self.outbox = bytearray()  # bytes for this user that its socket has not taken yet
        self.skip = []  # (start, end) of this round's lines that are not for this user
        #@ end
        #@ given 2

    def complete_lines(self, data):
        """The lines that data completes, decoded; an unfinished line is kept for later."""
        #@ end
        #@ step 8
        #@ todo Add data to self.partial; return every complete line (decoded from UTF-8,
        #@ todo errors replaced, without its "\n" or "\r") and keep the unfinished rest.
        self.partial += data
        if b"\n" not in data:
            return []
        *lines, rest = self.partial.split(b"\n")
        self.partial = bytearray(rest)
        # Whole lines only are decoded, so a character split across reads stays intact.
        return [line.rstrip(b"\r").decode("utf-8", "replace") for line in lines]
        #@ end
        #@ before 8 from 2
        return [data.decode("utf-8", "replace").rstrip("\r\n")]  # one read is not one line!
        #@ end
        #@ given 2


class ChatServer:
    def __init__(self, listener):
        self.listener = listener
        self.clients = {}  # socket -> Client
        #@ end
        #@ given 9
        self.said = bytearray()  # this round's lines, in order, before they go to the outboxes
        # One descriptor held in reserve: at the open-files limit, closing it lets us accept
        # a connection just to refuse it (otherwise it waits, and select() wakes us forever).
        self.spare = os.open(os.devnull, os.O_RDONLY)
        #@ end
        #@ given 2

    def serve_forever(self):
        #@ end
        #@ step 9
        #@ todo Also select() for writing on the sockets whose outbox is not empty (they
        #@ todo were waiting for room), and after handling the readable sockets call
        #@ todo self.flush(writable, waiting) so this round's lines go out.
        while True:
            waiting = {sock for sock, client in self.clients.items() if client.outbox}
            readable, writable, _ = select.select([self.listener, *self.clients], waiting, [])
            for sock in readable:
                if sock is self.listener:
                    self.accept()
                elif sock in self.clients:
                    self.receive(self.clients[sock])
            self.flush(set(writable), waiting)
        #@ end
        #@ step 2 until 9
        #@ todo Loop forever: select() the sockets that are readable, among the listener and
        #@ todo every client socket; accept() when the listener is readable, and
        #@ todo receive() from a readable client.
        while True:
            readable, _, _ = select.select([self.listener, *self.clients], [], [])
            for sock in readable:
                if sock is self.listener:
                    self.accept()
                elif sock in self.clients:  # not dropped earlier in this round
                    self.receive(self.clients[sock])
        #@ end
        #@ before 2 from 2
        select.select([], [], [])  # until you write the loop: wait for Ctrl-C
        #@ end
        #@ given 2

    def accept(self):
        #@ end
        #@ step 9
        #@ todo At the open-files limit accept() raises OSError EMFILE (or ENFILE): call
        #@ todo self.refuse_without_descriptors(). A socket whose descriptor select() cannot
        #@ todo watch (FD_SETSIZE or more) gets self.refuse(sock, address). Make the others
        #@ todo non-blocking, so that send() takes what fits instead of waiting.
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
        #@ end
        #@ step 2 until 9
        #@ todo Accept the connection and turn on TCP_NODELAY, remember a Client for it in
        #@ todo self.clients, and print "> New user IP:PORT entered (...)".
        try:
            sock, address = self.listener.accept()
        except OSError:  # the caller gave up before we got to it
            return
        #@ end
        #@ step 2
        # Without it, Nagle's algorithm and delayed ACKs hold back some notices by ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = Client(sock, address)
        self.clients[sock] = client
        online = users_online(len(self.clients))
        print(f"> New user {client.name} entered {online}")
        #@ end
        #@ step 3
        #@ todo Send the newcomer "> Connected to the chat server (...)" and everyone else
        #@ todo the same "> New user ..." line the server printed (self.send, self.broadcast).
        self.send(client, f"> Connected to the chat server {online}")
        self.broadcast(f"> New user {client.name} entered {online}", sender=client)
        #@ end
        #@ given 9

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
        #@ end
        #@ given 2

    def receive(self, client):
        #@ end
        #@ step 5
        #@ todo A client has left when recv() returns b"" or raises OSError (a reset):
        #@ todo then call self.drop(client) and return.
        try:
            data = client.sock.recv(RECV_SIZE)
        except OSError:  # a reset is a way of leaving too
            data = b""
        if not data:
            self.drop(client)
            return
        #@ end
        #@ before 5 from 2
        data = client.sock.recv(RECV_SIZE)
        #@ end
        #@ step 4
        #@ todo Print each line the client sent as "[IP:PORT] text" (skip empty ones)
        #@ todo and broadcast it to everyone but the sender.
        for text in client.complete_lines(data):
            if text:
                line = f"[{client.name}] {text}"
                print(line)
                self.broadcast(line, sender=client)
        #@ end
        #@ given 2
        if len(client.partial) > MAX_LINE:
            self.drop(client)

        #@ end
    #@ step 9
    #@ todo send() and broadcast() only note what is to be sent: the newcomer's welcome
    #@ todo goes into its outbox (and this round's earlier lines are not for it), and a
    #@ todo broadcast line is added to self.said, its span noted in the sender's skip.
    def send(self, client, line):
        """Only for the newcomer's welcome: what was said earlier this round is not for it."""
        client.outbox += (line + "\n").encode()
        client.skip.append((0, len(self.said)))

    def broadcast(self, line, sender=None):
        start = len(self.said)
        self.said += (line + "\n").encode()
        if sender is not None:
            sender.skip.append((start, len(self.said)))
    #@ end
    #@ before 9 from 2
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
    #@ end
    #@ given 9

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

    #@ end
    #@ given 9
    def flush(self, writable, waiting):
        """One send() per client for everything of this round; what does not fit waits."""
    #@ end
        #@ step 9
        #@ todo deliver() this round's lines, then give each client with a non-empty outbox
        #@ todo one send() if select() found its socket writable or it was not waiting before
        #@ todo (its outbox was empty: try at once). Keep what the socket did not take. Drop a
        #@ todo client whose send() fails or whose outbox passes MAX_OUTBOX; a drop says
        #@ todo something to the others, so repeat until nothing more was said.
        while True:
            self.deliver()
            for client in list(self.clients.values()):
                if client.outbox and (client.sock in writable or client.sock not in waiting):
                    self.send_some(client)
                if len(client.outbox) > MAX_OUTBOX:  # not reading: the room goes on without it
                    self.drop(client)
            if not self.said:  # a drop announces the leaving: deliver that too
                return

        #@ end
    #@ given 9
    def send_some(self, client):
        """One send() of the client's outbox: the socket takes what fits now."""
    #@ end
        #@ step 9
        #@ todo send() the outbox once and delete what was sent from its front; a socket that
        #@ todo takes nothing now (BlockingIOError) keeps it all, and one that fails is dropped.
        try:
            sent = client.sock.send(client.outbox)
        except BlockingIOError:
            return
        except OSError:
            self.drop(client)
            return
        del client.outbox[:sent]
        #@ end
    #@ given 2

    def drop(self, client):
        """Forget a client that left, for whatever reason, and tell everyone else."""
        if self.clients.pop(client.sock, None) is None:
            return
        client.sock.close()
        #@ end
        #@ step 5
        #@ todo Print "< The user IP:PORT left (...)" with the count *after* the removal,
        #@ todo and broadcast the same line to everyone still in the room.
        notice = f"< The user {client.name} left {users_online(len(self.clients))}"
        print(notice)
        self.broadcast(notice)
        #@ end


def main(args):
    host, port = parse_args(args)
    listener = open_listener(host, port)
    try:  # from the first line printed on, Ctrl-C must end the server cleanly
        #@ step 1
        #@ todo Print "Chat Server started on port P." with the port the listener really
        #@ todo has (listener.getsockname()): with PORT 0 the system picks one.
        print(f"Chat Server started on port {listener.getsockname()[1]}.")
        #@ end
        #@ before 2
        select.select([], [], [])  # nothing to do yet but wait for Ctrl-C
        #@ end
        #@ given 2
        ChatServer(listener).serve_forever()
        #@ end
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
