"""Grade the lesson steps, or any folder with a srv.py and a cli.py.

    python -m harness.grade              where you are: each step done, to do or not started, and
                                         the first unfinished step's first failure
    python -m harness.grade 3            step 3 (on the checks of steps 1 to 3)
    python -m harness.grade --path DIR   a submission, on every check
    python -m harness.grade --watch 3    grade step 3 again whenever one of its files changes
    python -m harness.grade --status     which steps are done (steps whose files did not change are not regraded)
    python -m harness.grade --class DIR  every submission folder in DIR: a CSV, a results.json each
    python -m harness.grade --hidden DIR ...  also the instructor's hidden checks in DIR
    python -m harness.grade --spec documented ...  only what the documentation shows (the original assignment)

`nox -s grade -- ARGS` runs the same. Exit status: 0 when every check passed (with --class:
when every submission was graded), 1 when one did not, 2 for bad usage.
"""

import signal

if __name__ == "__main__":  # Ctrl-C while the grader loads ends it quietly: nothing has started yet
    signal.signal(signal.SIGINT, signal.SIG_DFL)

import argparse
import sys
from pathlib import Path

from harness.grader import submission
from harness.model.manifest import LESSONS, SPECS


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", type=int, metavar="STEP", help="steps to grade (default: all)")
    parser.add_argument("--path", type=Path, metavar="DIR", help="grade this folder's srv.py and cli.py instead")
    parser.add_argument(
        "--lessons", type=Path, default=LESSONS, metavar="DIR", help="where the step folders are (default: lessons/)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write Gradescope's results.json here")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")
    parser.add_argument("--classroom", type=Path, metavar="FILE", help="also write GitHub Classroom's result here")
    parser.add_argument("--watch", action="store_true", help="grade again whenever a graded file changes")
    parser.add_argument("--status", action="store_true", help="show which steps are done")
    parser.add_argument("--workers", type=int, metavar="N", help="checks run side by side (default: one a core)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds any one wait may take")
    parser.add_argument("--hidden", type=Path, metavar="DIR", help="also the hidden checks of DIR/checks.toml")
    parser.add_argument(
        "--spec",
        choices=SPECS,
        default="all",
        help="all: every check (default); documented: only what the documentation's terminals show",
    )
    parser.add_argument("--class", type=Path, dest="class_dir", metavar="DIR", help="grade every submission in DIR")
    parser.add_argument("--out", type=Path, metavar="DIR", help="with --class: where the results go (default: grades)")
    args = parser.parse_args(argv)
    if args.hidden is not None and not args.hidden.is_dir():
        parser.error(f"--hidden: no such folder: {args.hidden}")
    if args.class_dir is not None:
        check_class_args(parser, args)
    elif args.out is not None:
        parser.error("--out goes with --class DIR")
    if args.path is not None and not args.path.is_dir():
        parser.error(f"--path: no such folder: {args.path}")
    if not args.lessons.is_dir():
        parser.error(f"--lessons: no such folder: {args.lessons}")
    if args.path is not None and len(args.steps) > 1:
        parser.error("with --path, give at most one STEP: the last step whose checks apply")
    if args.watch and args.path is None and len(args.steps) != 1:
        parser.error("--watch grades one thing: give one STEP, or --path DIR")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers takes a number from 1 up")
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout takes a positive number of seconds")
    return args


def check_class_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.class_dir.is_dir():
        parser.error(f"--class: no such folder: {args.class_dir}")
    if not submission.submissions(args.class_dir):
        parser.error(f"--class: no submission folders in {args.class_dir} (one folder per student)")
    clashes = [option for option in ("path", "json", "junit", "classroom", "watch", "status") if getattr(args, option)]
    if clashes:
        parser.error(f"--class grades every folder of DIR on its own; it does not go with --{clashes[0]}")
    if len(args.steps) > 1:
        parser.error("with --class, give at most one STEP: the last step whose checks apply")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: not a folder: {args.out}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # The engine, the console and the outputs load only once the arguments are good: bad
    # usage is said at once.
    from harness.platforms import student

    return student.main(args)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
