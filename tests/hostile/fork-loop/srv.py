"""Forks in a loop, each child leaving its session (setsid), out of Ctrl-C's reach; then starts.

The forks come before the start line, so the grader meets all of them however slowly they
run. Bounded in case containment fails: at most 127 children, each gone after 30 s."""

import contextlib
import os
import socket
import sys
import time

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
for _ in range(127):
    with contextlib.suppress(OSError):  # refused: a fork loop goes on regardless
        if os.fork() == 0:
            os.setsid()
            time.sleep(30)
            os._exit(0)
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
time.sleep(30)
