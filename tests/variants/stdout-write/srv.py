"""Chat server on select.poll(), writing its screen with sys.stdout.write() instead of print().

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

Every socket is watched by one poll() object; a user's outgoing bytes wait in its outbuf
until the socket can take them, so a user who stops reading cannot freeze the room.
"""

import select
import socket
import sys

USAGE = "usage: python3 srv.py HOST PORT"
LINE_LIMIT = 64 * 1024
BACKLOG_LIMIT = 1024 * 1024
READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


def show(text):
    sys.stdout.write(text)
    sys.stdout.write("\n")
    sys.stdout.flush()


def usage_error(code, why):
    sys.stderr.write("srv.py: " + why + " (" + USAGE + ")\n")
    sys.stderr.flush()
    sys.exit(code)


def head_count(n):
    return f"({n} {'users' if n > 1 else 'user'} online)"


class Peer:
    __slots__ = ("inbuf", "outbuf", "sock", "tag")

    def __init__(self, sock, addr):
        self.sock = sock
        self.tag = "{}:{}".format(*addr)
        self.inbuf = bytearray()
        self.outbuf = bytearray()

    def take(self, data):
        """Whole lines from what has arrived so far; the tail waits for its newline."""
        self.inbuf += data
        cut = self.inbuf.rfind(b"\n")
        if cut < 0:
            return []
        whole = bytes(self.inbuf[:cut])
        del self.inbuf[: cut + 1]
        texts = []
        for raw in whole.split(b"\n"):
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            texts.append(raw.decode("utf-8", errors="replace"))
        return texts


class PollServer:
    def __init__(self, listener):
        self.listener = listener
        self.poller = select.poll()
        self.poller.register(listener, select.POLLIN)
        self.peers = {}  # fd -> Peer

    def run(self):
        while True:
            for fd, events in self.poller.poll():
                if fd == self.listener.fileno():
                    self.admit()
                    continue
                peer = self.peers.get(fd)
                if peer is None:
                    continue
                if events & READABLE:
                    self.read_from(peer)
            for peer in [peer for peer in self.peers.values() if peer.outbuf]:
                self.write_to(peer)
            # Someone who left during those sends was announced to all, also to peers already
            # written to: watch whoever has bytes waiting for room, so they go out now.
            for peer in self.peers.values():
                if peer.outbuf:
                    self.poller.modify(peer.sock, READABLE | select.POLLOUT)

    def admit(self):
        try:
            sock, addr = self.listener.accept()
        except OSError:
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = Peer(sock, addr)
        self.peers[sock.fileno()] = peer
        self.poller.register(sock, READABLE)
        count = head_count(len(self.peers))
        self.queue(peer, "> Connected to the chat server " + count)
        self.tell_all("> New user " + peer.tag + " entered " + count, but=peer)

    def read_from(self, peer):
        try:
            data = peer.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.forget(peer)
            return
        for text in peer.take(data):
            if text:
                self.tell_all("[" + peer.tag + "] " + text, but=peer)
        if len(peer.inbuf) > LINE_LIMIT:
            self.forget(peer)

    def tell_all(self, text, but=None):
        show(text)
        for peer in list(self.peers.values()):
            if peer is not but:
                self.queue(peer, text)

    def queue(self, peer, text):
        peer.outbuf += (text + "\n").encode("utf-8")  # sent after this round of poll()

    def write_to(self, peer):
        if self.peers.get(peer.sock.fileno()) is not peer:
            return
        try:
            done = peer.sock.send(peer.outbuf)
        except BlockingIOError:
            done = 0
        except OSError:
            self.forget(peer)
            return
        del peer.outbuf[:done]
        if len(peer.outbuf) > BACKLOG_LIMIT:
            self.forget(peer)
            return
        self.poller.modify(peer.sock, READABLE | (select.POLLOUT if peer.outbuf else 0))

    def forget(self, peer):
        fd = peer.sock.fileno()
        if self.peers.get(fd) is not peer:
            return
        del self.peers[fd]
        self.poller.unregister(fd)
        peer.sock.close()
        self.tell_all("< The user " + peer.tag + " left " + head_count(len(self.peers)))


def arguments(argv):
    if len(argv) != 2:
        usage_error(2, f"wrong number of arguments ({len(argv)})")
    host, port = argv
    if not host.isprintable():
        usage_error(2, f"HOST {host!r} is not a host name or address")
    if not (port.isascii() and port.isdigit()) or int(port) > 65535:
        usage_error(2, f"PORT {port!r} is not a number from 0 to 65535")
    return host, int(port)


def make_listener(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except (socket.gaierror, UnicodeError):
        usage_error(1, f"unknown host {host!r}")
    except OSError as err:
        usage_error(1, f"cannot listen on {host}:{port}: {err.strerror or err}")
    sock.setblocking(False)
    return sock


def main():
    host, port = arguments(sys.argv[1:])
    listener = make_listener(host, port)
    try:
        show(f"Chat Server started on port {listener.getsockname()[1]}.")
        PollServer(listener).run()
    except KeyboardInterrupt:
        show("\nexit")
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
