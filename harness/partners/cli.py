"""The grader's partner client: the client of a graded server check.

It shows what a person sees in the reference client, and speaks as the server does: the
kit's lines to a server whose first message ends in "\\n", and to one that sends each
message as one send() with no line end (as the documentation's server does) its messages
the same way (lines.py). So a server written as the documentation shows is judged on what
its users see, not on the kit's framing (docs/protocol.md, "Two layers"). Standard library
only; run as `cli.py HOST PORT`.

It uses `_socket`, the C module under `socket`: importing `socket` builds its enums, 15 ms at
every start, and a graded run starts partners for nearly every check.
"""

import _socket
import os
import select
import sys

from lines import Messages


def chat(sock):
    keyboard = sys.stdin.fileno()
    typed, heard = b"", Messages()
    while True:
        readable, _, _ = select.select([keyboard, sock], [], [], heard.patience())
        if not readable:
            for text in heard.expire():
                print(text, flush=True)
        if keyboard in readable:
            data = os.read(keyboard, 4096)
            if not data:  # Ctrl-D
                return "exit"
            *lines, typed = (typed + data).split(b"\n")
            for line in lines:
                text = line.rstrip(b"\r").decode("utf-8", "replace")
                print(f"\033[F[You] {text}", flush=True)
                if text:
                    sock.sendall(text.encode() + heard.ending())
        if sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                return "< Disconnected from the chat server"
            for text in heard.feed(data):
                print(text, flush=True)


def main(args):
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        sock.connect((args[0], int(args[1])))
    except OSError:
        sock.close()
        raise
    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
    try:
        print(chat(sock))
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
