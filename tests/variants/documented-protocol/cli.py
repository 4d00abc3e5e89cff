"""Chat client as the student write-up documents it: select() over stdin and the socket.

    python3 cli.py HOST PORT

Each typed line is sent with one send() and no newline, then redrawn as "[You] ..."
over the echoed line with "\\033[F". Ctrl-C prints "exit"; Ctrl-D is not handled.
"""

import select
import socket
import sys

if len(sys.argv) != 3:
    raise Exception("expected two arguments: python3 cli.py HOST PORT")
server = (sys.argv[1], int(sys.argv[2]))

conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
conn.connect(server)

try:
    while True:
        ready, _, _ = select.select([sys.stdin, conn], [], [])
        if conn in ready:
            data = conn.recv(1024)
            if not data:
                # the server went away: stop without a word
                conn.close()
                break
            print(data.decode("ascii"))
        if sys.stdin in ready:
            line = input()  # Ctrl-D raises EOFError here, left uncaught on purpose
            print("\033[F" + "[You] " + line)
            conn.send(line.encode())
except KeyboardInterrupt:
    print("\nexit")
    conn.close()
    sys.exit(0)
