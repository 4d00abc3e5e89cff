"""Starts, then computes without end, deaf to Ctrl-C (bounded: it stops after 60 s).

It reads its own source at every round, as a program busy with real work reads its data:
the grader's watch for a loop that never waits leaves a program that reads files alone, so
the only thing that stops this one is the CPU-time limit, on an idle machine or a busy one."""

import hashlib
import signal
import socket
import sys
import time

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
signal.signal(signal.SIGINT, signal.SIG_IGN)
end = time.monotonic() + 60
while time.monotonic() < end:
    with open(__file__, "rb") as source:
        hashlib.sha256(source.read() * 1000).digest()
