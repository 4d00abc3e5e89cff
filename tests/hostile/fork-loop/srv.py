"""Starts, then forks in a loop; the children leave its session (setsid), out of Ctrl-C's reach.

Bounded in case containment fails: at most 2**7 = 128 processes, each gone after 30 s."""

import contextlib
import os
import socket
import sys
import time

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
leader = os.getpid()
for _ in range(7):
    with contextlib.suppress(OSError):  # refused: a fork loop goes on regardless
        os.fork()
if os.getpid() != leader:
    os.setsid()
time.sleep(30)
