"""Chat server that hands each line to the kernel in several send() calls.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

What waits for a user is handed to the kernel in two send() calls cut in the middle of its
last line, so a line such as "[127.0.0.1:5000] hello\\n" leaves in two pieces. Receivers
frame lines, so they must see exactly the same messages as from a server that sends a line
at once.
"""

import collections
import dataclasses
import errno
import os
import select
import socket
import sys

USAGE = "usage: python3 srv.py HOST PORT"
TOO_LONG = 64 * 1024  # bytes of a line without its newline
TOO_MUCH = 1024 * 1024  # bytes waiting for a reader that does not read


@dataclasses.dataclass(eq=False)
class Conn:
    sock: socket.socket
    who: str
    partial: bytes = b""
    pieces: collections.deque = dataclasses.field(default_factory=collections.deque)
    queued: int = 0


conns: dict[socket.socket, Conn] = {}
spare = os.open(os.devnull, os.O_RDONLY)
FULL = b"> Sorry, the chat room is full, try again later\n"


def plural(n):
    return f"({n} user{'s' if n > 1 else ''} online)"


def queue_pieces(conn, *pieces):
    for piece in pieces:
        data = piece.encode("utf-8")
        if data:
            conn.pieces.append(data)
            conn.queued += len(data)


def to_everyone(*pieces, but=None):
    """Print the line made of the pieces; queue it for the others, piece by piece, then "\n"."""
    print("".join(pieces))
    for conn in conns.values():
        if conn is not but:
            queue_pieces(conn, *pieces, "\n")


def hang_up(conn):
    if conns.pop(conn.sock, None) is None:
        return
    conn.sock.close()
    to_everyone("< The user ", conn.who, " left ", plural(len(conns)))


def push(conn):
    """Two send() calls, cut in the middle of the last line, until the kernel takes no more;
    the rest waits for select()."""
    while conn.pieces:
        if len(conn.pieces) > 1:
            data = b"".join(conn.pieces)
            start = data.rfind(b"\n", 0, len(data) - 1) + 1  # where the last line starts
            cut = (start + len(data)) // 2
            conn.pieces = collections.deque(piece for piece in (data[:cut], data[cut:]) if piece)
        piece = conn.pieces[0]
        try:
            n = conn.sock.send(piece)
        except BlockingIOError:
            break
        except OSError:
            hang_up(conn)
            return
        conn.queued -= n
        if n < len(piece):
            conn.pieces[0] = piece[n:]
            break
        conn.pieces.popleft()
    if conn.queued > TOO_MUCH:
        hang_up(conn)


def turn_away(sock, address):
    print(f"> Refused {address[0]}:{address[1]}: the room is full {plural(len(conns))}")
    try:
        sock.send(FULL)
    except OSError:
        pass
    sock.close()


def arrive(listener):
    global spare
    try:
        sock, address = listener.accept()
    except OSError as error:
        if error.errno == errno.EMFILE:  # give back the spare just long enough to say no
            os.close(spare)
            try:
                turn_away(*listener.accept())
            except OSError:
                pass
            spare = os.open(os.devnull, os.O_RDONLY)
        return
    if sock.fileno() >= 1024:  # past what select() can watch
        turn_away(sock, address)
        return
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = Conn(sock, f"{address[0]}:{address[1]}")
    conns[sock] = conn
    count = plural(len(conns))
    queue_pieces(conn, "> Connected to the chat server ", count, "\n")
    to_everyone("> New user ", conn.who, " entered ", count, but=conn)


def hear(conn):
    try:
        data = conn.sock.recv(32768)
    except OSError:
        data = b""
    if not data:
        hang_up(conn)
        return
    conn.partial += data
    *lines, conn.partial = conn.partial.split(b"\n")
    for line in lines:
        text = line.removesuffix(b"\r").decode("utf-8", errors="replace")
        if text:
            to_everyone("[", conn.who, "] ", text, but=conn)
    if len(conn.partial) > TOO_LONG:
        hang_up(conn)


def serve(listener):
    while True:
        waiting = [sock for sock, conn in conns.items() if conn.pieces]
        readable, _, _ = select.select([listener, *conns], waiting, [])
        for sock in readable:
            if sock is listener:
                arrive(listener)
            elif sock in conns:
                hear(conns[sock])
        for conn in [conn for conn in conns.values() if conn.pieces]:
            if conns.get(conn.sock) is conn:
                push(conn)


def die(code, message):
    print(f"srv.py: {message} ({USAGE})", file=sys.stderr)
    sys.exit(code)


def main(argv):
    if len(argv) != 2:
        die(2, f"expected HOST and PORT, got {len(argv)} arguments")
    host, port_text = argv
    if not host.isprintable():
        die(2, f"HOST {host!r} is not printable")
    if not (port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535):
        die(2, f"PORT {port_text!r} is not a number from 0 to 65535")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, int(port_text)))
        listener.listen()
    except (socket.gaierror, UnicodeError):
        die(1, f"unknown host {host!r}")
    except OSError as error:
        die(1, f"cannot listen on {host}:{port_text}: {error.strerror or error}")
    listener.setblocking(False)
    try:
        print(f"Chat Server started on port {listener.getsockname()[1]}.")
        serve(listener)
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
