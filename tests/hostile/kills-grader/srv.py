"""Tries to kill the grader (its parent) and then its own process group, in that order, and
says what became of the first."""

import os
import signal

try:
    os.kill(os.getppid(), signal.SIGKILL)
    said = "killed its parent"
except OSError as error:
    said = f"its parent: {error.strerror}"
print(f"kills-grader: {said}", flush=True)
os.killpg(0, signal.SIGKILL)
