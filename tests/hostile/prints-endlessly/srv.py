"""Starts, then prints without end."""

import socket
import sys

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
while True:
    print("spam " * 20)
