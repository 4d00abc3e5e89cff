"""How soon Ctrl-C on `grade` ends everything: the grader, its workers, every program it started.

    .venv/bin/python benchmarks/bench_interrupt.py [--runs N] [--busy]

Starts `python -m harness.grade --path reference` N times, each in a session of its own, and
presses Ctrl-C as a terminal does (SIGINT to its process group) at a moment spread over the
run. Then times until no process of it is left: neither the grader nor its workers (its
session) nor any program it started (they carry its mark, procs.MARK). Prints the median and
the slowest against the target, every process gone within 0.5 s. Exit status 1 if something
was still running GIVE_UP seconds after Ctrl-C (the benchmark then ends it).
"""

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import busy_cores
from harness.system.procs import MARK, live_processes, marked

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.5  # seconds from Ctrl-C until nothing is left
FIRST, LAST = 0.3, 2.5  # seconds into the run between which Ctrl-C is pressed
GIVE_UP = 10.0  # seconds after Ctrl-C: what is still running then would never end


def left(grader: subprocess.Popen) -> list[int]:
    """What is still alive of this grading: its session's processes and its marked programs."""
    session = [pid for pid, sid in live_processes() if sid == grader.pid and pid != grader.pid]
    alive = [grader.pid] if grader.poll() is None else []
    return alive + session + marked(f"{MARK}={grader.pid}-")


def one_press(moment: float) -> tuple[float, int | None, list[str]]:
    """Seconds from Ctrl-C until nothing is left, the grader's exit status, and what was
    still there once the target had passed."""
    grader = subprocess.Popen(
        [sys.executable, "-m", "harness.grade", "--path", str(ROOT / "reference")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(moment)  # a benchmark's own pacing: when the person presses Ctrl-C
        pressed = time.monotonic()
        os.killpg(grader.pid, signal.SIGINT)
        late: list[str] = []
        while (alive := left(grader)) and time.monotonic() - pressed < GIVE_UP:
            if not late and time.monotonic() - pressed > TARGET:
                late = [_command(pid) for pid in alive]
            time.sleep(0.002)
        return time.monotonic() - pressed, grader.returncode, late
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
        for pid in marked(f"{MARK}={grader.pid}-"):
            os.kill(pid, signal.SIGKILL)


def _command(pid: int) -> str:
    try:
        return f"{pid} " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
    except OSError:
        return f"{pid} (gone)"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="Ctrl-C presses (default 20)")
    parser.add_argument("--busy", action="store_true", help="keep every CPU core busy while measuring")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs takes a number from 1 up")
    with busy_cores() if args.busy else contextlib.nullcontext(0) as cores:
        print(f"{args.runs} presses of Ctrl-C on grade --path reference" + (f"; {cores} cores busy" if cores else ""))
        figures = []
        for run in range(args.runs):
            moment = FIRST + (LAST - FIRST) * run / max(args.runs - 1, 1)
            seconds, status, late = one_press(moment)
            figures.append(seconds)
            print(f"  pressed at {moment:4.2f} s: everything gone after {seconds:.3f} s (grade exit status {status})")
            for command in late:
                print(f"    still there after {TARGET} s: {command}")
    slowest = max(figures)
    verdict = "met" if slowest <= TARGET else "NOT MET"
    print(f"median {statistics.median(figures):.3f} s, slowest {slowest:.3f} s   target <= {TARGET} s   {verdict}")
    return 1 if slowest >= GIVE_UP else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
