"""kill(-1, SIGKILL): every process it may signal. It acts only as one of the sandbox's users
(IDs from 2,000,000); run as root, or as the grader's own user, it says so and does nothing,
which fails the test that expects the sandbox."""

import os
import signal

uid = os.getuid()
if uid == 0:
    print("kills-everyone: run as root, so it did nothing", flush=True)
elif uid < 2_000_000:
    print(f"kills-everyone: run as the grader's user ({uid}), so it did nothing", flush=True)
else:
    print(f"kills-everyone: as user {uid}", flush=True)
    os.kill(-1, signal.SIGKILL)
raise SystemExit(1)
