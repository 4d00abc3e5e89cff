"""Double-forks a daemon in a session of its own, which outlives the check unless the grader
ends it, then reports its PID in place of the start line."""

import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in range(3):
            os.close(fd)
        while True:
            time.sleep(1)
    os._exit(0)
time.sleep(0.2)
print("daemon: started one", flush=True)
raise SystemExit(1)
