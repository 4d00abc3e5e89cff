"""Chat client with the write-up's behaviour, built on a reader thread instead of select().

    python3 cli.py HOST PORT

A daemon thread prints whatever the server sends and ends the program when the server
hangs up; the main thread reads the keyboard, redraws each line as "[You] ..." with
"\\033[F" and sends it with no newline. Ctrl-C prints "exit"; Ctrl-D is not handled.
"""

import os
import socket
import sys
import threading


def listen(conn):
    while True:
        data = conn.recv(1024)
        if not data:
            break
        print(data.decode("ascii"), flush=True)
    # the server went away: end the whole program quietly
    conn.close()
    sys.stdout.flush()
    os._exit(0)


if len(sys.argv) != 3:
    raise Exception("expected two arguments: python3 cli.py HOST PORT")
server = (sys.argv[1], int(sys.argv[2]))

conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
conn.connect(server)
threading.Thread(target=listen, args=(conn,), daemon=True).start()

try:
    while True:
        line = input()  # Ctrl-D raises EOFError here, left uncaught on purpose
        print("\033[F[You] " + line, flush=True)
        conn.send(line.encode())
except KeyboardInterrupt:
    print("\nexit", flush=True)
    conn.close()
    os._exit(0)
