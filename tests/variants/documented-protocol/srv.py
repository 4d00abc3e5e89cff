"""Chat server as the student write-up documents it: one select() loop, no framing.

    python3 srv.py HOST PORT

Every message goes out with a single send() and no newline, text is decoded as ASCII,
and SO_REUSEADDR is set after bind(), all as in the write-up. Ctrl-C prints "exit".
"""

import select
import socket
import sys


def online(count):
    # "users" only for more than one; an empty room says "0 user"
    word = "users" if count > 1 else "user"
    return "(" + str(count) + " " + word + " online)"


def who(sock):
    host, port = sock.getpeername()[:2]
    return host + ":" + str(port)


def tell_others(users, skip, text):
    for user in users:
        if user is not skip:
            user.send(text.encode())


if len(sys.argv) != 3:
    raise Exception("expected two arguments: python3 srv.py HOST PORT")
host = sys.argv[1]
port = int(sys.argv[2])

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setblocking(False)
listener.bind((host, port))
listener.listen(5)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # after bind, like the write-up

print("Chat Server started on port " + sys.argv[2] + ".")

users = []  # the connected client sockets

try:
    while True:
        ready, _, _ = select.select([listener, *users], [], [])
        for sock in ready:
            if sock is listener:
                newcomer, _ = listener.accept()
                users.append(newcomer)
                joined = "> New user " + who(newcomer) + " entered " + online(len(users))
                print(joined)
                newcomer.send(("> Connected to the chat server " + online(len(users))).encode())
                tell_others(users, newcomer, joined)
                continue

            data = sock.recv(1024)
            if data:
                said = "[" + who(sock) + "] " + data.decode("ascii")
                print(said)
                tell_others(users, sock, said)
            else:
                # they hung up: take them out first, so the count excludes them
                users.remove(sock)
                gone = "< The user " + who(sock) + " left " + online(len(users))
                print(gone)
                tell_others(users, sock, gone)
                sock.close()
except KeyboardInterrupt:
    print("\nexit")
    listener.close()
    sys.exit(0)
