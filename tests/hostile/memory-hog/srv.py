"""Starts, then takes memory without end (touching it, so it is really used)."""

import socket
import sys

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
hog = []
while True:
    hog.append(b"x" * (16 << 20))
