"""The grader's partner server: the server of a graded client check.

It shows and sends exactly what the reference server does, and hears both ways a client
may speak: the kit's, each message a line ending in "\\n", and the documented one, each
message one send() with no line end (lines.py). It sends the kit's lines: a client that
print()s each read, as the documented one does, shows a blank row after each, which the
documented checks do not judge. So a client written as the documentation shows is judged
on what its user sees (docs/protocol.md, "Two layers"). Standard library only; run as
`srv.py HOST PORT`.

It uses `_socket`, the C module under `socket`: importing `socket` builds its enums, 15 ms at
every start, and a graded run starts a partner for nearly every check.
"""

import _socket
import select
import sys

from lines import Messages


def users_online(count):
    return f"({count} {'users' if count > 1 else 'user'} online)"


class Partner:
    def __init__(self, host, port):
        self.listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self.listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen()
        self.names = {}  # socket -> "IP:PORT"
        self.heard = {}  # socket -> its Messages

    def serve(self):
        print(f"Chat Server started on port {self.listener.getsockname()[1]}.", flush=True)
        while True:
            waits = [m.patience() for m in self.heard.values() if m.patience() is not None]
            readable, _, _ = select.select([self.listener, *self.names], [], [], min(waits, default=None))
            if not readable:
                for sock, messages in list(self.heard.items()):
                    if messages.patience() is not None:
                        self.relay(sock, messages.expire())
            for sock in readable:
                if sock is self.listener:
                    self.accept()
                else:
                    self.hear(sock)

    def accept(self):
        fd, (ip, port) = self.listener._accept()
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM, 0, fd)
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.names[sock], self.heard[sock] = f"{ip}:{port}", Messages()
        online = users_online(len(self.names))
        self.say(f"> New user {self.names[sock]} entered {online}", but=sock)
        self.send(sock, f"> Connected to the chat server {online}")

    def hear(self, sock):
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.leave(sock)
            return
        self.relay(sock, self.heard[sock].feed(data))

    def relay(self, sock, texts):
        for text in texts:
            if text:
                self.say(f"[{self.names[sock]}] {text}", but=sock)

    def leave(self, sock):
        name = self.names.pop(sock)
        del self.heard[sock]
        sock.close()
        self.say(f"< The user {name} left {users_online(len(self.names))}")

    def say(self, line, but=None):
        """Show the line here and send it to every user but one."""
        print(line, flush=True)
        for sock in list(self.names):
            if sock is not but:
                self.send(sock, line)

    def send(self, sock, line):
        try:
            sock.sendall(f"{line}\n".encode())
        except OSError:  # its leave is noticed when its socket reads as closed
            pass


def main(args):
    partner = Partner(args[0], int(args[1]))
    try:
        partner.serve()
    except KeyboardInterrupt:
        print("\nexit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
