"""Lists the network interfaces it can see and tries to reach beyond the machine, in place of
the start line."""

import socket

names = sorted(name for _, name in socket.if_nameindex())
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    outside = "reached"
except OSError as error:
    outside = error.strerror or type(error).__name__
print(f"lists-interfaces: {','.join(names)}; outside: {outside}", flush=True)
raise SystemExit(1)
