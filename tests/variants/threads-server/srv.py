"""Chat server, threaded style: blocking sockets, two threads per user.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

The main thread accepts. Each user gets a reader thread (blocking recv) and a writer
thread that sends what is queued for the user, all of it in one blocking sendall(). Broadcasting
only puts bytes on queues, so a user who stops reading holds up nobody but their own writer; once
more than 1 MiB waits for them, they are dropped. One lock guards the room and keeps the
order in which lines are printed the same as the order in which they are queued.
"""

import contextlib
import queue
import signal
import socket
import sys
import threading

USAGE = "usage: python3 srv.py HOST PORT"
CHUNK = 65536
LONGEST_LINE = 64 * 1024
MOST_UNSENT = 1024 * 1024


def complain(code, message):
    sys.stderr.write(f"srv.py: {message} -- {USAGE}\n")
    raise SystemExit(code)


def online(n):
    noun = "users" if n > 1 else "user"
    return f"({n} {noun} online)"


class Member:
    def __init__(self, conn, peer):
        self.conn = conn
        self.label = f"{peer[0]}:{peer[1]}"  # peer as accept() gave it; a reset socket forgets it
        self.mailbox = queue.Queue()
        self.unsent = 0  # bytes queued for this member and not yet handed to the kernel
        self.writer = None


class Room:
    def __init__(self):
        self.lock = threading.Lock()
        self.members = []

    # Everything named *_locked expects the caller to hold self.lock.

    def _post_locked(self, member, data):
        member.unsent += len(data)
        member.mailbox.put(data)
        if member.unsent > MOST_UNSENT:
            self._remove_locked(member)

    def _announce_locked(self, text, skip=None):
        print(text, flush=True)
        data = (text + "\n").encode()
        for member in list(self.members):
            if member is not skip and member in self.members:
                self._post_locked(member, data)

    def _remove_locked(self, member):
        if member not in self.members:
            return
        self.members.remove(member)
        member.mailbox.put(None)  # the writer stops after what was queued before
        with contextlib.suppress(OSError):  # wakes its reader in recv(), its writer in sendall()
            member.conn.shutdown(socket.SHUT_RDWR)
        self._announce_locked(f"< The user {member.label} left {online(len(self.members))}")

    def enter(self, member):
        with self.lock:
            self.members.append(member)
            count = online(len(self.members))
            self._post_locked(member, f"> Connected to the chat server {count}\n".encode())
            self._announce_locked(f"> New user {member.label} entered {count}", skip=member)

    def say(self, member, texts):
        """Relay the lines of one recv() in one go: no one can join or leave halfway through."""
        with self.lock:
            for text in texts:
                if member in self.members:
                    self._announce_locked(f"[{member.label}] {text}", skip=member)

    def leave(self, member):
        with self.lock:
            self._remove_locked(member)

    def sent(self, member, size):
        with self.lock:
            member.unsent -= size


def quiet_thread(target, *args):
    """A daemon thread that never receives Ctrl-C: that one is for the main thread."""

    def body():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        target(*args)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def write_loop(room, member):
    while True:
        batch = [member.mailbox.get()]  # waits for the first; takes what else is queued by then
        while batch[-1] is not None:
            try:
                batch.append(member.mailbox.get_nowait())
            except queue.Empty:
                break
        data = b"".join(item for item in batch if item is not None)
        try:
            member.conn.sendall(data)
        except OSError:
            room.leave(member)
            return
        room.sent(member, len(data))
        if batch[-1] is None:
            return


def read_loop(room, member):
    pending = b""
    try:
        while True:
            try:
                chunk = member.conn.recv(CHUNK)
            except OSError:
                break
            if not chunk:
                break
            *whole, pending = (pending + chunk).split(b"\n")  # the last piece has no "\n" yet
            texts = [raw.removesuffix(b"\r").decode("utf-8", errors="replace") for raw in whole]
            room.say(member, [text for text in texts if text])
            if len(pending) > LONGEST_LINE:
                break
    finally:
        room.leave(member)
        member.writer.join()
        member.conn.close()


def welcome(room, conn, peer):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    member = Member(conn, peer)
    room.enter(member)
    member.writer = quiet_thread(write_loop, room, member)
    quiet_thread(read_loop, room, member)


def check_arguments(argv):
    if len(argv) != 2:
        complain(2, f"need HOST and PORT, got {len(argv)} argument(s)")
    host, port = argv
    if not host.isprintable():
        complain(2, f"bad HOST {host!r}")
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        complain(2, f"bad PORT {port!r}, want 0 to 65535")
    return host, int(port)


def listen(host, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((host, port))
        server.listen(128)
    except (socket.gaierror, UnicodeError):
        complain(1, f"cannot resolve {host!r}")
    except OSError as problem:
        complain(1, f"cannot listen on {host}:{port}: {problem.strerror or problem}")
    return server


def main(argv):
    host, port = check_arguments(argv)
    server = listen(host, port)
    room = Room()
    try:
        print(f"Chat Server started on port {server.getsockname()[1]}.", flush=True)
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            welcome(room, conn, peer)
    except KeyboardInterrupt:
        print("\nexit", flush=True)
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
