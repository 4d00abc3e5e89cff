"""Keep every CPU core busy, to see that timings and verdicts hold on a loaded machine.

    .venv/bin/python benchmarks/load.py -- .venv/bin/python -m pytest -q

runs the command with one busy-loop process per core, and ends them by PID afterwards;
its exit status is the command's. `busy_cores()` does the same inside a script.
"""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def busy_cores(cores: int | None = None) -> Iterator[int]:
    """One spinning process per core (or `cores`) for the duration of the block."""
    spinners: list[subprocess.Popen] = []
    try:
        for _ in range(cores or os.cpu_count() or 1):
            spinners.append(subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL))
        yield len(spinners)
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with busy_cores() as cores:
        print(f"load.py: {cores} cores kept busy while running: {' '.join(argv)}", file=sys.stderr)
        try:
            return subprocess.run(argv).returncode
        except FileNotFoundError:
            print(f"load.py: no such command: {argv[0]}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
