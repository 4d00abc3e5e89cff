"""How long grading every lesson step takes, each with its solution filled in.

    .venv/bin/python benchmarks/bench_grade.py [--runs N] [--busy]

Each run grades steps 1 to 8 as a class would submit them finished (step N on the checks
of steps 1..N), with the grader's default parallelism, and must pass every check. Prints
min / median / max seconds over the runs; the target is a median of at most 15 s on a
2-core machine. Exit status 0 when every run passed every check.
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import busy_cores
from harness import grading, lessons
from harness.manifest import load_manifest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many times to grade everything (default 5)")
    parser.add_argument("--busy", action="store_true", help="keep every CPU core busy while measuring")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs takes a number from 1 up")
    manifest = load_manifest()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [
            grading.Target(
                f"step {s.number}",
                lessons.write_solution(Path(tmp) / f"step{s.number}", s.number),
                tuple(manifest.checks_up_to(s.number)),
            )
            for s in manifest.steps
        ]
        checks = sum(len(t.checks) for t in targets)
        with busy_cores() if args.busy else contextlib.nullcontext(0) as cores:
            grades = [grading.grade(targets) for _ in range(args.runs)]
    times = [g.seconds for g in grades]
    failed = sum(not g.passed for g in grades)
    print(
        f"graded {len(targets)} steps, {checks} checks a run, {args.runs} runs"
        + (f", {cores} cores busy" if cores else "")
    )
    print(f"failures: {failed}")
    print(f"seconds:  min {min(times):.2f}  median {statistics.median(times):.2f}  max {max(times):.2f}  (target: 15)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
