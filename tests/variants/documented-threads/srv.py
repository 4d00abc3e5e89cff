"""Chat server with the write-up's behaviour, built on threads instead of select().

    python3 srv.py HOST PORT

The main thread accepts; each user gets a daemon thread that reads and relays. A lock
guards the list of users. Same lines as the write-up: one send() each, no newline,
ASCII text, SO_REUSEADDR after bind(). Ctrl-C prints "exit".
"""

import os
import socket
import sys
import threading

users = []  # (socket, "ip:port") pairs
users_lock = threading.Lock()


def online(count):
    word = "users" if count > 1 else "user"
    return f"({count} {word} online)"


def send_to_others(me, text):
    # call with users_lock held
    for sock, _ in users:
        if sock is not me:
            sock.sendall(text.encode())


def serve(sock, name):
    while True:
        data = sock.recv(1024)
        if not data:
            break
        with users_lock:
            said = f"[{name}] {data.decode('ascii')}"
            print(said, flush=True)
            send_to_others(sock, said)
    with users_lock:
        users.remove((sock, name))  # remove first, then count
        gone = f"< The user {name} left {online(len(users))}"
        print(gone, flush=True)
        send_to_others(sock, gone)
    sock.close()


if len(sys.argv) != 3:
    raise Exception("expected two arguments: python3 srv.py HOST PORT")
host = sys.argv[1]
port = int(sys.argv[2])

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind((host, port))
listener.listen(5)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # after bind, like the write-up

print(f"Chat Server started on port {sys.argv[2]}.", flush=True)

try:
    while True:
        sock, (ip, their_port) = listener.accept()
        name = f"{ip}:{their_port}"
        with users_lock:
            users.append((sock, name))
            count = online(len(users))
            joined = f"> New user {name} entered {count}"
            print(joined, flush=True)
            sock.sendall(f"> Connected to the chat server {count}".encode())
            send_to_others(sock, joined)
        threading.Thread(target=serve, args=(sock, name), daemon=True).start()
except KeyboardInterrupt:
    print("\nexit", flush=True)
    listener.close()
    os._exit(0)  # the daemon threads go with us
