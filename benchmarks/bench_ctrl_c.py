"""Does every Ctrl-C reach the program? Graded runs of threaded programs, counted press by press.

    .venv/bin/python benchmarks/bench_ctrl_c.py [--runs N] [--busy] [--path DIR] [--baseline]

Grades DIR (default tests/variants/documented-threads: a thread per user, and a client with a
reader thread) N times on the documented layer, the way `grade --spec documented` does, and
counts every Ctrl-C pressed and every one lost: a Ctrl-C step whose program never showed
`exit` or never ended. --busy keeps every core busy meanwhile. --baseline also runs the same
number of gradings with the harness's former way of pressing Ctrl-C (stop the program,
write ^C, continue it), for a figure from the same machine at the same time.
Exit status: 0 if no Ctrl-C was lost (with the harness's own way), 1 otherwise.
"""

import argparse
import contextlib
import os
import select
import signal
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import busy_cores
from harness.engine.terminal import CTRL_C, Terminal
from harness.grader import grading
from harness.model.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "variants" / "documented-threads"


def held_interrupt(terminal: Terminal) -> None:
    """The former way: stop the program's group, let the terminal echo ^C (and queue the
    SIGINT), continue it once the echo is read."""
    pressed_at = len(terminal.timeline.events)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(terminal.pid, signal.SIGSTOP)
    try:
        terminal.type(CTRL_C)
        deadline = time.monotonic() + 1.0
        while b"^C" not in terminal.timeline.raw(terminal.name, since=pressed_at) and time.monotonic() < deadline:
            if select.select([terminal.fd], [], [], 0.01)[0]:
                terminal.read_available()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(terminal.pid, signal.SIGCONT)


def presses(grade: grading.Grade) -> tuple[int, int, list[str]]:
    """(Ctrl-C pressed, Ctrl-C lost, what each loss said) over every check of a grading."""
    pressed = lost = 0
    said = []
    for result in grade.results:
        outcome = result.outcome
        if outcome is None:
            continue
        steps = outcome.scenario.steps[: len(outcome.step_seconds)]
        pressed += sum(step.action == "ctrl_c" for step in steps)
        failure = outcome.failure
        if failure is not None and outcome.scenario.steps[failure.step - 1].action == "ctrl_c":
            lost += 1
            said.append(f"{result.check.name}: {failure.problem}")
    return pressed, lost, said


def measure(folder: Path, runs: int, label: str) -> tuple[int, int, list[float], list[str]]:
    manifest = load_manifest().spec("documented")
    target = grading.folder_target(manifest, folder)
    pressed = lost = 0
    seconds, said = [], []
    for number in range(1, runs + 1):
        if sys.stderr.isatty():
            print(f"\r{label}: grading {number}/{runs}", end="", file=sys.stderr, flush=True)
        grade = grading.grade([target])
        seconds.append(grade.seconds)
        more_pressed, more_lost, more_said = presses(grade)
        pressed, lost, said = pressed + more_pressed, lost + more_lost, said + more_said
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    return pressed, lost, seconds, said


def report(label: str, runs: int, pressed: int, lost: int, seconds: list[float], said: list[str]) -> None:
    print(
        f"{label}: {runs} gradings, {pressed} Ctrl-C pressed, {lost} lost "
        f"({100 * lost / max(pressed, 1):.1f} %); grading median {statistics.median(seconds):.2f} s, "
        f"max {max(seconds):.2f} s"
    )
    for line in said[:5]:
        print(f"  lost: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="gradings (default 100)")
    parser.add_argument("--path", type=Path, default=DEFAULT, help="the folder graded (default: documented-threads)")
    parser.add_argument("--busy", action="store_true", help="keep every CPU core busy while measuring")
    parser.add_argument("--baseline", action="store_true", help="also the former way of pressing Ctrl-C")
    args = parser.parse_args(argv)
    if args.runs < 1 or not args.path.is_dir():
        parser.error("--runs takes a number from 1 up, --path a folder")
    try:
        with busy_cores() if args.busy else contextlib.nullcontext(0) as cores:
            if cores:
                print(f"cores loaded: {cores} busy-loop processes running during the measurement")
            results = measure(args.path, args.runs, "now")
            report("now     ", args.runs, *results)
            if args.baseline:
                with mock.patch.object(Terminal, "interrupt", held_interrupt):
                    report("baseline", args.runs, *measure(args.path, args.runs, "baseline"))
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0 if results[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
