"""How long a student waits for a verdict: from the command to the last line of the report.

    .venv/bin/python benchmarks/bench_grade.py [--runs N] [--busy] [--steps] [--quick]

Runs the grader as students and instructors run it, as a new process each time, and prints
the median wall time of each command over N runs (default 5), beside its target and the
figure measured before the grader learned to fail a quiet room at once ("before"):

- an untouched step 1 and a solved step 1 (`grade --path DIR 1`);
- with --steps, every step untouched and solved, in turn: an untouched step is no slower than
  solved (within 0.1 s, what two medians of the same work differ by);
- the whole reference on every check (`grade --path reference`), unless --quick;
- `nox -s grade -- ...` against the same `python -m harness.grade ...`: what nox adds;
- `grade --status` on files that have not changed since they were graded.

Exit status 0 when every command ended as it should (a solved step and the reference pass,
an untouched step fails); the figures are for reading, not a test.
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import busy_cores
from harness.model import lesson_source
from harness.model.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
NOX = Path(sys.executable).parent / "nox"


def timed(command: list[str], status: int, runs: int) -> tuple[float, bool]:
    """The median seconds of a command over the runs, and whether each ended with `status`."""
    seconds, right = [], True
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    for _ in range(runs):
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        seconds.append(time.monotonic() - started)
        if done.returncode != status:  # say why, or a wrong status is a riddle
            right = False
            shown = " ".join(map(str, command))
            tail = (done.stdout + done.stderr).decode(errors="replace").splitlines()[-30:]
            print(f"exit status {done.returncode}, not {status}: {shown}", *tail, sep="\n  ", file=sys.stderr)
    return statistics.median(seconds), right


def timed_pair(first: tuple[list[str], int], second: tuple[list[str], int], runs: int) -> list[tuple[float, bool]]:
    """Two commands timed in turn, run after run, so that the machine's drift (another job, a
    warmer cache) weighs on both alike: their medians can then be compared."""
    results: list[list[float]] = [[], []]
    right = [True, True]
    for _ in range(runs):
        for index, (command, status) in enumerate((first, second)):
            seconds, ok = timed(command, status, 1)
            results[index].append(seconds)
            right[index] &= ok
    return [(statistics.median(results[i]), right[i]) for i in range(2)]


def grade(*args: object) -> list[str]:
    return [sys.executable, "-m", "harness.grade", *map(str, args)]


NOISE = 0.1  # seconds two medians of the same work may differ by on a quiet machine


def row(what: str, seconds: float, target: str, met: bool | None, before: str, right: bool) -> bool:
    """One figure; met: whether it meets its target (None: a figure without one)."""
    verdict = "" if met is None else "met" if met else "NOT MET"
    print(
        f"{what:<36} {seconds:6.2f} s   target {target:<10} {verdict:<8} before {before:<8}"
        + ("" if right else "  WRONG STATUS")
    )
    return right


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--busy", action="store_true", help="keep every CPU core busy while measuring")
    parser.add_argument("--steps", action="store_true", help="also every step, untouched and solved")
    parser.add_argument(
        "--quick", action="store_true", help="all but the slowest row, the whole reference: a smoke run"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs takes a number from 1 up")
    steps = [step.number for step in load_manifest().steps]
    ok = True
    with tempfile.TemporaryDirectory() as tmp, busy_cores() if args.busy else contextlib.nullcontext(0) as cores:
        folder = Path(tmp)
        print(f"median of {args.runs} runs, each a new process" + (f"; {cores} cores busy" if cores else ""))
        for number in steps if args.steps else [1]:
            untouched = lesson_source.write_skeleton(folder / f"untouched{number}", number)
            solved = lesson_source.write_solution(folder / f"solved{number}", number)
            (seconds_untouched, right_untouched), (seconds_solved, right_solved) = timed_pair(
                (grade("--path", untouched, number), 1), (grade("--path", solved, number), 0), args.runs
            )
            if number == 1:
                ok &= row(
                    "untouched step 1", seconds_untouched, "<= 1 s", seconds_untouched <= 1, "3.2 s", right_untouched
                )
                ok &= row("solved step 1", seconds_solved, "<= 1 s", seconds_solved <= 1, "", right_solved)
            else:
                met = seconds_untouched <= seconds_solved + NOISE
                ok &= row(f"untouched step {number}", seconds_untouched, "<= solved", met, "", right_untouched)
                ok &= row(f"solved step {number}", seconds_solved, "", None, "", right_solved)
        if not args.quick:
            seconds, right = timed(grade("--path", ROOT / "reference"), 0, args.runs)
            ok &= row("the reference, every check", seconds, "<= 4 s", seconds <= 4, "17 s", right)
        solved = folder / "solved1" if (folder / "solved1").exists() else lesson_source.write_solution(folder / "s1", 1)
        direct, right = timed(grade("--path", solved, 1), 0, args.runs)
        through_nox, right_nox = timed([str(NOX), "-s", "grade", "--", "--path", str(solved), "1"], 0, args.runs)
        added = through_nox - direct
        ok &= row("what `nox -s grade --` adds", added, "<= 0.5 s", added <= 0.5, "4 s", right and right_nox)
        lessons_dir = folder / "lessons"
        for number in steps:
            lesson_source.write_skeleton(lessons_dir / f"step{number}", number)
        shutil.copytree(solved, lessons_dir / "step1", dirs_exist_ok=True)
        timed(grade("--status", "--lessons", lessons_dir), 1, 1)  # grades step 1 once, and saves it
        seconds, right = timed(grade("--status", "--lessons", lessons_dir), 1, args.runs)
        ok &= row("--status, nothing changed", seconds, "< 1 s", seconds < 1, "44 s", right)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
