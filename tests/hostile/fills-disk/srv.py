"""Writes files of 16 MiB in its folder until it has written 2 GiB (then stops by itself, so
that a missing limit fails the test without filling the machine). It writes before it says
it has started, so the harness is still waiting for it however long the writing takes."""

import socket
import sys

listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
chunk = b"x" * (16 << 20)
for number in range(128):
    with open(f"junk{number}.bin", "wb") as junk:
        junk.write(chunk)
print("fills-disk: wrote 2 GiB and nothing stopped it", flush=True)
raise SystemExit(1)
