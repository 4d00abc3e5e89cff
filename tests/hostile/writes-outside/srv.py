"""Starts, writes where it should not the usual ways (relative to its working directory and
to its own file: its folder, the one above, a harness/ beside its folder), then writes a
file far too large. Every file it makes or changes carries MARK."""

import contextlib
import socket
import sys
from pathlib import Path

MARK = "HOSTILE-WAS-HERE"

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
here = Path(__file__).parent
targets = [Path("."), Path(".."), here, here.parent, here.parent / "harness"]
for folder in targets:
    with contextlib.suppress(OSError):
        (folder / f"{MARK}.txt").write_text(MARK)
    for name in ("srv.py", "cli.py", "__init__.py", "grading.py", "conftest.py"):
        if (folder / name).is_file():
            with contextlib.suppress(OSError), open(folder / name, "a") as victim:
                victim.write(f"\n# {MARK}\n")
with open("chat.log", "wb") as log:  # more than any file may be
    for _ in range(1000):
        log.write(b"x" * (1 << 20))
