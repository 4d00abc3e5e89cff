"""Starts, then spins without end, deaf to Ctrl-C (bounded: it stops after 60 s)."""

import signal
import socket
import sys
import time

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
signal.signal(signal.SIGINT, signal.SIG_IGN)
end = time.monotonic() + 60
while time.monotonic() < end:
    pass
